import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const repoRoot = path.resolve(import.meta.dirname, '../..');
const bin = path.join(repoRoot, 'bin', 'dgate-cli');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built executable (bin/dgate-cli), as a user would; never throws on a non-zero exit. `input` is piped to stdin. */
export async function dgateCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {},
): Promise<CliResult> {
  try {
    const pending = run(process.execPath, [bin, ...args], {
      cwd: opts.cwd ?? repoRoot,
      env: { ...process.env, NO_COLOR: '1', ...opts.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    pending.child.stdin?.end(opts.input ?? '');
    const { stdout, stderr } = await pending;
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}
