// The preflight (OPTIONS) of the bundle's paths: answered here, never sent upstream.
// PARAMS (the instance's parameters) is defined by dgate-cli in the line above this file's first line.

export const requestHandler = (ctx: any) => {
  const req = ctx.request();
  const res = ctx.response();
  const origin = req.headers.get('Origin');
  const allowed = !origin ? null : PARAMS.origins.includes('*') ? '*' : PARAMS.origins.includes(origin) ? origin : null;
  if (allowed) {
    res.headers.set('Access-Control-Allow-Origin', allowed);
    if (allowed !== '*') res.headers.set('Vary', 'Origin');
    res.headers.set('Access-Control-Allow-Methods', PARAMS.methods.join(', '));
    res.headers.set('Access-Control-Allow-Headers', PARAMS.headers.join(', '));
    res.headers.set('Access-Control-Max-Age', String(PARAMS.maxAgeSeconds));
  }
  res.status(204).end('');
};
