// Checkout v2: tags each request so the upstream can tell the versions apart.
function requestModifier(ctx) {
  ctx.request().headers.set('X-Checkout-Version', '2');
}
module.exports = { requestModifier };
