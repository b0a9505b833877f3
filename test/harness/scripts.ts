import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, type CliResult } from './cli.js';

const run = promisify(execFile);

/** Runs one of bin/'s scripts with node, as `npm start` or `npm test` would; never throws on a non-zero exit. */
export async function runScript(
  script: string,
  args: string[],
  env: Record<string, string | undefined>,
  timeoutMs = 300_000,
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(repoRoot, 'bin', script), ...args], {
      cwd: repoRoot,
      env,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

/**
 * An environment in which no dgate-server can be found or installed, on any machine: no
 * DGATE_SERVER_BIN, a PATH without one, an empty Go bin directory, and a Go that may not fetch
 * modules (as on a machine whose proxy refuses DGate's module).
 */
export function environmentWithoutServer(emptyGoBin: string): Record<string, string | undefined> {
  const {
    DGATE_SERVER_BIN: _bin,
    CI: _ci,
    DGATE_REQUIRE_SERVER: _req,
    DGATE_TEST_SERVER: _srv,
    DGATE_TEST_SKIPPED_LINE: _line,
    DGATE_TEST_SKIPPED_COUNT: _count,
    ...rest
  } = process.env;
  const pathDirs = (rest.PATH ?? '')
    .split(path.delimiter)
    .filter((dir) => dir && !existsSync(path.join(dir, 'dgate-server')));
  return {
    ...rest,
    NO_COLOR: '1',
    PATH: pathDirs.join(path.delimiter),
    GOBIN: emptyGoBin,
    GOPROXY: 'off',
    GOFLAGS: '-mod=mod',
  };
}
