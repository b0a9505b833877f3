// Checkout v1, the stable version: tags each request so the upstream can tell the versions apart.
function requestModifier(ctx) {
  ctx.request().headers.set('X-Checkout-Version', '1');
}
module.exports = { requestModifier };
