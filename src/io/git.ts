import { simpleGit } from 'simple-git';

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
