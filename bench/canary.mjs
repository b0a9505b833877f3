#!/usr/bin/env node
// What a canary split costs a request, run by `npm run bench` (or alone: `node bench/canary.mjs`).
// One local dgate-server (metrics on, as canaries with checks run) and one upstream; three routes
// to it: one without a module (the baseline), one with the generated split module at 0% and one
// at 50% (both versions are the same upstream, so only the split differs). Requests are sent one
// at a time, interleaved route by route, so that all three see the same machine; the figures are
// the added latency over the baseline measured in this run, and its ratio.
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
    const routes = [
      { name: 'plain', weight: undefined },
      { name: 'split0', weight: 0 },
      { name: 'split50', weight: 50 },
    ];
    for (const r of routes) {
      const modules = [];
      if (r.weight !== undefined) {
        const module = canaryModuleName(r.name);
        const source = splitModuleSource(ns, { route: r.name, service: 'next', weight: r.weight }, [url]);
        await put(node.adminUrl, 'module', {
          name: module,
          namespace: ns,
          moduleType: 'javascript',
          payload: Buffer.from(source).toString('base64'),
        });
        modules.push(module);
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
    const base = { p50: quantile(times.plain, 0.5), p99: quantile(times.plain, 0.99) };
    console.log(
      `\ncanary split: latency a request adds (${requests} requests per route, one at a time, interleaved)\n`,
    );
    console.log('| route | p50 | added p50 | p50 of the baseline | p99 | p99 of the baseline |');
    console.log('|---|---|---|---|---|---|');
    for (const r of routes) {
      const p50 = quantile(times[r.name], 0.5);
      const p99 = quantile(times[r.name], 0.99);
      const label = r.weight === undefined ? 'no module (baseline)' : `split module at ${r.weight}%`;
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
