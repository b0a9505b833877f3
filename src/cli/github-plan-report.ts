import { planCommentMarker, pullRequestNumberOf, renderPlanComment, renderPlanSummary } from '../ci/pr-comment.js';
import { type AppliedForOutputs, applyStepOutputs, planStepOutputs, renderApplySummary } from '../ci/github-outputs.js';
import { DgateError } from '../errors/dgate-error.js';
import { upsertMarkedComment } from '../io/github-api.js';
import { appendStepFile, appendStepOutputs, readGithubEvent } from '../io/github-files.js';
import { heldSecrets } from '../io/held-secrets.js';
import type { Plan } from '../plan/plan.js';
import { renderPlanMarkdown } from '../report/plan-render.js';

/** The plans one `plan` run made, and what a workflow needs to name them. */
export interface PlansMade {
  plans: readonly Plan[];
  /** The config path as given: the markdown's title and part of the comment's marker. */
  source: string;
  /** The targets asked for with --target (the marker tells two jobs' comments apart by them). */
  targets: readonly string[];
  savedPlan: string | undefined;
}

/** The plans as the markdown renderer writes them, one after another. */
function markdownOf(made: PlansMade): string {
  return made.plans.map((p) => renderPlanMarkdown(p, made.source)).join('\n');
}

/**
 * Under GitHub Actions: the markdown plan appended to $GITHUB_STEP_SUMMARY, and the step outputs
 * (has-changes, create, update, delete, desired-version, plan-path) to $GITHUB_OUTPUT. A file
 * variable that is not set is said once and passed over: the plan was printed all the same.
 */
export async function writeGithubStepFiles(
  made: PlansMade,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
): Promise<void> {
  const summary = env.GITHUB_STEP_SUMMARY;
  if (summary) await appendStepFile('GITHUB_STEP_SUMMARY', summary, `${renderPlanSummary(markdownOf(made))}\n`);
  else warn('--ci github: $GITHUB_STEP_SUMMARY is not set, so the plan is not in the step summary');
  const output = env.GITHUB_OUTPUT;
  if (output) await appendStepOutputs(output, planStepOutputs(made.plans, made.savedPlan));
  else warn('--ci github: $GITHUB_OUTPUT is not set, so the step has no outputs');
}

/**
 * The plan as one comment on the pull request the workflow runs for, created the first time and
 * edited on every later run (found by its marker). Returns a line saying what was done.
 */
export async function commentPlanOnPullRequest(
  made: PlansMade,
  env: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  const token = env.GITHUB_TOKEN;
  const repository = env.GITHUB_REPOSITORY;
  const eventPath = env.GITHUB_EVENT_PATH;
  const missing = [
    ...(token ? [] : ['GITHUB_TOKEN']),
    ...(repository ? [] : ['GITHUB_REPOSITORY']),
    ...(eventPath ? [] : ['GITHUB_EVENT_PATH']),
  ];
  if (!token || !repository || !eventPath)
    throw new DgateError({
      code: 'DG4001',
      message: `plan --comment needs ${missing.join(', ')}, which ${missing.length === 1 ? 'is' : 'are'} not set`,
      hint: 'run it in a GitHub Actions job on pull_request, with GITHUB_TOKEN set to the job token (github.token) in its env',
    });
  // Whatever GitHub or a proxy echoes, the token never reaches the output.
  heldSecrets.add(token);
  const pullRequest = pullRequestNumberOf(await readGithubEvent(eventPath));
  if (pullRequest === undefined)
    throw new DgateError({
      code: 'DG4001',
      message: `the workflow's event ($GITHUB_EVENT_PATH) is not of a pull request, so there is nothing to comment on`,
      hint: 'use --comment in a job run on pull_request (the step summary has the plan on other events)',
    });
  const marker = planCommentMarker(made.source, made.targets);
  const result = await upsertMarkedComment(
    { apiUrl: env.GITHUB_API_URL || 'https://api.github.com', token, repository },
    pullRequest,
    marker,
    renderPlanComment(markdownOf(made), marker),
  );
  return `${result.action === 'created' ? 'Commented' : 'Updated the comment'} on pull request #${pullRequest}${result.url ? `: ${result.url}` : ''}`;
}

/**
 * Under GitHub Actions, after `apply`: a line per target changed appended to $GITHUB_STEP_SUMMARY,
 * and the step outputs (applied, create, update, delete, desired-version, release) to
 * $GITHUB_OUTPUT. As for plan, a file variable that is not set is said once and passed over.
 */
export async function writeGithubApplyFiles(
  applied: readonly AppliedForOutputs[],
  source: string,
  env: Readonly<Record<string, string | undefined>>,
  warn: (line: string) => void,
): Promise<void> {
  const summary = env.GITHUB_STEP_SUMMARY;
  if (summary) await appendStepFile('GITHUB_STEP_SUMMARY', summary, renderApplySummary(applied, source));
  else warn('--ci github: $GITHUB_STEP_SUMMARY is not set, so the apply is not in the step summary');
  const output = env.GITHUB_OUTPUT;
  if (output) await appendStepOutputs(output, applyStepOutputs(applied));
  else warn('--ci github: $GITHUB_OUTPUT is not set, so the step has no outputs');
}
