import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPut } from '../harness/admin.js';
import { useOwnDgateNode } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

/**
 * The DGate v0.11.1 facts a canary's traffic split is built on (docs/dgate-quirks.md, "A module
 * can choose the upstream"; docs/canary.md). Each is shown on a real server with hand-written
 * modules, so that a DGate release that changes one fails here, by name, before the canaries do.
 */

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('a fetchUpstream module on a real dgate-server', () => {
  const node = useOwnDgateNode();
  let stable: Upstream;
  let other: Upstream;

  /** Puts a JavaScript module `pick` and a route `/pick/*` on service `stable` that runs it. */
  async function routeWith(source: string, stripPath = false): Promise<void> {
    await adminPut(node().adminUrl, 'module', {
      name: 'pick',
      namespace: 'f',
      moduleType: 'javascript',
      payload: b64(source),
    });
    await adminPut(node().adminUrl, 'route', {
      name: 'pick',
      namespace: 'f',
      paths: ['/pick/*'],
      methods: ['GET'],
      service: 'stable',
      modules: ['pick'],
      stripPath,
    });
  }

  async function get(path: string, headers: Record<string, string> = {}) {
    const res = await request(`${node().proxyUrl}${path}`, { headers });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      body: res.statusCode === 200 ? (JSON.parse(text) as { upstream: string; url: string }) : undefined,
    };
  }

  beforeAll(async () => {
    stable = await startUpstream('stable');
    other = await startUpstream('other');
    await adminPut(node().adminUrl, 'namespace', { name: 'f' });
    await adminPut(node().adminUrl, 'domain', { name: 'all', namespace: 'f', patterns: ['*'] });
    await adminPut(node().adminUrl, 'service', { name: 'stable', namespace: 'f', urls: [`${stable.url}/`] });
  });
  afterAll(async () => {
    await stable?.close();
    await other?.close();
  });

  it('sends each request to the URL fetchUpstream returns, a host the service does not list, path handled as for a service URL', async () => {
    // A plain (synchronous) function in a CommonJS script: no TypeScript, no promise.
    await routeWith(
      `exports.fetchUpstream = function (ctx) { return ${JSON.stringify(`${other.url}/base/`)}; };`,
      true,
    );
    const res = await get('/pick/x?q=1');
    expect(res.body).toEqual({ upstream: 'other', method: 'GET', url: '/base/x?q=1' });
  });

  it("reads the route's service URLs, request headers (any case), the Cookie header and the client IP", async () => {
    await routeWith(`exports.fetchUpstream = function (ctx) {
  var req = ctx.request();
  var seen = {
    urls: ctx.service().urls,
    force: req.headers.get('x-canary'),
    cookie: req.headers.get('Cookie'),
    ip: req.remoteAddress,
  };
  req.headers.set('X-Seen', JSON.stringify(seen));
  return ${JSON.stringify(`${other.url}/`)};
};`);
    const res = await get('/pick/seen', { 'X-Canary': 'always', cookie: 'a=1; canary=yes' });
    expect(res.status).toBe(200);
    const seen = JSON.parse(String(other.requests.find((r) => r.url === '/pick/seen')?.headers['x-seen']));
    expect(seen).toEqual({ urls: [`${stable.url}/`], force: 'always', cookie: 'a=1; canary=yes', ip: '127.0.0.1' });
  });

  it('fails the request (500) when the returned URL has no scheme: DGate appends "http://" instead of prepending it', async () => {
    await routeWith(
      `exports.fetchUpstream = function () { return ${JSON.stringify(other.url.replace('http://', ''))}; };`,
    );
    expect((await get('/pick/')).status).toBe(500);
    expect(other.requests.filter((r) => r.url === '/')).toHaveLength(0);
  });

  it('keeps top-level variables per runtime, and runs several runtimes of one module under concurrent requests', async () => {
    await routeWith(`var runtime = String(Math.random()).slice(2);
var served = 0;
exports.fetchUpstream = function (ctx) {
  served++;
  return ${JSON.stringify(`${other.url}/`)} + runtime + '/' + served;
};`);
    const answers = await Promise.all(Array.from({ length: 64 }, () => get('/pick/')));
    const byRuntime = new Map<string, number[]>();
    for (const a of answers) {
      // The upstream sees /<runtime>/<served>/pick/: the returned path, then the request's.
      const [runtime, served] = a.body!.url.slice(1).split('/');
      byRuntime.set(runtime!, [...(byRuntime.get(runtime!) ?? []), Number(served)]);
    }
    // More than one runtime served them, and each counted its own requests from 1 without a gap.
    expect(byRuntime.size).toBeGreaterThan(1);
    for (const counts of byRuntime.values())
      expect([...counts].sort((a, b) => a - b)).toEqual(counts.map((_, i) => i + 1));
  });

  it('runs a module update from the next request on, without the route being written again', async () => {
    await routeWith(`exports.fetchUpstream = function () { return ${JSON.stringify(`${stable.url}/`)}; };`);
    expect((await get('/pick/')).body?.upstream).toBe('stable');
    await adminPut(node().adminUrl, 'module', {
      name: 'pick',
      namespace: 'f',
      moduleType: 'javascript',
      payload: b64(`exports.fetchUpstream = function () { return ${JSON.stringify(`${other.url}/`)}; };`),
    });
    const after = await Promise.all(Array.from({ length: 20 }, () => get('/pick/')));
    expect(after.map((a) => a.body?.upstream)).toEqual(Array(20).fill('other'));
  });
});
