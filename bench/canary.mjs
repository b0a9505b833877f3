#!/usr/bin/env node
// What a canary split costs a request, run by `npm run bench` (or alone: `node bench/canary.mjs`).
// One local dgate-server (metrics on, as canaries with checks run) and one upstream; routes to it:
// one without a module (the baseline), one with the generated split module at 0% and one at 50%
// (both versions are the same upstream, so only the split differs); and for a module canary, one
// running a module `auth` (its baseline) and one with auth's canary `auth-v2` (the same code) at
// 50%, where the generated module stands in front and calls the chosen one. Requests are sent one
// at a time, interleaved route by route, so that all see the same machine; the figures are the
// added latency over each baseline measured in this run, and its ratio.
import { createServer } from 'node:http';
import { request, Agent } from 'undici';
import { resolveDgateServer, startDgateNode, stopDgateNode } from '../dist/io/local-server.js';
import { canaryModuleName } from '../dist/model/canary.js';
import { splitModuleSource } from '../dist/compile/canary.js';

const requests = Number(process.env.BENCH_CANARY_REQUESTS ?? 3000);
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function put(adminUrl, kind, body) {
  const res = await request(`${adminUrl}/api/v1/${kind}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`PUT ${kind}: ${res.statusCode} ${text}`);
}

export async function benchCanary() {
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${upstream.address().port}/`;
  const binary = await resolveDgateServer({ install: false });
  const node = await startDgateNode({ binary, extraConfig: { disable_metrics: false } });
  const agent = new Agent({ connections: 1, pipelining: 1 });
  try {
    const ns = 'bench';
    await put(node.adminUrl, 'namespace', { name: ns });
    await put(node.adminUrl, 'domain', { name: 'all', namespace: ns, patterns: ['*'] });
    await put(node.adminUrl, 'service', { name: 'stable', namespace: ns, urls: [url] });
    await put(node.adminUrl, 'service', { name: 'next', namespace: ns, urls: [url] });
    const auth = "exports.requestModifier = function (ctx) { ctx.request().headers.set('X-Auth', 'checked'); };";
    for (const name of ['auth', 'auth-v2'])
      await put(node.adminUrl, 'module', {
        name,
        namespace: ns,
        moduleType: 'javascript',
        payload: Buffer.from(auth).toString('base64'),
      });
    const routes = [
      { name: 'plain', weight: undefined, label: 'no module (baseline)' },
      { name: 'split0', weight: 0, label: 'split module at 0%', base: 'plain' },
      { name: 'split50', weight: 50, label: 'split module at 50%', base: 'plain' },
      { name: 'auth', weight: undefined, own: ['auth'], label: 'module auth (baseline of the module canary)' },
      {
        name: 'mod50',
        weight: 50,
        own: ['auth'],
        module: 'auth-v2',
        label: 'module canary auth → auth-v2 at 50%',
        base: 'auth',
      },
    ];
    for (const r of routes) {
      const modules = [...(r.own ?? [])];
      if (r.weight !== undefined) {
        const entry = r.own?.[0];
        const module = canaryModuleName(r.name, entry !== undefined);
        const rule =
          r.module !== undefined
            ? { route: r.name, module: r.module, entry, weight: r.weight }
            : { route: r.name, service: 'next', weight: r.weight };
        const source = splitModuleSource(ns, rule, [url]);
        await put(node.adminUrl, 'module', {
          name: module,
          namespace: ns,
          moduleType: 'javascript',
          payload: Buffer.from(source).toString('base64'),
        });
        modules.push(module, ...(r.module !== undefined ? [r.module] : []));
      }
      await put(node.adminUrl, 'route', {
        name: r.name,
        namespace: ns,
        paths: [`/${r.name}/*`],
        methods: ['GET'],
        service: 'stable',
        modules,
      });
    }
    const times = Object.fromEntries(routes.map((r) => [r.name, []]));
    const once = async (name) => {
      const start = process.hrtime.bigint();
      const res = await request(`${node.proxyUrl}/${name}/x`, { dispatcher: agent });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode}`);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    // Warm up: each route's module runtime is made on its first requests.
    for (let i = 0; i < 200; i++) for (const r of routes) await once(r.name);
    for (let i = 0; i < requests; i++) for (const r of routes) times[r.name].push(await once(r.name));
    const baseOf = (name) => ({ p50: quantile(times[name], 0.5), p99: quantile(times[name], 0.99) });
    console.log(
      `\ncanary split: latency a request adds (${requests} requests per route, one at a time, interleaved)\n`,
    );
    console.log('| route | p50 | added p50 | p50 of the baseline | p99 | p99 of the baseline |');
    console.log('|---|---|---|---|---|---|');
    for (const r of routes) {
      const base = baseOf(r.base ?? r.name);
      const p50 = quantile(times[r.name], 0.5);
      const p99 = quantile(times[r.name], 0.99);
      const label = r.label;
      console.log(
        `| ${label} | ${p50.toFixed(2)} ms | ${(p50 - base.p50).toFixed(2)} ms | ${(p50 / base.p50).toFixed(2)}× | ${p99.toFixed(2)} ms | ${(p99 / base.p99).toFixed(2)}× |`,
      );
    }
  } finally {
    await agent.close();
    await stopDgateNode(node);
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCanary();
