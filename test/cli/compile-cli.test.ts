import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { desiredStateSchema } from '../../src/schema/generated/desired-state.schema.js';
import { dgateCli, repoRoot } from '../harness/cli.js';

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-compile-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** Reverses the key order of every mapping, recursively. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reverseKeys(v)]),
    );
  return value;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
}

describe('compile', () => {
  it('prints byte-identical output for the same input', async () => {
    const a = await dgateCli(['compile', 'examples/shop']);
    const b = await dgateCli(['compile', 'examples/shop']);
    expect(a.code).toBe(0);
    expect(a.stdout.length).toBeGreaterThan(100);
    expect(b.stdout).toBe(a.stdout);
  });

  it('writes a document that validates against schema/desired-state.schema.json', async () => {
    const { stdout, code } = await dgateCli(['compile', 'examples/shop']);
    expect(code).toBe(0);
    const validate = new Ajv2020({ strict: true, strictRequired: false, allErrors: true }).compile(
      desiredStateSchema as unknown as object,
    );
    const state = JSON.parse(stdout);
    expect(validate(state), JSON.stringify(validate.errors)).toBe(true);
    expect(state.resources.services.find((s: { name: string }) => s.name === 'catalog').requestTimeout).toBe(
      5_000_000_000,
    );
  });

  it('keeps the version when files are merged, reordered and their keys reversed', async () => {
    const dir = await tempDir();
    await cp(path.join(repoRoot, 'examples/shop'), dir, { recursive: true });
    const original = JSON.parse((await dgateCli(['compile', dir])).stdout);

    // Merge every YAML file into one, in reverse file order, with every mapping's keys reversed.
    const files = (await readdir(dir))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .reverse();
    const namespaces = [];
    for (const f of files) {
      namespaces.push(
        ...((parse(await readFile(path.join(dir, f), 'utf8')) as { namespaces: unknown[] }).namespaces ?? []),
      );
      await rm(path.join(dir, f));
    }
    await writeFile(path.join(dir, 'all-in-one.yml'), stringify(reverseKeys({ version: 'v1', namespaces })));
    const reshaped = await dgateCli(['compile', dir]);
    expect(reshaped.stderr).toBe('');
    expect(JSON.parse(reshaped.stdout).version).toBe(original.version);
    expect(JSON.parse(reshaped.stdout).resources).toEqual(original.resources);
  });

  it('records the git commit and whether the config directory is dirty', async () => {
    const dir = await tempDir();
    await cp(path.join(repoRoot, 'examples/shop'), path.join(dir, 'config'), { recursive: true });
    await writeFile(path.join(dir, 'README.md'), 'outside the config directory\n');
    git(dir, 'init', '-q');
    git(dir, 'add', '.');
    git(dir, 'commit', '-qm', 'first');
    const sha = git(dir, 'rev-parse', 'HEAD');

    const clean = JSON.parse((await dgateCli(['compile', path.join(dir, 'config')])).stdout);
    expect(clean.metadata.git).toEqual({ commit: sha, dirty: false });

    // A change outside the config directory does not make the config dirty; one inside does.
    await writeFile(path.join(dir, 'README.md'), 'changed\n');
    expect(JSON.parse((await dgateCli(['compile', path.join(dir, 'config')])).stdout).metadata.git.dirty).toBe(false);
    await writeFile(path.join(dir, 'config', 'extra.yaml'), 'version: v1\n');
    const dirty = JSON.parse((await dgateCli(['compile', path.join(dir, 'config')])).stdout);
    expect(dirty.metadata.git).toEqual({ commit: sha, dirty: true });
    expect(dirty.version).toBe(clean.version);
  });

  it('says null for git outside a repository', async () => {
    const dir = await tempDir();
    await cp(path.join(repoRoot, 'examples/shop'), dir, { recursive: true });
    expect(JSON.parse((await dgateCli(['compile', dir])).stdout).metadata.git).toBeNull();
  });

  it('never resolves a secret: the output holds the reference, not the value', async () => {
    const marker = `sk_live_${Math.random().toString(36).slice(2)}`;
    const result = await dgateCli(['compile', 'examples/shop'], { env: { STRIPE_KEY: marker } });
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(marker);
    expect(JSON.parse(result.stdout).resources.secrets).toEqual([
      { name: 'stripe-key', namespace: 'shop', data: { fromEnv: 'STRIPE_KEY' } },
    ]);
  });

  describe('--out', () => {
    it('writes the file and reports the version on stderr', async () => {
      const dir = await tempDir();
      const out = path.join(dir, 'state.json');
      const result = await dgateCli(['compile', 'examples/shop', '--out', out]);
      expect(result.code).toBe(0);
      expect(result.stdout).toBe('');
      const state = JSON.parse(await readFile(out, 'utf8'));
      expect(result.stderr).toContain(`version ${state.version}`);
    });

    it('fails clearly when the file cannot be written', async () => {
      const result = await dgateCli(['compile', 'examples/shop', '--out', '/nonexistent-dir/state.json']);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error DG0005: cannot write '\/nonexistent-dir\/state.json': ENOENT\n {2}hint: /);
    });
  });

  it('compiles nothing from an invalid config', async () => {
    const result = await dgateCli(['compile', 'test/fixtures/invalid/12-route-missing-service']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('DG1103');
    expect(result.stderr).toContain('nothing compiled');
  });
});
