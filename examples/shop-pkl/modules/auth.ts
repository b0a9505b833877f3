// Rejects requests without an API key header before they reach the upstream.
export const requestModifier = (ctx: any) => {
  const key = ctx.request().headers.get('X-Api-Key');
  if (!key) {
    ctx.response().status(401).json({ error: 'missing X-Api-Key' });
  }
};
