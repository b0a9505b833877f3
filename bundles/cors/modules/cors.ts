// Adds the CORS headers to every answer the service gives on the bundle's paths.
// PARAMS (the instance's parameters) is defined by dgate-cli in the line above this file's first line.

export const responseModifier = (ctx: any) => {
  const res = ctx.upstream();
  const origin = ctx.request().headers.get('Origin');
  const allowed = !origin ? null : PARAMS.origins.includes('*') ? '*' : PARAMS.origins.includes(origin) ? origin : null;
  if (!allowed) return;
  res.headers.set('Access-Control-Allow-Origin', allowed);
  if (allowed !== '*') res.headers.set('Vary', 'Origin');
};
