import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgateCli } from '../harness/cli.js';

const root = path.resolve(import.meta.dirname, '../..');
const invalidDir = path.join(root, 'test', 'fixtures', 'invalid');
// Forms DGate v0.11.1 accepts (test/server/dgate-acceptance.test.ts): warned about, never refused.
const warningsDir = path.join(root, 'test', 'fixtures', 'warnings');
const examplesDir = path.join(root, 'examples');

const fixtures = (await readdir(invalidDir)).sort();
const warningFixtures = (await readdir(warningsDir)).sort();
const examples = (await readdir(examplesDir, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

describe('validate', () => {
  it('has at least 25 distinct invalid fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(25);
  });

  it.concurrent.each(fixtures)('rejects test/fixtures/invalid/%s with its located message', async (name) => {
    const dir = path.join(invalidDir, name);
    const expected = await readFile(path.join(dir, 'expected.txt'), 'utf8');
    const result = await dgateCli(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(expected);
    // Every problem starts with file:line:col and carries a hint; never a stack trace.
    expect(result.stderr).toMatch(/^[\w./-]+\.ya?ml:\d+:\d+: (error|warning) DG\d{4}: /m);
    expect(result.stderr).toMatch(/^ {2}hint: /m);
    expect(result.stderr).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  });

  it.concurrent.each(warningFixtures)('accepts test/fixtures/warnings/%s with its located warnings', async (name) => {
    const dir = path.join(warningsDir, name);
    const expected = await readFile(path.join(dir, 'expected.txt'), 'utf8');
    const result = await dgateCli(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^✓ \. is valid: .* \(\d+ warnings?\)\n$/);
    expect(result.stderr).toBe(expected);
    expect(result.stderr).toMatch(/^[\w./-]+\.ya?ml:\d+:\d+: warning DG\d{4}: /m);
    expect(result.stderr).not.toMatch(/: error DG/);
  });

  it.each(examples)('accepts examples/%s', async (name) => {
    const result = await dgateCli(['validate', `examples/${name}`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/is valid: \d+ namespaces?, \d+ resources? in \d+ files?/);
  });

  describe('--format json', () => {
    it('prints the same problems as a JSON array', async () => {
      const result = await dgateCli(['validate', '.', '--format', 'json'], {
        cwd: path.join(invalidDir, '35-several-mistakes-in-one-file'),
      });
      expect(result.code).toBe(1);
      const problems = JSON.parse(result.stdout) as {
        code: string;
        file: string;
        line: number;
        col: number;
        hint: string;
        severity: string;
      }[];
      expect(problems.map((p) => `${p.file}:${p.line}:${p.col} ${p.code}`)).toEqual([
        'config.yaml:5:66 DG1003',
        'config.yaml:8:68 DG1103',
        'config.yaml:9:86 DG1003',
      ]);
      expect(problems.every((p) => p.severity === 'error' && p.hint.length > 0)).toBe(true);
    });

    it('prints an empty array for a valid config', async () => {
      const result = await dgateCli(['validate', 'examples/shop', '--format', 'json']);
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([]);
    });
  });

  describe('bad invocations', () => {
    it('names a missing path', async () => {
      const result = await dgateCli(['validate', 'no/such/dir']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        "error DG0002: config path 'no/such/dir' does not exist\n  hint: name a config file or a directory of *.yaml files\n",
      );
    });

    it('rejects an unknown option on stderr with a hint', async () => {
      const result = await dgateCli(['validate', '--frobnicate']);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toContain('error DG0001: Unsupported option name ("--frobnicate")');
      expect(result.stderr).toContain("hint: run 'dgate-cli --help'");
    });

    it('rejects an unknown --format value', async () => {
      const result = await dgateCli(['validate', 'examples/shop', '--format', 'xml']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('DG0001');
    });
  });
});
