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
  'import',
  'ci',
  'policy',
  'smoke',
  'converge',
];
const pureFiles = ['cluster/normalize.ts', 'cluster/admin-api.ts'];
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

/**
 * The floors of src/, lowest first: a file may import from its own floor and the ones below,
 * never from above. A path names a folder or one file (the longest match wins).
 */
const floors: readonly (readonly string[])[] = [
  ['schema'],
  ['state', 'errors', 'secrets'],
  ['model'],
  ['load'],
  ['bundles', 'select'],
  ['compile'],
  ['diff', 'dump', 'convert', 'import', 'policy'],
  ['plan', 'smoke', 'converge'],
  ['report', 'errors/render.ts', 'ci'],
  ['cluster', 'apply', 'io', 'guards', 'notify'],
  ['pipeline', 'cli'],
  ['commands'],
  ['main.ts'],
];

function floorOf(rel: string): number {
  let best = { floor: -1, length: -1 };
  floors.forEach((paths, floor) => {
    for (const p of paths) {
      const matches = rel === p || rel.startsWith(`${p}/`);
      if (matches && p.length > best.length) best = { floor, length: p.length };
    }
  });
  return best.floor;
}

/** The src-relative paths a file imports (relative imports only). */
function importsOf(file: string, text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)) {
    out.push(
      path
        .relative(src, path.resolve(path.dirname(file), m[1]!))
        .replace(/\.js$/, '.ts')
        .split(path.sep)
        .join('/'),
    );
  }
  return out;
}

describe('architecture', () => {
  it('every file of src/ is on a floor, and imports only from its own floor or below', async () => {
    const upward: string[] = [];
    for (const file of await listTs(src)) {
      const rel = path.relative(src, file).split(path.sep).join('/');
      const own = floorOf(rel);
      expect(own, `${rel} is on no floor: add its folder to the floors above`).toBeGreaterThanOrEqual(0);
      for (const target of importsOf(file, await readFile(file, 'utf8'))) {
        if (floorOf(target) > own) upward.push(`${rel} -> ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no command imports another command', async () => {
    const commands = path.join(src, 'commands');
    for (const file of await listTs(commands)) {
      const rel = path.relative(src, file).split(path.sep).join('/');
      const others = importsOf(file, await readFile(file, 'utf8')).filter((t) => t.startsWith('commands/'));
      expect(others, rel).toEqual([]);
    }
  });

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
      if (file.includes(`${path.sep}commands${path.sep}`) || file === path.join(src, 'main.ts')) continue;
      expect(await readFile(file, 'utf8'), path.relative(src, file)).not.toMatch(/from '[./]*\/commands\//);
    }
  });
});
