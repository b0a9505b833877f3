// Bearer-token check, then forward. PARAMS and NAMES are defined by dgate-cli in the line above
// this file's first line.
//
// DGate v0.11 modules have no RSA or BigInt, so the signature is not checked here: the issuer
// checks it (userinfoUrl answers 200 only to a valid token). The claims are checked here first,
// so an expired or foreign token never costs a round trip.
import { fetch } from 'dgate/http';

const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** base64url (no padding) to text; there is no atob in DGate's runtime. */
function decodeBase64Url(input: string): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const ch of input.replace(/=+$/, '')) {
    const i = alphabet.indexOf(ch === '+' ? '-' : ch === '/' ? '_' : ch);
    if (i < 0) throw new Error('not base64url');
    value = (value << 6) | i;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((value >> bits) & 0xff);
    }
  }
  try {
    return decodeURIComponent(escape(out)); // UTF-8 claims
  } catch {
    return out;
  }
}

function claimsOf(token: string): any {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error('not a JWT');
  return JSON.parse(decodeBase64Url(parts[1]));
}

function reject(res: any, error: string, description: string) {
  res.headers.set('WWW-Authenticate', `Bearer error="${error}", error_description="${description}"`);
  res.status(401).json({ error, error_description: description });
}

export const requestHandler = async (ctx: any) => {
  const req = ctx.request();
  const res = ctx.response();
  const header = req.headers.get('Authorization') || '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) return reject(res, 'invalid_request', 'a bearer token is required');
  const token = m[1];
  let claims: any;
  try {
    claims = claimsOf(token);
  } catch (e) {
    return reject(res, 'invalid_token', 'the token is not a JWT');
  }
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp === 'number' && claims.exp <= now) return reject(res, 'invalid_token', 'the token has expired');
  if (claims.iss !== PARAMS.issuer) return reject(res, 'invalid_token', 'the token is from another issuer');
  if (PARAMS.audience) {
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(PARAMS.audience)) return reject(res, 'invalid_token', 'the token is for another audience');
  }
  const check = await fetch(PARAMS.userinfoUrl, { method: 'GET', headers: { Authorization: `Bearer ${token}` } });
  if (check.status !== 200) return reject(res, 'invalid_token', 'the issuer did not accept the token');
  const query = req.query.encode();
  const url = PARAMS.upstream.replace(/\/+$/, '') + req.path + (query ? `?${query}` : '');
  const headers: Record<string, string> = { 'X-Auth-Subject': String(claims.sub ?? '') };
  const contentType = req.headers.get('Content-Type');
  if (contentType) headers['Content-Type'] = contentType;
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const upstream = await fetch(url, { method: req.method, headers, body: hasBody ? String.fromCharCode(...new Uint8Array(req.readBody())) : '' });
  const text = await upstream.text();
  const upstreamType = upstream.headers.get('Content-Type');
  if (upstreamType) res.headers.set('Content-Type', upstreamType);
  res.status(upstream.status).end(text);
};
