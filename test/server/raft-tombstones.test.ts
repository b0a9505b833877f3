import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DgateCluster } from '../../src/io/local-server.js';
import { tombstoneTag } from '../../src/model/tombstones.js';
import { adminCall } from '../harness/admin.js';
import { dgateCli, type CliResult } from '../harness/cli.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../harness/fault-proxy.js';
import { useTempDirs } from '../harness/fixtures.js';
import { killDgateCluster, startTestCluster } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

/**
 * A failed apply on a raft cluster cannot delete what it created (DGate v0.11.1's leader wedges on
 * deletes), so it leaves tombstones: for a fault at every write of an apply made through a
 * follower, the cluster must afterwards behave as before, plan clean against the old config
 * (listing the tombstones), and take the new config over them.
 */

const env = { TOMB_SECRET: 'tomb-secret-value' };

/** The config every case starts from: one route, reachable at Host tomb.test. */
function oldConfig(upstream: string): string {
  return `version: v1
namespaces:
  - name: tomb
    services:
      - { name: base, urls: ["${upstream}/"] }
    routes:
      - { name: r-base, paths: [/base], methods: [GET], service: base }
    domains:
      - { name: d-base, patterns: [tomb.test] }
`;
}

/** The new config of one case: every kind that can be made a tombstone, named apart per case. */
function newConfig(upstream: string, tag: string): string {
  return `version: v1
namespaces:
  - name: tomb
    services:
      - { name: base, urls: ["${upstream}/"] }
      - { name: svc-${tag}, urls: ["${upstream}/"] }
    modules:
      - { name: m-${tag}, source: "export const requestModifier = (ctx: any) => {};" }
    secrets:
      - { name: s-${tag}, value: { fromEnv: TOMB_SECRET } }
    routes:
      - { name: r-base, paths: [/base], methods: [GET], service: base }
      - { name: r-${tag}, paths: [/${tag}], methods: [GET], service: svc-${tag}, modules: [m-${tag}] }
      - { name: r-plain-${tag}, paths: [/plain-${tag}], methods: [GET], service: base }
    domains:
      - { name: d-base, patterns: [tomb.test] }
      - { name: d-${tag}, patterns: [${tag}.tomb.test] }
  - name: extra-${tag}
    services:
      - { name: svc, urls: ["${upstream}/"] }
    routes:
      - { name: r-extra, paths: [/extra], methods: [GET], service: svc }
    domains:
      - { name: d-extra, patterns: [extra-${tag}.tomb.test] }
`;
}

/** What the new config of a case makes reachable through the proxy: [host, path]. */
function newEndpoints(tag: string): [string, string][] {
  return [
    [`${tag}.tomb.test`, `/${tag}`],
    ['tomb.test', `/${tag}`],
    ['tomb.test', `/plain-${tag}`],
    [`extra-${tag}.tomb.test`, '/extra'],
  ];
}

/** What the new config of a case creates, as `kind id` and where the admin API reads it. */
function newResources(tag: string): { resource: string; read: string }[] {
  const ns = `extra-${tag}`;
  return [
    { resource: `namespace ${ns}`, read: `/namespace/${ns}` },
    { resource: `secret tomb/s-${tag}`, read: `/secret/s-${tag}?namespace=tomb` },
    { resource: `module tomb/m-${tag}`, read: `/module/m-${tag}?namespace=tomb` },
    { resource: `service tomb/svc-${tag}`, read: `/service/svc-${tag}?namespace=tomb` },
    { resource: `service ${ns}/svc`, read: `/service/svc?namespace=${ns}` },
    { resource: `domain tomb/d-${tag}`, read: `/domain/d-${tag}?namespace=tomb` },
    { resource: `domain ${ns}/d-extra`, read: `/domain/d-extra?namespace=${ns}` },
    { resource: `route tomb/r-${tag}`, read: `/route/r-${tag}?namespace=tomb` },
    { resource: `route tomb/r-plain-${tag}`, read: `/route/r-plain-${tag}?namespace=tomb` },
    { resource: `route ${ns}/r-extra`, read: `/route/r-extra?namespace=${ns}` },
  ];
}

/** One write per resource the new config creates. */
const writesPerApply = newResources('k').length;

/**
 * An HTTP front for a follower that tells dgate-cli the leader is `leaderFront`: the client then
 * works through our fault proxy (as it would through the leader), so its writes can be failed.
 */
async function startFollowerFront(
  follower: string,
  leaderFront: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const target = new URL(follower);
  const leaderHost = new URL(leaderFront).host;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (up) => {
        const headers = { ...up.headers };
        if (headers['x-raft-leader']) headers['x-raft-leader'] = leaderHost;
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function proxyStatus(proxyUrl: string, host: string, urlPath: string): Promise<number> {
  const res = await request(`${proxyUrl}${urlPath}`, { headers: { host }, headersTimeout: 5000, bodyTimeout: 5000 });
  await res.body.dump();
  return res.statusCode;
}

interface TombLane {
  cluster: () => DgateCluster;
  faults: () => FaultProxy;
  upstreamUrl: () => string;
  /** The directory of the old config. */
  oldDir: () => string;
  configDir: (content: string) => Promise<string>;
  /** Runs dgate-cli against the follower front, with a state directory of its own. */
  cli: (args: string[]) => Promise<CliResult>;
  /** Every node's proxy answers each endpoint as it should (polled: followers apply a moment later). */
  expectServed: (endpoints: [string, string][], status: (code: number) => boolean, what: string) => Promise<void>;
}

/**
 * A 3-node raft cluster of the enclosing suite's own, with the old config applied through a
 * follower whose front sends dgate-cli's writes through a fault proxy to the leader.
 */
function useTombCluster(): TombLane {
  let cluster: DgateCluster | undefined;
  let upstream: Upstream | undefined;
  let faults: FaultProxy | undefined;
  let front: { url: string; close: () => Promise<void> } | undefined;
  let oldDir: string | undefined;
  const temps = useTempDirs();
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the cluster has not started');
    return value;
  };
  const lane: TombLane = {
    cluster: () => started(cluster),
    faults: () => started(faults),
    upstreamUrl: () => started(upstream).url,
    oldDir: () => started(oldDir),
    configDir: async (content) => {
      const dir = await temps.make();
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'config.yaml'), content);
      return dir;
    },
    cli: async (args) =>
      dgateCli([...args, '--admin', started(front).url], {
        env: { ...env, DGATE_CLI_STATE_DIR: await temps.make() },
      }),
    expectServed: async (endpoints, status, what) => {
      for (const node of started(cluster).nodes) {
        for (const [host, urlPath] of endpoints) {
          const deadline = Date.now() + 10_000;
          let code = await proxyStatus(node.proxyUrl, host, urlPath);
          while (!status(code) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            code = await proxyStatus(node.proxyUrl, host, urlPath);
          }
          expect(code, `${what}: ${node.id} ${host}${urlPath}`).toSatisfy(status);
        }
      }
    },
  };

  beforeAll(async () => {
    upstream = await startUpstream('tomb');
    cluster = await startTestCluster();
    faults = await startFaultProxy(cluster.leader.adminUrl);
    front = await startFollowerFront(cluster.followers[0]!.adminUrl, faults.url);
    oldDir = await lane.configDir(oldConfig(upstream.url));
    const setup = await lane.cli(['apply', oldDir, '--auto-approve']);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    expect(setup.stdout).toContain('is a raft follower; working through the leader at');
    await lane.expectServed([['tomb.test', '/base']], (c) => c === 200, 'the old config serves');
  }, 120_000);
  afterAll(async () => {
    await front?.close();
    await faults?.close();
    if (cluster) await killDgateCluster(cluster);
    await upstream?.close();
  });
  return lane;
}

/** A fault at each write of the new config's apply, in order: what was created is left as tombstones. */
function tombstoneCases(lane: TombLane, short: string, fault: Fault): void {
  const writes = Array.from({ length: writesPerApply }, (_, i) => i + 1);
  it.sequential.each(writes)(
    'at write %i: what was created is left as tombstones that nothing reaches',
    async (k) => {
      const tag = `${short}${k}`;
      const dir = await lane.configDir(newConfig(lane.upstreamUrl(), tag));
      let seen = 0;
      lane.faults().log.length = 0;
      lane.faults().setRule(({ method, path: p }) => {
        // Only the apply's own writes count: the lock, the marks and the release record are dgate-cli's.
        if ((method !== 'PUT' && method !== 'DELETE') || p.includes('namespace=dgate-cli')) return { kind: 'pass' };
        seen++;
        return seen === k ? fault : { kind: 'pass' };
      });
      const failed = await lane.cli(['apply', dir, '--auto-approve']);
      lane.faults().setRule(() => ({ kind: 'pass' }));
      expect(failed.code, failed.stdout + failed.stderr).toBe(1);
      // Never a delete: one would wedge the leader.
      expect(lane.faults().log.filter((r) => r.method === 'DELETE' && !r.path.includes('namespace=dgate-cli'))).toEqual(
        [],
      );
      const tombstones = [
        ...failed.stderr.matchAll(
          /^ {4}(\w+) (\S+) was created and cannot be deleted on raft: left as a tombstone \((.+)\)$/gm,
        ),
      ].map((m) => `${m[1]} ${m[2]}`);
      expect(failed.stderr).not.toMatch(/still differs \(|still exists|could not be made a tombstone/);
      if (tombstones.some((t) => t.startsWith('route ')))
        expect(failed.stderr).toMatch(/left as a tombstone \(unreachable: no paths, no service/);

      // Exactly what exists of the new config is reported, and each one carries the tag: the writes
      // before the k-th at least (and the k-th when it landed).
      const existing: string[] = [];
      for (const { resource, read } of newResources(tag)) {
        const got = await adminCall(lane.cluster().leader.adminUrl, 'GET', read);
        if (got.status === 404) continue;
        existing.push(resource);
        expect(got.json?.data?.tags, resource).toContain(tombstoneTag);
      }
      expect(tombstones.sort()).toEqual(existing.sort());
      expect(existing.length).toBeGreaterThanOrEqual(fault.kind === 'lost-response' ? k : k - 1);
      // Nothing made, nothing left: the cluster equals its state before (DG3003); else the tombstones are the difference.
      expect(failed.stderr).toMatch(
        existing.length === 0
          ? /^error DG3003: apply failed: .*\n {2}rolled back: the cluster now equals its state before the apply\./
          : /^error DG3004: apply failed: /,
      );

      // The gateway behaves as before: nothing the new config routes is reachable on any node, and the old route still serves.
      await lane.expectServed(newEndpoints(tag), (c) => c === 404, 'a tombstone answers');
      await lane.expectServed([['tomb.test', '/base']], (c) => c === 200, 'the old route');

      // Plan against the old config: no changes, and the tombstones in its namespaces listed apart.
      const plan = await lane.cli(['plan', lane.oldDir(), '--detailed-exitcode']);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toContain('No changes.');
      const inTomb = tombstones.filter((t) => / tomb\//.test(t));
      if (inTomb.length > 0) {
        const line = plan.stdout
          .split('\n')
          .find((l) => l.startsWith('Tombstones (left by a failed apply on raft; unreachable): '));
        for (const t of inTomb) expect(line, t).toContain(t);
      }
      expect(plan.stdout).not.toContain('Cannot delete');

      // Reset for the next case: the old config applies cleanly (with nothing to do).
      const reset = await lane.cli(['apply', lane.oldDir(), '--auto-approve']);
      expect(reset.code, reset.stdout + reset.stderr).toBe(0);
    },
    120_000,
  );
}

/**
 * Each fault has a cluster of its own, and the two run side by side (the cases of one in order):
 * one apply at a time leaves a core idle.
 */
describe('a failed apply on a 3-node raft cluster leaves tombstones, and the gateway behaves as before', () => {
  // The write lands and its answer is lost: the resource exists, unknown to the apply.
  describe.concurrent('a lost answer', () => {
    const lane = useTombCluster();
    const temps = useTempDirs();
    tombstoneCases(lane, 'lost', { kind: 'lost-response' });

    it.sequential('then the new config of the last case applies over its tombstones, verifies, and serves', async () => {
      const tag = `lost${writesPerApply}`;
      const dir = await lane.configDir(newConfig(lane.upstreamUrl(), tag));
      const plan = await lane.cli(['plan', dir]);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      // Every resource of the new config is a tombstone now: each create replaces one.
      expect(plan.stdout.match(/\(replaces a tombstone a failed apply left\)/g)).toHaveLength(writesPerApply);
      lane.faults().log.length = 0;
      const applied = await lane.cli(['apply', dir, '--auto-approve']);
      expect(applied.code, applied.stdout + applied.stderr).toBe(0);
      expect(applied.stdout).toContain(`Apply complete: ${writesPerApply} created, 0 updated, 0 deleted.`);
      const writes = lane
        .faults()
        .log.filter((r) => (r.method === 'PUT' || r.method === 'DELETE') && !r.path.includes('namespace=dgate-cli'));
      expect(writes.map((r) => r.method)).toEqual(Array(writesPerApply).fill('PUT'));
      await lane.expectServed(newEndpoints(tag), (c) => c === 200, 'the new config serves');
      await lane.expectServed([['tomb.test', '/base']], (c) => c === 200, 'the old route');
      const again = await lane.cli(['plan', dir, '--detailed-exitcode']);
      expect(again.code, again.stdout + again.stderr).toBe(0);
      // The other cases' tombstones are still listed, and nothing of this case.
      expect(again.stdout).toContain('Tombstones (left by a failed apply on raft; unreachable): ');
      expect(again.stdout).not.toMatch(new RegExp(`tomb/\\S+-${tag}\\b`));
    }, 120_000);

    it.sequential('get marks tombstones, and dump leaves them out', async () => {
      const routes = await lane.cli(['get', 'routes', '--namespace', 'tomb', '--format', 'json']);
      expect(routes.code, routes.stderr).toBe(0);
      const items = JSON.parse(routes.stdout) as { name: string; tombstone?: string }[];
      expect(items.find((r) => r.name === 'r-base')?.tombstone).toBeUndefined();
      expect(items.find((r) => r.name === `r-lost${writesPerApply}`)?.tombstone).toBeUndefined();
      const marked = items.filter((r) => r.tombstone);
      expect(marked.length).toBeGreaterThan(0);
      expect(marked[0]!.tombstone).toMatch(/^left by a failed apply on raft/);
      const out = path.join(await temps.make(), 'dump');
      const dumped = await lane.cli(['dump', '--out', out, '--namespace', 'tomb']);
      expect(dumped.code, dumped.stderr).toBe(0);
      expect(dumped.stdout).toMatch(
        /tombstones are not dumped \(left by a failed apply on raft; unreachable\): .*route tomb\/r-(plain-)?(lost|err)\d+\b/,
      );
    }, 60_000);
  });

  // The write never reaches the cluster.
  describe.concurrent('a 500 answer', () => {
    const lane = useTombCluster();
    tombstoneCases(lane, 'err', { kind: 'status', status: 500, body: '{"error":"injected failure","status":500}' });

    // Last: it leaves the old route linked to a module, which the old config cannot take back on raft.
    it.sequential('a route that gained a module the apply created is put back without a delete, the module a tombstone, and the kept link reported', async () => {
      const dir = await lane.configDir(
        oldConfig(lane.upstreamUrl())
          .replace('service: base }', 'service: base, modules: [m-gain] }')
          .replace(
            '    routes:',
            '    modules:\n      - { name: m-gain, source: "export const requestModifier = (ctx: any) => {};" }\n    routes:',
          ),
      );
      let seen = 0;
      lane.faults().log.length = 0;
      lane.faults().setRule(({ method, path: p }) => {
        if ((method !== 'PUT' && method !== 'DELETE') || p.includes('namespace=dgate-cli')) return { kind: 'pass' };
        // The module, then the route: the route's update lands, its answer lost.
        return ++seen === 2 ? { kind: 'lost-response' } : { kind: 'pass' };
      });
      const failed = await lane.cli(['apply', dir, '--auto-approve']);
      lane.faults().setRule(() => ({ kind: 'pass' }));
      expect(failed.code, failed.stdout + failed.stderr).toBe(1);
      expect(lane.faults().log.filter((r) => r.method === 'DELETE' && !r.path.includes('namespace=dgate-cli'))).toEqual(
        [],
      );
      expect(failed.stderr).toMatch(/^error DG3004: apply failed: /);
      expect(failed.stderr).toContain(
        'route tomb/r-base: keeps its link to module m-gain, which DGate removes only by deleting the route, and raft leaders break on deletes',
      );
      expect(failed.stderr).toContain(
        'module tomb/m-gain was created and cannot be deleted on raft: left as a tombstone (its source defines nothing DGate calls)',
      );
      // The module it keeps does nothing: the route serves as before, and the leader still takes writes.
      await lane.expectServed([['tomb.test', '/base']], (c) => c === 200, 'the old route');
      expect(
        (await adminCall(lane.cluster().leader.adminUrl, 'PUT', '/namespace', { name: 'still-writable' })).status,
      ).toBe(201);
    }, 60_000);
  });
});
