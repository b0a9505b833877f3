import { raftConfigurationPath, raftServerUrls } from './admin-api.js';
import { heldSecrets } from '../io/held-secrets.js';
import { readFileSync } from 'node:fs';
import { Agent, request, type Dispatcher } from 'undici';
import { DgateError } from '../errors/dgate-error.js';
import { credentialsHint, hasCredentials, redactCredentials } from '../model/admin-url.js';
import { listProblem, shapeProblem, type Shape } from '../model/wire-shape.js';

/** How to reach and authenticate against one DGate admin API. */
export interface ClientOptions {
  /** e.g. http://127.0.0.1:9080 (any node of a raft cluster). */
  baseUrl: string;
  /** Key auth: sent as `X-DGate-Key` (or `keyHeader`). */
  key?: string;
  keyHeader?: string;
  /** Basic auth. */
  username?: string;
  password?: string;
  /** PEM file of a private CA to verify the admin API's TLS certificate with. */
  caFile?: string;
  /** Per-request timeout. Module writes can take seconds (DGate transpiles TypeScript), so 30 s by default. */
  timeoutMs?: number;
  /** Concurrent connections to the admin API. */
  connections?: number;
}

export const defaultAdminUrl = 'http://127.0.0.1:9080';

/** Client options from flags and the environment: credentials come only from the environment, never argv. */
export function clientOptionsFrom(
  flags: { admin?: string; caFile?: string; timeoutMs?: number },
  env: NodeJS.ProcessEnv,
): ClientOptions {
  const baseUrl = (flags.admin ?? env.DGATE_ADMIN_URL ?? defaultAdminUrl).replace(/\/+$/, '');
  const from = flags.admin !== undefined ? '--admin' : '$DGATE_ADMIN_URL';
  const shown = redactCredentials(baseUrl);
  if (hasCredentials(baseUrl)) {
    throw new DgateError({
      code: 'DG2007',
      message: `the admin URL '${shown}' (${from}) has credentials written into it, which dgate-cli does not send`,
      hint: credentialsHint,
    });
  }
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new DgateError({
      code: 'DG2007',
      message: `the admin URL '${shown}' is not a URL`,
      hint: `write it as http://host:9080 (from ${from})`,
    });
  }
  if (!['http:', 'https:'].includes(parsed.protocol)) {
    throw new DgateError({
      code: 'DG2007',
      message: `the admin URL '${shown}' must start with http:// or https://`,
      hint: 'e.g. --admin http://127.0.0.1:9080',
    });
  }
  return {
    baseUrl,
    key: env.DGATE_ADMIN_KEY || undefined,
    keyHeader: env.DGATE_ADMIN_KEY_HEADER || undefined,
    username: env.DGATE_ADMIN_USER || undefined,
    password: env.DGATE_ADMIN_PASSWORD || undefined,
    caFile: flags.caFile,
    timeoutMs: flags.timeoutMs,
  };
}

export interface AdminResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  text: string;
}

const retryableStatus = new Set([502, 503, 504]);
const retryableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ETIMEDOUT', 'EAI_AGAIN']);

/**
 * The one admin-API client every command uses. Reads retry with backoff on connection errors and
 * 502/503/504 (a raft cluster electing a leader answers 503). Writes are never retried: DGate
 * applies a write before answering, so a repeat could apply it twice. The 307 a raft follower
 * sends for a write is followed by hand, resending method, body and credentials to the leader.
 */
export class AdminClient {
  readonly baseUrl: string;
  private readonly dispatcher: Dispatcher;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  readonly options: ClientOptions;

  constructor(opts: ClientOptions) {
    this.options = opts;
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    let ca: string | undefined;
    if (opts.caFile) {
      try {
        ca = readFileSync(opts.caFile, 'utf8');
      } catch (err) {
        throw new DgateError({
          code: 'DG2007',
          message: `cannot read --ca-file '${opts.caFile}': ${(err as NodeJS.ErrnoException).code}`,
          hint: 'name a PEM file holding the CA certificate',
        });
      }
    }
    this.dispatcher = new Agent({ connections: opts.connections ?? 16, connect: ca ? { ca } : undefined });
    this.headers = { 'user-agent': 'dgate-cli', accept: 'application/json' };
    if (opts.key) this.headers[(opts.keyHeader ?? 'X-DGate-Key').toLowerCase()] = opts.key;
    if (opts.username !== undefined) {
      this.headers.authorization = `Basic ${Buffer.from(`${opts.username}:${opts.password ?? ''}`).toString('base64')}`;
    }
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }

  /** GET `/api/v1/<path>` and return the envelope's `data`. */
  async getData<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const res = await this.send('GET', `/api/v1${path}`, query);
    return this.expectData<T>(res, 'GET', `/api/v1${path}`);
  }

  /** GET a list whose items must have `item`'s shape (a null list is empty). */
  async getList<T>(path: string, query: Record<string, string>, item: Shape): Promise<T[]> {
    const data = await this.getData<unknown>(path, query);
    const problem = listProblem(data, item);
    if (problem) throw this.malformed('GET', `/api/v1${path}`, query, problem);
    return (data ?? []) as T[];
  }

  /** GET one object that must have `shape`. */
  async getObject<T>(path: string, query: Record<string, string>, shape: Shape): Promise<T> {
    const data = await this.getData<unknown>(path, query);
    const problem = shapeProblem(data, shape);
    if (problem) throw this.malformed('GET', `/api/v1${path}`, query, problem);
    return data as T;
  }

  /** A raw call, for endpoints without the standard envelope. Non-2xx statuses are returned, not thrown. */
  async send(
    method: 'GET' | 'PUT' | 'DELETE',
    path: string,
    query: Record<string, string> = {},
    body?: unknown,
  ): Promise<AdminResponse> {
    const attempts = method === 'GET' ? 4 : 1;
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 3 ** (attempt - 1)));
      try {
        const res = await this.sendOnce(method, this.url(path, query), body, 0);
        if (method === 'GET' && retryableStatus.has(res.status) && attempt < attempts - 1) {
          lastError = undefined;
          continue;
        }
        return res;
      } catch (err) {
        lastError = err;
        const code = (err as { code?: string }).code ?? '';
        if (!(err instanceof DgateError) && retryableCodes.has(code) && attempt < attempts - 1) continue;
        throw this.explain(err, method, path);
      }
    }
    throw this.explain(lastError, method, path);
  }

  /**
   * The admin URL of the raft leader when this node is a follower (from `/readyz`'s X-Raft-State
   * and X-Raft-Leader), else undefined. Followers apply committed writes a moment later, so an
   * apply reads back from the leader.
   */
  async leaderUrl(): Promise<string | undefined> {
    const res = await this.send('GET', '/readyz');
    const state = res.headers['x-raft-state'];
    const leader = res.headers['x-raft-leader'];
    if (typeof state !== 'string' || state.toLowerCase() === 'leader' || typeof leader !== 'string' || !leader)
      return undefined;
    return `${new URL(this.baseUrl).protocol}//${leader}`;
  }

  /** `X-DGate-ChangeHash` from `GET /`: changes with every write the node applies. */
  async changeHash(): Promise<string> {
    const res = await this.send('GET', '/');
    const hash = res.headers['x-dgate-changehash'];
    if (res.status !== 200 || typeof hash !== 'string') throw this.unexpected(res, 'GET', '/');
    return hash;
  }

  private url(path: string, query: Record<string, string>): string {
    const qs = new URLSearchParams(query).toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  private async sendOnce(method: string, url: string, body: unknown, hops: number): Promise<AdminResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const res = await request(url, {
      method: method as Dispatcher.HttpMethod,
      dispatcher: this.dispatcher,
      headers: payload === undefined ? this.headers : { ...this.headers, 'content-type': 'application/json' },
      body: payload,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode === 307 && typeof res.headers.location === 'string' && hops < 3) {
      // DGate's Location is scheme-relative (//leader:port/path): resolve it against this request.
      return this.sendOnce(method, new URL(res.headers.location, url).toString(), body, hops + 1);
    }
    let parsed: unknown;
    if (text.length > 0) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    return { status: res.statusCode, headers: res.headers, body: parsed, text };
  }

  expectData<T>(res: AdminResponse, method: string, path: string): T {
    if (res.status === 401) throw this.unauthorized();
    if (res.status < 200 || res.status >= 300 || !res.body || typeof res.body !== 'object' || !('data' in res.body)) {
      throw this.unexpected(res, method, path);
    }
    return (res.body as { data: T }).data;
  }

  unauthorized(): DgateError {
    return new DgateError({
      code: 'DG2002',
      message: `the DGate admin API at ${this.baseUrl} refused the credentials (401)`,
      hint: 'set DGATE_ADMIN_KEY for key auth, or DGATE_ADMIN_USER and DGATE_ADMIN_PASSWORD for basic auth',
    });
  }

  unexpected(res: AdminResponse, method: string, path: string): DgateError {
    if (res.status === 401) return this.unauthorized();
    const apiError =
      res.body && typeof res.body === 'object' && 'error' in res.body
        ? String((res.body as { error: unknown }).error)
        : undefined;
    // Server text may echo a request body, secret included: held values are masked at once.
    const snippet = heldSecrets.redact(apiError ?? res.text.replace(/\s+/g, ' ').slice(0, 120));
    return new DgateError({
      code: 'DG2003',
      message: `unexpected answer from ${this.baseUrl} to ${method} ${path}: ${res.status}${snippet ? ` ${snippet}` : ''}`,
      hint:
        res.status >= 500
          ? 'the cluster is unhealthy or electing a leader: check its /readyz and logs, then try again'
          : apiError
            ? 'the admin API rejected the request; check the resource named above'
            : 'check that the URL is a DGate admin API (port 9080 by default), not the proxy port',
    });
  }

  /** An answer whose status is right and whose body has the wrong shape, naming what is wrong. */
  malformed(method: string, path: string, query: Record<string, string>, problem: string): DgateError {
    const qs = new URLSearchParams(query).toString();
    return new DgateError({
      code: 'DG2003',
      message: `unexpected answer from ${this.baseUrl} to ${method} ${path}${qs ? `?${qs}` : ''}: ${problem}`,
      hint: 'a DGate v0.11 admin API does not answer so: check that --admin names one, and not another server or a proxy that rewrites answers',
    });
  }

  private explain(err: unknown, method: string, path: string): DgateError {
    if (err instanceof DgateError) return err;
    const code = (err as { code?: string }).code ?? '';
    const message = (err as Error)?.message ?? String(err);
    if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
      return new DgateError({
        code: 'DG2004',
        message: `${method} ${path} at ${this.baseUrl} got no answer within ${this.timeoutMs / 1000}s`,
        hint: 'the node may be overloaded or wedged by an earlier failed write (restart it); raise --timeout if it is just slow',
        cause: err,
      });
    }
    if (
      /certificate|self.signed|unable to verify/i.test(message) ||
      code.startsWith('ERR_TLS') ||
      code.includes('CERT')
    ) {
      return new DgateError({
        code: 'DG2005',
        message: `TLS verification of ${this.baseUrl} failed: ${message}`,
        hint: 'pass the CA that signed its certificate with --ca-file',
        cause: err,
      });
    }
    return new DgateError({
      code: 'DG2001',
      message: `cannot reach the DGate admin API at ${this.baseUrl}: ${code || message}`,
      hint: 'check that dgate-server is running and that --admin or DGATE_ADMIN_URL names its admin address',
      cause: err,
    });
  }
}

/**
 * The admin URLs of the servers of the raft cluster `client` belongs to (its advertised
 * addresses, reached with the client's protocol), or undefined when it is no raft node or the
 * list cannot be read. Convergence and canary checks read every node this way.
 */
export async function raftServerUrlsOf(client: AdminClient): Promise<string[] | undefined> {
  const res = await client.send('GET', raftConfigurationPath).catch(() => undefined);
  const urls = res && res.status === 200 ? raftServerUrls(res.body, new URL(client.baseUrl).protocol) : undefined;
  return urls && urls.length > 0 ? urls : undefined;
}
