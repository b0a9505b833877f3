import { request } from 'undici';
import { findMarkedComment, type ListedComment, nextPageUrl } from '../ci/pr-comment.js';
import { DgateError } from '../errors/dgate-error.js';

/** Where and as whom dgate-cli talks to GitHub's REST API. The token is never put in a message. */
export interface GithubApi {
  /** $GITHUB_API_URL: https://api.github.com, or a GitHub Enterprise Server's /api/v3. */
  apiUrl: string;
  token: string;
  /** owner/name, as $GITHUB_REPOSITORY gives it. */
  repository: string;
  timeoutMs?: number;
}

/** What happened to the plan comment. */
export interface CommentResult {
  action: 'created' | 'updated';
  id: number;
  url: string;
}

interface Answer {
  status: number;
  json: unknown;
  link: string | undefined;
}

/** A path of the API (or a full URL, as Link headers give them), resolved against the API's base. */
function urlOf(api: GithubApi, pathOrUrl: string): string {
  if (/^https?:\/\//.test(pathOrUrl)) return pathOrUrl;
  return `${api.apiUrl.replace(/\/+$/, '')}${pathOrUrl}`;
}

async function call(
  api: GithubApi,
  method: 'GET' | 'POST' | 'PATCH',
  pathOrUrl: string,
  body?: unknown,
): Promise<Answer> {
  const url = urlOf(api, pathOrUrl);
  const shown = `${method} ${url.replace(/\?.*$/, '')}`;
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(url, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${api.token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'dgate-cli',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: api.timeoutMs ?? 30_000,
      bodyTimeout: api.timeoutMs ?? 30_000,
    });
  } catch (err) {
    throw new DgateError({
      code: 'DG4003',
      message: `${shown} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      hint: 'check $GITHUB_API_URL and that the runner can reach it',
    });
  }
  const text = await res.body.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  if (res.statusCode >= 200 && res.statusCode < 300) {
    const link = res.headers.link;
    return { status: res.statusCode, json, link: Array.isArray(link) ? link.join(', ') : link };
  }
  // GitHub's own words (its JSON `message`), never the request, whose headers hold the token.
  const said = (json as { message?: unknown } | undefined)?.message;
  const why = typeof said === 'string' ? `: ${said.slice(0, 200)}` : '';
  if (res.statusCode === 401)
    throw new DgateError({
      code: 'DG4002',
      message: `GitHub refused the token (${shown} answered 401${why})`,
      hint: 'set GITHUB_TOKEN to a valid token (in a workflow, the job token: github.token)',
    });
  if (res.statusCode === 403)
    throw new DgateError({
      code: 'DG4002',
      message: `GitHub did not allow the request (${shown} answered 403${why})`,
      hint: 'give the job `permissions: { pull-requests: write }` (a token from a fork has no write access), or wait out a rate limit',
    });
  if (res.statusCode === 404)
    throw new DgateError({
      code: 'DG4003',
      message: `GitHub found no such repository or pull request (${shown} answered 404${why})`,
      hint: 'check $GITHUB_REPOSITORY and the event payload; a token that cannot see a private repository gets 404 too',
    });
  throw new DgateError({
    code: 'DG4003',
    message: `GitHub answered ${res.statusCode} to ${shown}${why}`,
    hint: 'try again; the plan itself was made and printed',
  });
}

/** Every comment of an issue or pull request, following the Link header's rel="next" page by page. */
export async function fetchIssueComments(api: GithubApi, issue: number): Promise<ListedComment[]> {
  const all: ListedComment[] = [];
  let next: string | undefined = `/repos/${api.repository}/issues/${issue}/comments?per_page=100`;
  for (let pages = 0; next !== undefined && pages < 1000; pages++) {
    const answer = await call(api, 'GET', next);
    if (!Array.isArray(answer.json))
      throw new DgateError({
        code: 'DG4003',
        message: `GitHub answered the list of comments with something that is not a list`,
        hint: 'check $GITHUB_API_URL: it should name the REST API (https://api.github.com)',
      });
    all.push(...(answer.json as ListedComment[]));
    next = nextPageUrl(answer.link);
  }
  return all;
}

/**
 * One comment on the pull request, kept up to date: the comment whose body starts with `marker`
 * is edited (PATCH, 200), and when there is none one is created (POST, 201).
 */
export async function upsertMarkedComment(
  api: GithubApi,
  pullRequest: number,
  marker: string,
  body: string,
): Promise<CommentResult> {
  const existing = findMarkedComment(await fetchIssueComments(api, pullRequest), marker);
  const answer = existing
    ? await call(api, 'PATCH', `/repos/${api.repository}/issues/comments/${existing.id}`, { body })
    : await call(api, 'POST', `/repos/${api.repository}/issues/${pullRequest}/comments`, { body });
  const made = answer.json as { id?: number; html_url?: string } | undefined;
  return {
    action: existing ? 'updated' : 'created',
    id: made?.id ?? existing?.id ?? 0,
    url: made?.html_url ?? '',
  };
}
