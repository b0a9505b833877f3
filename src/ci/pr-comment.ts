/** GitHub's limit on the body of an issue or pull-request comment, in characters. */
export const commentBodyLimit = 65536;

/**
 * The hidden line that marks dgate-cli's plan comment, so that a later run finds and updates it
 * instead of adding one per push. One comment per config path and set of targets: two jobs that
 * plan different targets keep a comment each. Names are URI-encoded, so no `-->` can end it early.
 */
export function planCommentMarker(source: string, targets: readonly string[]): string {
  const key = [source, ...targets].map(encodeURIComponent).join(' ');
  return `<!-- dgate-cli:plan ${key} -->`;
}

/** A listed comment: only what finding ours needs. */
export interface ListedComment {
  id: number;
  body?: string | null;
}

/** The comment that carries the marker (the oldest, when several do), or undefined. */
export function findMarkedComment(comments: readonly ListedComment[], marker: string): ListedComment | undefined {
  return comments.find((c) => typeof c.body === 'string' && c.body.startsWith(`${marker}\n`));
}

/** The URL of the next page in a Link header (RFC 8288, as GitHub paginates), or undefined on the last page. */
export function nextPageUrl(link: string | undefined | null): string | undefined {
  if (!link) return undefined;
  // Each link is <URL> followed by ;-separated parameters; rel may list several relation types.
  for (const m of link.matchAll(/<([^>]*)>([^<]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2]!);
    const types = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (types.includes('next')) return m[1];
  }
  return undefined;
}

const changeRow = /^\| [+~-] (create|update|delete) \|/;

/** How a plan is cut to fit a place with a size limit: a comment, a step summary. */
export interface PlanFit {
  /** The most the text may take, in the unit `size` counts. */
  limit: number;
  size: (text: string) => number;
  /** Put in place of the folded field changes when they are left out. */
  detailsLeftOut: string;
  /** The closing line when `n` changes of the table are left out. */
  closing: (n: number) => string;
}

/**
 * `prefix`, then the markdown plan, cut to fit when it does not. What goes first is what matters
 * least: the folded field changes, then rows of the table from the end, which a closing line
 * counts. The headline with the counts is always kept.
 */
export function fitPlanMarkdown(prefix: string, markdown: string, fit: PlanFit): string {
  const whole = `${prefix}${markdown}`;
  if (fit.size(whole) <= fit.limit) return whole;
  const withoutDetails = markdown.replace(
    /<details><summary>Field changes<\/summary>[\s\S]*?<\/details>/g,
    fit.detailsLeftOut,
  );
  const shorter = `${prefix}${withoutDetails}`;
  if (fit.size(shorter) <= fit.limit) return shorter;
  const lines = withoutDetails.split('\n');
  // Keep lines while they fit with the closing line (sized for the most changes it could count).
  const budget = fit.limit - fit.size(prefix) - fit.size(fit.closing(lines.length));
  const kept: string[] = [];
  let size = 0;
  let i = 0;
  for (; i < lines.length; i++) {
    const next = fit.size(lines[i]!) + 1;
    if (size + next > budget) break;
    kept.push(lines[i]!);
    size += next;
  }
  const dropped = lines.slice(i).filter((l) => changeRow.test(l)).length;
  return `${prefix}${kept.join('\n')}\n${fit.closing(dropped)}`;
}

const changes = (n: number) => `${n} more ${n === 1 ? 'change' : 'changes'}`;

/** The comment body: the marker, then the markdown plan, cut to fit `limit` characters. */
export function renderPlanComment(markdown: string, marker: string, limit = commentBodyLimit): string {
  return fitPlanMarkdown(`${marker}\n`, markdown, {
    limit,
    size: (text) => text.length,
    detailsLeftOut:
      "_Field changes left out: the whole plan is longer than a comment can be. See the job's step summary._",
    closing: (n) =>
      `\n_… ${changes(n)} and the notes not shown: a comment holds at most ${limit} characters. See the job's step summary, or \`dgate-cli plan\`._\n`,
  });
}

/**
 * GitHub's limit on what one step writes to $GITHUB_STEP_SUMMARY: 1 MiB, beyond which the
 * summary is not shown at all. Kept a little under, for what other steps' tools add.
 */
export const stepSummaryLimit = 1024 * 1024 - 16 * 1024;

/** The markdown plan for $GITHUB_STEP_SUMMARY, cut to fit GitHub's limit in bytes. */
export function renderPlanSummary(markdown: string, limit = stepSummaryLimit): string {
  return fitPlanMarkdown('', markdown, {
    limit,
    size: (text) => Buffer.byteLength(text, 'utf8'),
    detailsLeftOut:
      '_Field changes left out: the whole plan is longer than a step summary can be. `dgate-cli plan` prints it whole._',
    closing: (n) =>
      `\n_… ${changes(n)} and the notes not shown: a step summary holds at most 1 MiB. \`dgate-cli plan\` prints the whole plan._\n`,
  });
}

/** The pull request a workflow run is for, from its event payload ($GITHUB_EVENT_PATH), or undefined. */
export function pullRequestNumberOf(event: unknown): number | undefined {
  const e = event as {
    pull_request?: { number?: unknown };
    issue?: { number?: unknown; pull_request?: unknown };
  } | null;
  const n = e?.pull_request?.number ?? (e?.issue?.pull_request ? e.issue.number : undefined);
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}
