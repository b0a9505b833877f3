/** Which CI system a command speaks to: its annotations, summary and outputs. */
export const ciModes = ['github', 'gitlab', 'none'] as const;
export type CiMode = (typeof ciModes)[number];

/**
 * The CI mode of a run: `--ci` when given, else what the environment says (GitHub Actions sets
 * GITHUB_ACTIONS=true, GitLab CI sets GITLAB_CI=true), else none.
 */
export function ciModeFrom(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): CiMode {
  if (flag !== undefined) return flag as CiMode;
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  if (env.GITLAB_CI === 'true') return 'gitlab';
  return 'none';
}
