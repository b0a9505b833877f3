import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/cli.js';

const run = promisify(execFile);

/** Runs a snippet that throws `error` through bin/render-error.mjs, as the scripts in bin/ end. */
async function renderedBy(error: string): Promise<{ code: number; stderr: string }> {
  const snippet = `
    const { renderThrown } = await import(${JSON.stringify(path.join(repoRoot, 'bin/render-error.mjs'))});
    const { DgateError } = await import(${JSON.stringify(path.join(repoRoot, 'dist/errors/dgate-error.js'))});
    process.exitCode = await renderThrown(${error}, 'demo');`;
  try {
    await run(process.execPath, ['--input-type=module', '-e', snippet], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { code: number; stderr: string };
    return { code: e.code, stderr: e.stderr };
  }
}

describe('the scripts in bin/ end without a stack trace', () => {
  it('render a DgateError the way the CLI does: location, code, message, hint', async () => {
    const out = await renderedBy(
      `new DgateError({ code: 'DG0004', message: 'dgate-server is not installed', hint: 'set DGATE_SERVER_BIN' })`,
    );
    expect(out.code).toBe(1);
    expect(out.stderr).toBe('error DG0004: dgate-server is not installed\n  hint: set DGATE_SERVER_BIN\n');
    const located = await renderedBy(
      `new DgateError({ code: 'DG1103', message: 'm', location: { file: 'a.yaml', line: 2, col: 3 } })`,
    );
    expect(located.stderr).toBe('a.yaml:2:3: error DG1103: m\n');
  });

  it('render any other error as one line naming the script', async () => {
    const out = await renderedBy(`new Error('the node did not become ready')`);
    expect(out).toEqual({ code: 1, stderr: 'demo: the node did not become ready\n' });
  });
});
