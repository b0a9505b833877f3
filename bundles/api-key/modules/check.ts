// API-key check, then forward. PARAMS (the instance's parameters) is defined by dgate-cli in the
// line above this file's first line.
import { createHash } from 'dgate/crypto';
import { fetch } from 'dgate/http';

export const requestHandler = async (ctx: any) => {
  const req = ctx.request();
  const res = ctx.response();
  const key = req.headers.get(PARAMS.header);
  if (!key) {
    res.status(401).json({ error: `missing ${PARAMS.header} header` });
    return;
  }
  const digest = createHash('sha256').update(key).digest('hex');
  if (!PARAMS.keySha256.includes(digest)) {
    res.status(401).json({ error: 'invalid API key' });
    return;
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
