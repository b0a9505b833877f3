import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What to do with one request. */
export type Fault =
  | { kind: 'pass' }
  /** Answered by the proxy with this status; the server never sees the request. */
  | { kind: 'status'; status: number; body?: string }
  /** The connection is cut before the request reaches the server. */
  | { kind: 'reset' }
  /** Never answered, never forwarded: the client times out. */
  | { kind: 'hang' }
  /** The request reaches the server and takes effect, but the answer is lost: the client cannot know. */
  | { kind: 'lost-response' }
  /** Passed on after a pause, to make an apply slow enough to interrupt or overlap. */
  | { kind: 'delay'; ms: number }
  /**
   * Answered by the proxy with this status and an error that echoes the request body, as some
   * servers do: the body as text, and a JSON body's `data` string again in base64 and in plain.
   */
  | { kind: 'echo'; status: number };

export interface ProxiedRequest {
  method: string;
  path: string;
  fault: Fault['kind'];
  at: number;
}

export interface FaultProxy {
  url: string;
  /** Every request seen, in order, with what was done to it. */
  log: ProxiedRequest[];
  /** Decides each request's fate; the default passes everything on. */
  setRule: (rule: (req: { method: string; path: string; index: number }) => Fault) => void;
  /**
   * Resolves once no request is on its way to the server: one held by a delay is still sent when
   * its client has gone (killed), and lands a little later.
   */
  settled: () => Promise<void>;
  close: () => Promise<void>;
}

/**
 * A fault-injecting HTTP proxy of ours, put between dgate-cli and a real dgate-server to test
 * what the tool does when the cluster misbehaves. Requests pass through unchanged unless the
 * rule says otherwise; a redirect's `Location` is left as DGate wrote it.
 */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const log: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  let rule: Parameters<FaultProxy['setRule']>[0] = () => ({ kind: 'pass' });
  // Requests passed on (or held to be passed on) and not yet answered by the server.
  let inFlight = 0;
  let waiters: (() => void)[] = [];
  const settle = () => {
    if (--inFlight > 0) return;
    for (const wake of waiters) wake();
    waiters = [];
  };

  const forward = (req: IncomingMessage, res: ServerResponse, lose: boolean) => {
    const upstream = httpRequest(
      {
        host: targetUrl.hostname,
        port: targetUrl.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: targetUrl.host },
      },
      (up) => {
        if (lose) {
          up.resume();
          up.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    upstream.once('close', settle);
    req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const fault = rule({ method, path, index: log.length });
    log.push({ method, path, fault: fault.kind, at: Date.now() });
    switch (fault.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'hang':
        return;
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(fault.body ?? JSON.stringify({ error: 'injected fault', status: fault.status }));
        return;
      case 'delay':
        inFlight++;
        setTimeout(() => forward(req, res, false), fault.ms);
        return;
      case 'echo': {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data = '';
          try {
            const parsed = JSON.parse(text) as { data?: unknown };
            if (typeof parsed.data === 'string') data = parsed.data;
          } catch {
            // not JSON: the raw echo is enough
          }
          const error = `invalid request body ${text}; data=${data} stored=${Buffer.from(data).toString('base64')}`;
          res.writeHead(fault.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error, status: fault.status }));
        });
        return;
      }
      default:
        inFlight++;
        forward(req, res, fault.kind === 'lost-response');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    setRule: (r) => {
      rule = r;
    },
    settled: () => (inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
