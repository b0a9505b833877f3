import { execFileSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

/** Each table entry's path and the paths its class declares, read from the build (clipanion loads under Node, not under vitest's resolver). */
function tableFromBuild(): { path: string[]; declared: string[][] }[] {
  const script = `
    const { commandTable } = await import(${JSON.stringify(path.join(root, 'dist/main.js'))});
    const rows = [];
    for (const entry of commandTable) rows.push({ path: entry.path, declared: (await entry.load()).paths });
    console.log(JSON.stringify(rows));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

describe('the command table (commands are loaded only when named)', () => {
  const rows = tableFromBuild();

  it('names each command by the path its class declares', () => {
    for (const row of rows) expect(row.declared, row.path.join(' ')).toEqual([row.path]);
  });

  it('holds every command file, once', async () => {
    const files = (await readdir(path.join(root, 'src/commands'), { recursive: true })).filter((f) =>
      f.endsWith('.ts'),
    );
    expect(rows.length).toBe(files.length);
    expect(new Set(rows.map((r) => r.path.join(' '))).size).toBe(rows.length);
  });
});
