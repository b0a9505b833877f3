import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryRuleOf } from '../../src/model/canary.js';
import { adminCall } from '../harness/admin.js';
import { canaryRecords, shopConfig, traffic } from '../harness/canary.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';
import { until } from '../harness/until.js';
import { startVersion, type Upstream } from '../harness/upstream.js';

/**
 * issue #15's "kill -9 of dgate-cli in the middle of a canary, then `canary resume`, continues
 * from the recorded step", on a real dgate-server with its metrics on and traffic flowing: an
 * apply that runs a stepped canary is killed with SIGKILL in its first pause; the canary's record
 * and the cluster's split module stay at that step's weight; `canary resume` (taking the apply
 * lock the dead process left) goes on from that pause, never setting the first weight again, to
 * promotion.
 */

describe('canary resume after dgate-cli is killed with SIGKILL in the middle of a rollout', () => {
  const node = useOwnDgateNode({ extraConfig: { disable_metrics: false } });
  const temps = useTempDirs();
  let stable: Upstream;
  let good: Upstream;
  let dir: string;
  const agent = new Agent({ connections: 4, pipelining: 1 });
  const env = () => ({ DGATE_ADMIN_URL: node().adminUrl });

  beforeAll(async () => {
    [stable, good] = await Promise.all([startVersion('stable'), startVersion('good')]);
    dir = await temps.make();
  });
  afterAll(async () => {
    await agent.close();
    await Promise.all([stable?.close(), good?.close()]);
  });

  async function writeConfig(canary: string | undefined): Promise<void> {
    const services = { checkout: stable.url, 'checkout-v2': good.url };
    await writeFile(
      path.join(dir, 'shop.yaml'),
      shopConfig({ services, routes: [{ name: 'checkout', service: 'checkout', canary }] }),
    );
  }

  const record = async () => (await canaryRecords(env())).find((r) => r.route === 'checkout');

  /** The weight the cluster's generated split module carries (its dgate-cli.canary tag). */
  async function liveWeight(): Promise<number | undefined> {
    const res = await adminCall(node().adminUrl, 'GET', '/module?namespace=shop');
    const modules = (res.json.data ?? []) as { name: string; tags?: string[] }[];
    return canaryRuleOf(modules.find((m) => m.name === 'checkout--canary-split')?.tags)?.weight;
  }

  it('the record and the cluster stay at the step it was killed in, and resume goes on from there to promotion', async () => {
    await writeConfig(undefined);
    expect((await dgateCli(['apply', dir, '--auto-approve'], { env: env() })).code).toBe(0);
    await writeConfig(
      '{ service: checkout-v2, steps: [{ weight: 10 }, { pause: 8s }, { weight: 50 }, { pause: 2s }], checks: { interval: 1s, minRequests: 10, failureLimit: 1, latencyP99: 2s } }',
    );
    const load = traffic(() => `${node().proxyUrl}/checkout/cart`, agent, 4);
    try {
      const child = spawn(process.execPath, [path.join(repoRoot, 'bin/dgate-cli'), 'apply', dir, '--auto-approve'], {
        env: { ...process.env, NO_COLOR: '1', ...env() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString('utf8');
      });
      child.stderr.on('data', (c: Buffer) => {
        output += c.toString('utf8');
      });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));

      // In the first pause (step 2 of 4) at 10%, checking: it has begun and made a check.
      const paused = await until(
        'the canary in its first pause',
        async () => {
          if (child.exitCode !== null) throw new Error(`apply ended before its first pause: ${output}`);
          const r = await record();
          return r?.status === 'progressing' && r.step === 1 && r.checks.some((c) => c.step === 1) ? r : undefined;
        },
        60_000,
        100,
      );
      expect(paused.weight).toBe(10);
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(output).toMatch(/step 2 of 4: pause 8s at 10%, checking/);
      expect(output).not.toMatch(/weight 10% → 50%|promoted/);

      // Where it was killed: the record still says step 2 of 4 at 10%, and so does the cluster.
      const left = await record();
      expect(left).toMatchObject({ status: 'progressing', step: 1, weight: 10 });
      expect(left!.events.filter((e) => /weight 50%/.test(e.what))).toEqual([]);
      expect(await liveWeight()).toBe(10);
      // The config plans clean there: plan follows the rollout's record, not the first step.
      expect((await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() })).code).toBe(0);

      // Resume takes the lock the dead process left (its holder is gone) and goes on from the pause.
      const resumed = await dgateCli(['canary', 'resume', 'shop/checkout', '--lock-timeout', '5s'], { env: env() });
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(resumed.stdout).toMatch(/check pass: \d+ canary requests/);
      expect(resumed.stdout).toMatch(/step 3 of 4: weight 10% → 50%/);
      expect(resumed.stdout).toMatch(/promoted: every request goes to checkout-v2/);
      // Not from the start: the first weight is never set again, nor the first pause begun again.
      expect(resumed.stdout).not.toMatch(/step 1 of 4|step 2 of 4: pause|→ 10%/);
      expect(resumed.stderr).not.toMatch(/\n\s+at /);
    } finally {
      await load.stop();
    }

    const end = await record();
    expect(end).toMatchObject({ status: 'promoted', step: 4, weight: 100 });
    const what = end!.events.map((e) => e.what);
    // One start, one first pause, then the rest, each once.
    expect(what.filter((w) => w.startsWith('started at'))).toHaveLength(1);
    expect(what.filter((w) => w.startsWith('step 2: pause'))).toHaveLength(1);
    expect(what.filter((w) => w === 'step 3: weight 50%')).toHaveLength(1);
    expect(what.filter((w) => w.startsWith('promoted'))).toHaveLength(1);
    // The checks that ended the first pause were made by resume, over its recorded baseline.
    expect(end!.checks.filter((c) => c.step === 1 && c.verdict === 'pass').length).toBeGreaterThan(0);
    expect(await liveWeight()).toBe(100);
    const history = await dgateCli(['history'], { env: env() });
    expect(history.stdout.match(/canary shop\/checkout 10%/g) ?? []).toEqual([]);
    expect(history.stdout.match(/canary shop\/checkout 50%/g)).toHaveLength(1);
    expect(history.stdout).toMatch(/canary shop\/checkout 100% \(promoted\)/);
    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const after = await request(`${node().proxyUrl}/checkout/cart`, { dispatcher: agent });
    expect(JSON.parse(await after.body.text())).toEqual({ upstream: 'good' });
  });
});
