import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { simpleGit } from 'simple-git';
import { DgateError } from '../errors/dgate-error.js';

export interface GitInfo {
  commit: string | null;
  dirty: boolean;
}

/** The commit and dirty flag of the repository holding `dir`, or null when it is not in one. */
export async function readGitInfo(dir: string): Promise<GitInfo | null> {
  const git = simpleGit({ baseDir: dir });
  try {
    if (!(await git.checkIsRepo())) return null;
  } catch {
    return null;
  }
  const commit = await git.revparse(['--verify', '--quiet', 'HEAD']).then(
    (sha) => sha.trim() || null,
    () => null,
  );
  // Only changes under the config directory make this config dirty.
  const status = await git.raw(['status', '--porcelain', '--untracked-files=normal', '--', '.']);
  return { commit, dirty: status.trim().length > 0 };
}

/** What `reconcile --repo` takes: a path, or a git URL (file://, https://, ssh://), with or without `git+`. */
export function followedRepoUrl(repo: string): string {
  const url = repo.replace(/^git\+/, '');
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : pathToFileURL(path.resolve(url)).href;
}

/**
 * A repository URL fit to print: credentials written into it (https://user:token@host/...) are
 * replaced by `***`, so they never reach a log, an error, the status file or the cluster's lock.
 */
export function shownRepoUrl(repo: string): string {
  return repo.replace(/^((?:git\+)?[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

/**
 * Makes `dir` a checkout of the newest commit of `branch` in `url`: fetched shallowly, checked
 * out detached, anything else in the directory removed. Returns the commit.
 */
export async function checkoutBranchHead(url: string, branch: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const git = simpleGit({ baseDir: dir });
  try {
    if (
      !(await stat(path.join(dir, '.git')).then(
        () => true,
        () => false,
      ))
    ) {
      await git.init(['--quiet']);
      await git.addRemote('origin', url);
    } else {
      await git.remote(['set-url', 'origin', url]);
    }
    await git.fetch(['--quiet', '--depth', '1', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`]);
    await git.raw(['checkout', '--quiet', '--force', '--detach', `refs/remotes/origin/${branch}`]);
    await git.raw(['clean', '-ffdxq']);
    return (await git.revparse(['HEAD'])).trim();
  } catch (err) {
    // git may quote the URL it was given, credentials included: redact every spelling of it.
    const detail = (err as Error).message.trim().split('\n')[0]!.split(url).join(shownRepoUrl(url));
    throw new DgateError({
      code: 'DG3101',
      message: `cannot fetch branch '${branch}' of ${shownRepoUrl(url)}: ${shownRepoUrl(detail)}`,
      hint: 'check the repository URL, the branch name, and that the repository is reachable (and readable) from here',
    });
  }
}
