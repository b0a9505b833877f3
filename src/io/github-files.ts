import { randomUUID } from 'node:crypto';
import { appendFile, readFile } from 'node:fs/promises';
import { DgateError } from '../errors/dgate-error.js';
import { renderStepOutputs } from '../ci/github-outputs.js';

/** Appends to one of the files GitHub Actions hands a step ($GITHUB_STEP_SUMMARY, $GITHUB_OUTPUT). */
export async function appendStepFile(variable: string, file: string, text: string): Promise<void> {
  try {
    await appendFile(file, text, 'utf8');
  } catch (err) {
    throw new DgateError({
      code: 'DG0005',
      message: `cannot append to $${variable} (${file}): ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      hint: 'GitHub Actions sets it for each step; outside Actions, run with --ci none',
      cause: err,
    });
  }
}

/** Appends step outputs to $GITHUB_OUTPUT, with a random delimiter for values over several lines (as actions/toolkit does). */
export function appendStepOutputs(file: string, outputs: readonly (readonly [string, string])[]): Promise<void> {
  return appendStepFile('GITHUB_OUTPUT', file, renderStepOutputs(outputs, `ghadelimiter_${randomUUID()}`));
}

/** The event payload of the workflow run ($GITHUB_EVENT_PATH). */
export async function readGithubEvent(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch (err) {
    throw new DgateError({
      code: 'DG4001',
      message: `cannot read the event payload $GITHUB_EVENT_PATH (${file}): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      hint: 'GitHub Actions sets GITHUB_EVENT_PATH to a JSON file; run plan --comment inside a workflow run',
    });
  }
}
