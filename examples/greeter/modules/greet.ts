// Answers at the edge with the greeting its module variables give (VARS, docs/modules.md).
export const requestHandler = (ctx: any) => {
  ctx.response().status(200).json({ message: `${VARS.greeting}, ${VARS.audience}`, limits: VARS.limits });
};
