import { describe, expect, it } from 'vitest';
import {
  commentBodyLimit,
  findMarkedComment,
  nextPageUrl,
  planCommentMarker,
  pullRequestNumberOf,
  renderPlanComment,
  renderPlanSummary,
  stepSummaryLimit,
} from '../../../src/ci/pr-comment.js';

/** A markdown plan of `rows` creates, with `detailLines` lines of field changes. */
const plan = (rows: number, detailLines: number) =>
  [
    '### dgate-cli plan for `config`',
    '',
    `**${rows} to create, 0 to update, 0 to delete** · desired \`sha256:abc\` · cluster \`http://x\``,
    '',
    '| | kind | resource | changed fields |',
    '|---|---|---|---|',
    ...Array.from({ length: rows }, (_, i) => `| + create | route | \`shop/route-${i}\` |  |`),
    '',
    '<details><summary>Field changes</summary>',
    '',
    '```diff',
    ...Array.from({ length: detailLines }, (_, i) => `    field-${i}: 1 → 2`),
    '```',
    '',
    '</details>',
    '',
    '_Left alone: 1 namespace not in the config (default)._',
    '',
  ].join('\n');

describe('the plan comment on a pull request', () => {
  it('is marked by a hidden line that names the config and targets, and no --> can end early', () => {
    expect(planCommentMarker('config/', [])).toBe('<!-- dgate-cli:plan config%2F -->');
    expect(planCommentMarker('a-->b', ['eu prod'])).toBe('<!-- dgate-cli:plan a--%3Eb eu%20prod -->');
  });

  it('is found by its marker at the start of the body', () => {
    const marker = planCommentMarker('config', []);
    const comments = [
      { id: 1, body: 'LGTM' },
      { id: 2, body: null },
      { id: 3, body: `quoting: ${marker}\n` },
      { id: 4, body: `${marker}\n### plan` },
      { id: 5, body: `${marker}\n### later` },
    ];
    expect(findMarkedComment(comments, marker)?.id).toBe(4);
    expect(findMarkedComment(comments, planCommentMarker('other', []))).toBeUndefined();
  });

  it('follows GitHub pagination: the Link header rel="next", and none on the last page', () => {
    const link =
      '<https://api.github.com/repositories/1/issues/5/comments?per_page=100&page=1>; rel="prev", ' +
      '<https://api.github.com/repositories/1/issues/5/comments?per_page=100&page=3>; rel="next", ' +
      '<https://api.github.com/repositories/1/issues/5/comments?per_page=100&page=9>; rel="last"';
    expect(nextPageUrl(link)).toBe('https://api.github.com/repositories/1/issues/5/comments?per_page=100&page=3');
    expect(nextPageUrl('<https://x/?page=1>; rel="first", <https://x/?page=2>; rel="prev"')).toBeUndefined();
    expect(nextPageUrl('<https://x/?page=2>; rel=next')).toBe('https://x/?page=2');
    expect(nextPageUrl(undefined)).toBeUndefined();
  });

  it('takes the PR number from the event payload (pull_request, or an issue comment on a PR)', () => {
    expect(pullRequestNumberOf({ number: 7, pull_request: { number: 7 } })).toBe(7);
    expect(pullRequestNumberOf({ issue: { number: 9, pull_request: { url: 'u' } } })).toBe(9);
    expect(pullRequestNumberOf({ issue: { number: 9 } })).toBeUndefined();
    expect(pullRequestNumberOf({ ref: 'refs/heads/main' })).toBeUndefined();
    expect(pullRequestNumberOf(null)).toBeUndefined();
  });

  it('is the marker and the plan, whole, when it fits', () => {
    const md = plan(3, 2);
    expect(renderPlanComment(md, '<!-- m -->')).toBe(`<!-- m -->\n${md}`);
  });

  it('a long plan loses its field changes first, keeping every row and the counts', () => {
    const body = renderPlanComment(plan(50, 5000), '<!-- m -->');
    expect(body.length).toBeLessThanOrEqual(commentBodyLimit);
    expect(body).toContain('**50 to create, 0 to update, 0 to delete**');
    expect(body).toContain('`shop/route-49`');
    expect(body).not.toContain('field-0');
    expect(body).toContain(
      "_Field changes left out: the whole plan is longer than a comment can be. See the job's step summary._",
    );
    expect(body).toContain('_Left alone');
  });

  it('a longer one loses rows from the end, and says how many', () => {
    const body = renderPlanComment(plan(3000, 10), '<!-- m -->');
    expect(body.length).toBeLessThanOrEqual(commentBodyLimit);
    expect(body.startsWith('<!-- m -->\n### dgate-cli plan')).toBe(true);
    expect(body).toContain('**3000 to create, 0 to update, 0 to delete**');
    const shown = body.split('\n').filter((l) => l.startsWith('| + create')).length;
    expect(shown).toBeGreaterThan(1000);
    expect(
      body.endsWith(
        `\n_… ${3000 - shown} more changes and the notes not shown: a comment holds at most 65536 characters. See the job's step summary, or \`dgate-cli plan\`._\n`,
      ),
    ).toBe(true);
    // A small limit shows the same rule at a size one can read.
    expect(renderPlanComment(plan(5, 1), '<!-- m -->', 420).length).toBeLessThanOrEqual(420);
    expect(renderPlanComment(plan(5, 1), '<!-- m -->', 420)).toBe(
      '<!-- m -->\n### dgate-cli plan for `config`\n\n**5 to create, 0 to update, 0 to delete** · desired `sha256:abc` · cluster `http://x`\n\n| | kind | resource | changed fields |\n|---|---|---|---|\n| + create | route | `shop/route-0` |  |\n| + create | route | `shop/route-1` |  |\n' +
        "\n_… 3 more changes and the notes not shown: a comment holds at most 420 characters. See the job's step summary, or `dgate-cli plan`._\n",
    );
  });
});

describe('the plan in the step summary', () => {
  it('is the whole markdown when it fits', () => {
    const md = plan(3, 1);
    expect(renderPlanSummary(md)).toBe(md);
  });

  it("fits GitHub's 1 MiB in bytes, not characters, keeping the headline and counting what it leaves out", () => {
    // Each é is two bytes: the cut is counted in bytes, as GitHub counts.
    const md = plan(30_000, 10).replaceAll('route-', 'routé-');
    const summary = renderPlanSummary(md);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(stepSummaryLimit);
    expect(summary).toContain('**30000 to create, 0 to update, 0 to delete**');
    const shown = summary.split('\n').filter((l) => l.startsWith('| + create')).length;
    expect(shown).toBeGreaterThan(1000);
    expect(summary).toContain(
      `\n_… ${30_000 - shown} more changes and the notes not shown: a step summary holds at most 1 MiB. \`dgate-cli plan\` prints the whole plan._\n`,
    );
    expect(Buffer.byteLength(renderPlanSummary(plan(5, 1), 300))).toBeLessThanOrEqual(300);
  });
});
