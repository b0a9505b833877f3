// Refuses requests without a bearer token (a stand-in for real authentication).
export const requestModifier = (ctx: any) => {
  const auth = ctx.request().headers.get('Authorization') ?? '';
  if (!auth.startsWith('Bearer ')) {
    const res = ctx.response();
    res.status(401).json({ error: 'missing bearer token' });
  }
};
