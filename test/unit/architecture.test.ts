import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const src = path.resolve(import.meta.dirname, '../../src');

/** Stages that take data and return data: no disk, network, processes, environment, clock or chance. */
const pureDirectories = [
  'load',
  'compile',
  'model',
  'state',
  'errors',
  'report',
  'schema',
  'diff',
  'plan',
  'dump',
  'select',
  'bundles',
  'convert',
];
const pureFiles = ['cluster/normalize.ts', 'cluster/admin-url.ts'];
const forbidden = [
  /from 'node:(fs|fs\/promises|child_process|net|http|https|os)'/,
  /from '(undici|simple-git)'/,
  /process\.(env|cwd|argv|exit)/,
  /Date\.now\(|new Date\(\)|Math\.random\(/,
  /from '\.\.\/(io|cli|commands)\//,
];

async function listTs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listTs(full)));
    else if (entry.name.endsWith('.ts')) out.push(full);
  }
  return out;
}

describe('architecture', () => {
  it.each(pureDirectories)('src/%s does no I/O', async (dir) => {
    const files = await listTs(path.join(src, dir));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const text = await readFile(file, 'utf8');
      for (const pattern of forbidden) {
        expect(text, `${path.relative(src, file)} matches ${pattern}`).not.toMatch(pattern);
      }
    }
  });

  it.each(pureFiles)('src/%s does no I/O', async (file) => {
    const text = await readFile(path.join(src, file), 'utf8');
    for (const pattern of forbidden) expect(text, `${file} matches ${pattern}`).not.toMatch(pattern);
  });

  it('nothing imports a command', async () => {
    for (const file of await listTs(src)) {
      if (file.includes(`${path.sep}commands${path.sep}`) || file.endsWith(path.join('cli', 'main.ts'))) continue;
      expect(await readFile(file, 'utf8'), path.relative(src, file)).not.toMatch(/from '[./]*\/commands\//);
    }
  });
});
