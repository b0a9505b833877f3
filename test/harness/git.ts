import { execFileSync } from 'node:child_process';

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

/** Runs git in `dir` with a fixed author, as tests make repositories to follow or resolve from; returns its output, trimmed. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, env: gitEnv, stdio: 'pipe' }).toString().trim();
}
