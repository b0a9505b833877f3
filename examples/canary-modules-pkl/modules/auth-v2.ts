// auth-v2, the new version: also takes the token from the access_token cookie, and tells the
// upstream which version let the request in.
export const requestModifier = (ctx: any) => {
  const req = ctx.request();
  const header: string = req.headers.get('Authorization') || '';
  const cookie: string = req.headers.get('Cookie') || '';
  const fromCookie = /(?:^|;\s*)access_token=([^;]+)/.exec(cookie);
  if (!header.startsWith('Bearer ') && !fromCookie) throw new Error('missing bearer token');
  if (!header && fromCookie) req.headers.set('Authorization', `Bearer ${fromCookie[1]}`);
  req.headers.set('X-Auth-Version', 'v2');
};
