// Fixed-window rate limit, then forward. PARAMS and NAMES are defined by dgate-cli in the line
// above this file's first line.
//
// Counts live in this module's memory: DGate v0.11 keeps one runtime per module on a node and
// its shared cache (dgate/storage) never finds what it stored. So the limit is per DGate node,
// and starts afresh when the module is applied again or the node restarts.
import { fetch } from 'dgate/http';

const windows = new Map<string, { window: number; count: number }>();

export const requestHandler = async (ctx: any) => {
  const req = ctx.request();
  const res = ctx.response();
  const client = (PARAMS.clientHeader && req.headers.get(PARAMS.clientHeader)) || req.remoteAddress;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const window = Math.floor(nowSeconds / PARAMS.windowSeconds);
  const resetIn = PARAMS.windowSeconds - (nowSeconds % PARAMS.windowSeconds);
  let entry = windows.get(client);
  if (!entry || entry.window !== window) {
    if (windows.size > 10000) windows.clear(); // a bound on memory: old windows are worthless anyway
    entry = { window, count: 0 };
    windows.set(client, entry);
  }
  entry.count++;
  res.headers.set('RateLimit-Limit', String(PARAMS.limit));
  res.headers.set('RateLimit-Remaining', String(Math.max(0, PARAMS.limit - entry.count)));
  res.headers.set('RateLimit-Reset', String(resetIn));
  if (entry.count > PARAMS.limit) {
    res.headers.set('Retry-After', String(resetIn));
    return res.status(429).json({ error: 'too many requests', retryAfterSeconds: resetIn });
  }
  const query = req.query.encode();
  const url = PARAMS.upstream.replace(/\/+$/, '') + req.path + (query ? `?${query}` : '');
  const headers: Record<string, string> = {};
  const contentType = req.headers.get('Content-Type');
  if (contentType) headers['Content-Type'] = contentType;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const upstream = await fetch(url, { method: req.method, headers, body: hasBody ? String.fromCharCode(...new Uint8Array(req.readBody())) : '' });
  const text = await upstream.text();
  const upstreamType = upstream.headers.get('Content-Type');
  if (upstreamType) res.headers.set('Content-Type', upstreamType);
  res.status(upstream.status).end(text);
};
