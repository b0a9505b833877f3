import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryRecords, shopConfig, traffic } from '../harness/canary.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { startVersion, type Upstream } from '../harness/upstream.js';
import { useOwnDgateCluster } from '../harness/node.js';

describe('canary steps on a 3-node raft cluster', () => {
  const cluster = useOwnDgateCluster({ extraConfig: { disable_metrics: false } });
  const temps = useTempDirs();
  const agent = new Agent({ connections: 12, pipelining: 1 });
  let versions: Upstream[] = [];
  let dir: string;
  const env = () => ({ DGATE_ADMIN_URL: cluster().leader.adminUrl });

  beforeAll(async () => {
    versions = await Promise.all([startVersion('stable'), startVersion('good'), startVersion('bad', 2)]);
    dir = await temps.make();
  });
  afterAll(async () => {
    await agent.close();
    await Promise.all(versions.map((v) => v.close()));
  });

  async function writeConfig(checkout: string | undefined, orders: string | undefined): Promise<void> {
    const [stable, good, bad] = versions;
    await writeFile(
      path.join(dir, 'shop.yaml'),
      shopConfig({
        services: { stable: stable!.url, good: good!.url, bad: bad!.url },
        routes: [
          { name: 'checkout', service: 'stable', canary: checkout },
          { name: 'orders', service: 'stable', canary: orders },
        ],
      }),
    );
  }

  /** Requests through every node's proxy in turn, until stopped. */
  const keepSending = (routeName: string) => {
    const proxies = cluster().nodes.map((n) => n.proxyUrl);
    return traffic((n) => `${proxies[n % proxies.length]}/${routeName}/x`, agent, 9);
  };

  const status = () => canaryRecords(env());

  const checks = '{ interval: 1s, minRequests: 30, failureLimit: 1, latencyP99: 2s }';

  it('checks add up the metrics of every node, and a healthy canary is promoted', async () => {
    await writeConfig(undefined, undefined);
    const first = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await writeConfig(`{ service: good, steps: [{ weight: 50 }, { pause: 2s }], checks: ${checks} }`, undefined);
    const load = keepSending('checkout');
    const run = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/promoted: every request goes to good/);
    const record = (await status()).find((r) => r.route === 'checkout')!;
    expect(record).toMatchObject({ status: 'promoted', weight: 100 });
    const pass = record.checks.find((c) => c.verdict === 'pass')!;
    expect(pass.source).toMatch(/ on 3 nodes$/);
    expect(pass.canary!.requests).toBeGreaterThanOrEqual(30);
    // Every node serves the promoted canary.
    for (const n of cluster().nodes) {
      const res = await request(`${n.proxyUrl}/checkout/x`, { dispatcher: agent });
      expect(JSON.parse(await res.body.text())).toEqual({ upstream: 'good' });
    }
  });

  it('a failing canary on a route that had none is aborted without a delete: its weight goes to 0%', async () => {
    await writeConfig(
      `{ service: good, steps: [{ weight: 50 }, { pause: 2s }], checks: ${checks} }`,
      `{ service: bad, steps: [{ weight: 50 }, { pause: 30s }], checks: ${checks} }`,
    );
    const load = keepSending('orders');
    const run = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /error DG3018: canary shop\/orders → bad was aborted: 1 failed check in a row: success rate/,
    );
    // What stays behind is named: the split module, left at 0% on its route.
    expect(run.stdout).toMatch(
      /canary shop\/orders → bad: release \d+ cannot be returned to on a raft cluster \(it would delete\); every request goes to stable, and what stays behind is module shop\/orders--canary-split on route shop\/orders, at 0%/,
    );
    const record = (await status()).find((r) => r.route === 'orders')!;
    expect(record).toMatchObject({ status: 'aborted', weight: 0 });
    expect(record.returnedTo).toBeUndefined();
    expect(record.events.map((e) => e.what)).toContainEqual(
      expect.stringMatching(
        /cannot be returned to on a raft cluster \(it would delete the split module\): the canary's weight is 0%/,
      ),
    );
    // Every request reaches stable on every node, and the config plans clean with the canary at 0%.
    for (const n of cluster().nodes) {
      const res = await request(`${n.proxyUrl}/orders/x`, { dispatcher: agent });
      expect(JSON.parse(await res.body.text())).toEqual({ upstream: 'stable' });
    }
    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });
});
