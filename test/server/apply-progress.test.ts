import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

// An apply's progress at a terminal is one status line redrawn in place; in a log, a line per
// step. The terminal is a real pseudo-terminal: util-linux `script` runs dgate-cli on one and
// copies what it drew.

const node = useOwnDgateNode();
const temps = useTempDirs();
const run = promisify(execFile);

/** A config of `n` services and `n` routes in namespace `ns`: 2n + 1 steps to apply. */
async function config(ns: string, n: number): Promise<string> {
  const dir = await temps.make();
  const lines = ['version: v1', 'namespaces:', `  - name: ${ns}`, '    services:'];
  for (let i = 0; i < n; i++) lines.push(`      - { name: s${i}, urls: ["http://127.0.0.1:9/"] }`);
  lines.push('    routes:');
  for (let i = 0; i < n; i++) lines.push(`      - { name: r${i}, paths: ["/r${i}"], methods: [GET], service: s${i} }`);
  await writeFile(path.join(dir, 'config.yaml'), `${lines.join('\n')}\n`);
  return dir;
}

/** Runs dgate-cli on a pseudo-terminal of 40 rows and 100 columns; what it wrote, escapes and all. */
async function onTerminal(args: string[], env: Record<string, string>): Promise<string> {
  const quoted = [process.execPath, path.join(repoRoot, 'bin', 'dgate-cli'), ...args]
    .map((a) => `'${a.replaceAll("'", "'\\''")}'`)
    .join(' ');
  const { stdout } = await run('script', ['-qefc', `stty rows 40 cols 100; ${quoted}`, '/dev/null'], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

const eraseLine = '\u001b[2K';
const perStep = /✓ create route p\/r\d+/g;

describe('apply progress', () => {
  const env = () => ({ DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: '' });

  it('at a terminal: one status line redrawn in place, then a summary, and no line per step', async () => {
    const dir = await config('p1', 40);
    const out = await onTerminal(['apply', dir, '--auto-approve'], {
      ...env(),
      DGATE_CLI_STATE_DIR: await temps.make(),
    });
    expect(out).toContain(eraseLine);
    expect(out).toMatch(/\[[█░]+\] \d+\/81 steps/);
    expect(out).toMatch(/81 steps in [\d.]+ s/);
    expect(out.match(/✓ create route/g)).toBeNull();
  });

  it('at a terminal with --verbose: a line per step', async () => {
    const dir = await config('p2', 5);
    const out = await onTerminal(['apply', dir, '--auto-approve', '--verbose'], {
      ...env(),
      DGATE_CLI_STATE_DIR: await temps.make(),
    });
    expect(out.match(/✓ create route p2\/r\d+/g)).toHaveLength(5);
    expect(out).not.toContain(eraseLine);
  });

  it('without a terminal (CI, a pipe): a line per step, and no escape sequences', async () => {
    const dir = await config('p', 5);
    const res = await dgateCli(['apply', dir, '--auto-approve'], {
      env: { ...env(), DGATE_CLI_STATE_DIR: await temps.make() },
    });
    expect(res.code).toBe(0);
    expect(res.stdout.match(perStep)).toHaveLength(5);
    expect(res.stdout).not.toContain('\u001b[');
  });
});
