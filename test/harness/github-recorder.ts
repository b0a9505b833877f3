import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for GitHub's REST API, for the pull-request comment calls only. GitHub cannot be
 * reached from where these tests run, and this recorder is the one kind of stand-in they allow:
 * a local node:http server that records every request and answers as GitHub documents it
 * ("REST API endpoints for issue comments", "Using pagination in the REST API"):
 * - GET /repos/{owner}/{repo}/issues/{n}/comments: 200, `per_page` comments (default 30, at most
 *   100) of page `page`, with a Link header (rel="prev", "next", "last", "first") while there are
 *   other pages;
 * - POST /repos/{owner}/{repo}/issues/{n}/comments: 201 and the comment;
 * - PATCH /repos/{owner}/{repo}/issues/comments/{id}: 200 and the comment;
 * - 401 "Bad credentials" for a missing or wrong token, 403 "Resource not accessible by
 *   integration" for a token that may not write, 404 "Not Found" for another repository, issue
 *   or comment.
 */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface StoredComment {
  id: number;
  body: string;
}

export interface GithubRecorder {
  url: string;
  requests: RecordedRequest[];
  /** The comments of each issue, by number; tests may fill them in beforehand. */
  comments: Map<number, StoredComment[]>;
  /** When set, writes (POST, PATCH) answer 403, as for a read-only token. */
  readOnly: boolean;
  close(): Promise<void>;
}

const documentation = 'https://docs.github.com/rest/issues/comments';

export async function startGithubRecorder(opts: { repository: string; token: string }): Promise<GithubRecorder> {
  const requests: RecordedRequest[] = [];
  const comments = new Map<number, StoredComment[]>();
  let nextId = 1_000_001;
  const recorder: GithubRecorder = { url: '', requests, comments, readOnly: false, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const send = (status: number, json: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
        res.end(JSON.stringify(json));
      };
      const fail = (status: number, message: string) =>
        send(status, { message, documentation_url: documentation, status: String(status) });
      if (req.headers.authorization !== `Bearer ${opts.token}`) return fail(401, 'Bad credentials');
      const url = new URL(req.url ?? '/', 'http://recorder');
      const repo = `/repos/${opts.repository}`;
      const list = new RegExp(`^${repo}/issues/(\\d+)/comments$`).exec(url.pathname);
      const edit = new RegExp(`^${repo}/issues/comments/(\\d+)$`).exec(url.pathname);
      const asJson = (c: StoredComment, issue: number) => ({
        id: c.id,
        body: c.body,
        html_url: `https://github.com/${opts.repository}/pull/${issue}#issuecomment-${c.id}`,
        user: { login: 'github-actions[bot]', type: 'Bot' },
      });
      if (list && req.method === 'GET') {
        const issue = Number(list[1]);
        const all = comments.get(issue);
        if (!all) return fail(404, 'Not Found');
        const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30), 100);
        const page = Number(url.searchParams.get('page') ?? 1);
        const last = Math.max(1, Math.ceil(all.length / perPage));
        const pageUrl = (p: number) => {
          const u = new URL(url.toString());
          u.searchParams.set('page', String(p));
          return `<${recorder.url}${u.pathname}${u.search}>`;
        };
        const links = [
          ...(page > 1 ? [`${pageUrl(page - 1)}; rel="prev"`] : []),
          ...(page < last ? [`${pageUrl(page + 1)}; rel="next"`, `${pageUrl(last)}; rel="last"`] : []),
          ...(page > 1 ? [`${pageUrl(1)}; rel="first"`] : []),
        ];
        const slice = all.slice((page - 1) * perPage, page * perPage).map((c) => asJson(c, issue));
        return send(200, slice, links.length > 0 ? { link: links.join(', ') } : {});
      }
      if (list && req.method === 'POST') {
        const issue = Number(list[1]);
        const all = comments.get(issue);
        if (!all) return fail(404, 'Not Found');
        if (recorder.readOnly) return fail(403, 'Resource not accessible by integration');
        const comment = { id: nextId++, body: (JSON.parse(body) as { body: string }).body };
        all.push(comment);
        return send(201, asJson(comment, issue), { location: `${recorder.url}${repo}/issues/comments/${comment.id}` });
      }
      if (edit && req.method === 'PATCH') {
        const id = Number(edit[1]);
        for (const [issue, all] of comments) {
          const comment = all.find((c) => c.id === id);
          if (!comment) continue;
          if (recorder.readOnly) return fail(403, 'Resource not accessible by integration');
          comment.body = (JSON.parse(body) as { body: string }).body;
          return send(200, asJson(comment, issue));
        }
        return fail(404, 'Not Found');
      }
      return fail(404, 'Not Found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  recorder.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return recorder;
}
