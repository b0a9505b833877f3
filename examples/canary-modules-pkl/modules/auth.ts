// The stable auth module: refuses requests without a bearer token.
export const requestModifier = (ctx: any) => {
  const header: string = ctx.request().headers.get('Authorization') || '';
  if (!header.startsWith('Bearer ')) throw new Error('missing bearer token');
};
