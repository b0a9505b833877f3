import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DgateError } from '../../../src/errors/dgate-error.js';
import { fetchIssueComments, upsertMarkedComment } from '../../../src/io/github-api.js';
import { type GithubRecorder, startGithubRecorder } from '../../harness/github-recorder.js';

// GitHub cannot be reached from here: these tests talk to a local recorder (test/harness/github-recorder.ts),
// the only stand-in allowed, which answers with GitHub's documented status codes and Link pagination.
const token = 'ghs_testtoken1234567890';
const repository = 'acme/gateway';

describe('the GitHub comment API', () => {
  let gh: GithubRecorder;
  beforeAll(async () => {
    gh = await startGithubRecorder({ repository, token });
  });
  afterAll(() => gh.close());
  const api = () => ({ apiUrl: gh.url, token, repository });

  it('lists every page of comments by following Link rel="next"', async () => {
    gh.comments.set(
      1,
      Array.from({ length: 230 }, (_, i) => ({ id: i + 1, body: `c${i}` })),
    );
    gh.requests.length = 0;
    const all = await fetchIssueComments(api(), 1);
    expect(all.map((c) => c.id)).toEqual(Array.from({ length: 230 }, (_, i) => i + 1));
    expect(gh.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/gateway/issues/1/comments?per_page=100',
      'GET /repos/acme/gateway/issues/1/comments?per_page=100&page=2',
      'GET /repos/acme/gateway/issues/1/comments?per_page=100&page=3',
    ]);
    expect(gh.requests[0]!.headers).toMatchObject({
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'dgate-cli',
    });
  });

  it('creates the comment once (201), then updates that same one (200), found on a later page', async () => {
    gh.comments.set(
      7,
      Array.from({ length: 150 }, (_, i) => ({ id: 5000 + i, body: `review ${i}` })),
    );
    gh.requests.length = 0;
    const created = await upsertMarkedComment(api(), 7, '<!-- m -->', '<!-- m -->\nfirst');
    expect(created).toMatchObject({ action: 'created', url: expect.stringContaining('#issuecomment-') });
    expect(gh.requests.at(-1)).toMatchObject({ method: 'POST', url: '/repos/acme/gateway/issues/7/comments' });
    expect(JSON.parse(gh.requests.at(-1)!.body)).toEqual({ body: '<!-- m -->\nfirst' });
    gh.comments.get(7)!.push({ id: 9999, body: 'a later review' });

    gh.requests.length = 0;
    const updated = await upsertMarkedComment(api(), 7, '<!-- m -->', '<!-- m -->\nsecond');
    expect(updated).toMatchObject({ action: 'updated', id: created.id });
    expect(gh.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /repos/acme/gateway/issues/7/comments?per_page=100',
      'GET /repos/acme/gateway/issues/7/comments?per_page=100&page=2',
      `PATCH /repos/acme/gateway/issues/comments/${created.id}`,
    ]);
    const ours = gh.comments.get(7)!.filter((c) => c.body.startsWith('<!-- m -->'));
    expect(ours).toEqual([{ id: created.id, body: '<!-- m -->\nsecond' }]);
  });

  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DgateError);
    const e = err as DgateError;
    expect(`${e.message} ${e.hint}`).not.toContain(token);
    return { code: e.code, message: e.message, hint: e.hint };
  };

  it('a bad token is DG4002 (401), with a hint, and the token is never in the message', async () => {
    gh.comments.set(2, []);
    expect(await failure(upsertMarkedComment({ ...api(), token: 'wrong-token' }, 2, '<!-- m -->', 'x'))).toEqual({
      code: 'DG4002',
      message: `GitHub refused the token (GET ${gh.url}/repos/acme/gateway/issues/2/comments answered 401: Bad credentials)`,
      hint: 'set GITHUB_TOKEN to a valid token (in a workflow, the job token: github.token)',
    });
  });

  it('a token that may not write is DG4002 (403); an unknown pull request DG4003 (404); nothing listening DG4003', async () => {
    gh.comments.set(3, []);
    gh.readOnly = true;
    try {
      const refused = await failure(upsertMarkedComment(api(), 3, '<!-- m -->', 'x'));
      expect(refused).toMatchObject({
        code: 'DG4002',
        message: `GitHub did not allow the request (POST ${gh.url}/repos/acme/gateway/issues/3/comments answered 403: Resource not accessible by integration)`,
      });
      expect(refused.hint).toMatch(/pull-requests: write/);
    } finally {
      gh.readOnly = false;
    }
    expect(await failure(upsertMarkedComment(api(), 404404, '<!-- m -->', 'x'))).toMatchObject({
      code: 'DG4003',
      message: `GitHub found no such repository or pull request (GET ${gh.url}/repos/acme/gateway/issues/404404/comments answered 404: Not Found)`,
    });
    expect(await failure(fetchIssueComments({ ...api(), apiUrl: 'http://127.0.0.1:9' }, 1))).toMatchObject({
      code: 'DG4003',
      message: 'GET http://127.0.0.1:9/repos/acme/gateway/issues/1/comments failed: ECONNREFUSED',
    });
  });
});
