// Staging only: echo the upstream's timing in a response header.
function responseModifier(ctx) {
  ctx.upstream().headers.set('X-Debug', 'staging');
}
module.exports = { responseModifier };
