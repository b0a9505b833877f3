import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryRecords, shopConfig, traffic } from '../harness/canary.js';
import { dgateCli } from '../harness/cli.js';
import { git } from '../harness/git.js';
import { useTempDirs } from '../harness/fixtures.js';
import { startVersion, type Upstream } from '../harness/upstream.js';
import { useOwnDgateNode } from '../harness/node.js';

/**
 * Canaries with steps on a real dgate-server, with DGate's metrics on (docs/canary.md#steps-and-checks):
 * three local upstreams (stable, a healthy canary, and a canary that answers 500 to half of its
 * requests) while a client sends traffic through the gateway the whole time. A healthy canary
 * goes through every step to promotion, its checks read from DGate's /metrics; a failing one is
 * aborted by itself at the first check with its minimum requests, and the cluster is returned to
 * the release before it. The cases run in order on one node.
 */

describe('canary steps and checks, against a real dgate-server', () => {
  const node = useOwnDgateNode({ extraConfig: { disable_metrics: false } });
  const temps = useTempDirs();
  let stable: Upstream;
  let good: Upstream;
  let bad: Upstream;
  let down: Upstream;
  let dir: string;
  const agent = new Agent({ connections: 8, pipelining: 1 });
  // The webhook of settings.notify: each notice's text, as Slack would show it.
  const notices: string[] = [];
  const hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      notices.push((JSON.parse(Buffer.concat(chunks).toString('utf8')) as { text: string }).text);
      res.end('ok');
    });
  });
  const env = () => ({
    DGATE_ADMIN_URL: node().adminUrl,
    CANARY_HOOK: `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`,
  });

  beforeAll(async () => {
    [stable, good, bad, down] = await Promise.all([
      startVersion('stable'),
      startVersion('good'),
      startVersion('bad', 2),
      startVersion('down', 1),
    ]);
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    dir = await temps.make();
  });
  afterAll(async () => {
    await agent.close();
    await Promise.all([stable?.close(), good?.close(), bad?.close(), down?.close()]);
    await new Promise((resolve) => hook.close(resolve));
  });

  async function writeConfig(canary: string | undefined, routeChecks = ''): Promise<void> {
    await writeFile(
      path.join(dir, 'shop.yaml'),
      shopConfig({
        head: `settings:
  notify: [{ url: { fromEnv: CANARY_HOOK }, events: [canary-step, promoted, aborted] }]
`,
        services: { checkout: stable.url, 'checkout-v2': good.url, 'checkout-v3': bad.url, 'checkout-v4': down.url },
        routes: [{ name: 'checkout', service: 'checkout', canary, extra: routeChecks }],
      }),
    );
  }

  /** Sends requests through the gateway, 8 at a time, until stopped; counts answers by upstream and status. */
  const keepSending = () => traffic(() => `${node().proxyUrl}/checkout/cart`, agent);

  const status = () => canaryRecords(env());

  const checks = '{ interval: 1s, minRequests: 50, failureLimit: 1, latencyP99: 2s }';

  it('a healthy canary goes through every step, checked from DGate metrics, to promotion', async () => {
    await writeConfig(undefined);
    expect((await dgateCli(['apply', dir, '--auto-approve'], { env: env() })).code).toBe(0);
    await writeConfig(
      `{ service: checkout-v2, steps: [{ weight: 20 }, { pause: 2s }, { weight: 60 }, { pause: 2s }], checks: ${checks} }`,
    );
    const load = keepSending();
    const run = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    const counts = await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/step 3 of 4: weight 20% → 60%/);
    expect(run.stdout).toMatch(/check pass: \d+ canary requests, success rate 100% ≥ 99%/);
    expect(run.stdout).toMatch(/promoted: every request goes to checkout-v2/);
    // Both versions answered, never with an error. DGate cancels the requests in flight on a
    // route when its module is written (docs/dgate-quirks.md), so each weight change can fail a
    // few; no more than that.
    expect(counts['good 200']).toBeGreaterThan(0);
    expect(counts['stable 200']).toBeGreaterThan(0);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const cancelled = (counts['gateway 502'] ?? 0) + (counts['gateway 499'] ?? 0);
    expect(
      Object.keys(counts).filter((k) => !['good 200', 'stable 200', 'gateway 502', 'gateway 499'].includes(k)),
    ).toEqual([]);
    expect(cancelled, JSON.stringify(counts)).toBeLessThan(total / 100);

    const [record] = await status();
    expect(record).toMatchObject({
      namespace: 'shop',
      route: 'checkout',
      service: 'checkout-v2',
      status: 'promoted',
      weight: 100,
    });
    const passed = record!.checks.filter((c) => c.verdict === 'pass');
    // One passing check per pause at least, each counted over enough canary requests.
    expect(new Set(passed.map((c) => c.step))).toEqual(new Set([1, 3]));
    for (const c of passed) {
      expect(c.canary!.requests).toBeGreaterThanOrEqual(50);
      expect(c.canary!.errors).toBe(0);
      // The split the metrics saw is near the step's weight (20% in step 2, 60% in step 4).
      const share = (100 * c.canary!.requests) / (c.canary!.requests + c.stable!.requests);
      expect(Math.abs(share - (c.step === 1 ? 20 : 60)), JSON.stringify(c)).toBeLessThan(10);
    }
    // Every request goes to the canary now, and the config plans clean at the promoted weight.
    const after = await request(`${node().proxyUrl}/checkout/cart`, { dispatcher: agent });
    expect(JSON.parse(await after.body.text())).toEqual({ upstream: 'good' });
    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    // The webhook was told of the step and the promotion.
    expect(notices).toContainEqual(
      expect.stringMatching(/^dgate-cli canary shop\/checkout → checkout-v2 on .*: step 3 of 4, weight 60%$/),
    );
    expect(notices).toContainEqual(
      expect.stringMatching(/^dgate-cli promoted canary shop\/checkout → checkout-v2 on .*: 100% of requests$/),
    );
    const history = await dgateCli(['history'], { env: env() });
    expect(history.stdout).toMatch(/canary shop\/checkout 60%/);
    expect(history.stdout).toMatch(/canary shop\/checkout 100% \(promoted\)/);
  });

  it('a failing canary is aborted at its first check with enough requests, and the cluster returns to the release before it', async () => {
    await writeConfig(undefined);
    expect((await dgateCli(['apply', dir, '--auto-approve'], { env: env() })).code).toBe(0);
    await writeConfig(
      `{ service: checkout-v3, steps: [{ weight: 50 }, { pause: 30s }, { weight: 100 }], checks: ${checks} }`,
    );
    const load = keepSending();
    const run = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /error DG3018: canary shop\/checkout → checkout-v3 was aborted: 1 failed check in a row: success rate \d+(\.\d+)?% < 99%/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);

    const [record] = await status();
    expect(record).toMatchObject({ service: 'checkout-v3', status: 'aborted', weight: 0 });
    const failed = record!.checks.filter((c) => c.verdict === 'fail');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.canary!.requests).toBeGreaterThanOrEqual(50);
    expect(failed[0]!.canary!.errors).toBeGreaterThan(0);
    // Aborted at the first check that had its minimum requests: every check before it had too few.
    const firstJudged = record!.checks.findIndex((c) => c.verdict !== 'too-few-requests');
    expect(record!.checks[firstJudged]!.verdict).toBe('fail');
    expect(record!.reason).toMatch(/success rate/);

    // Back at the release before the canary: its config plans clean, and every request goes to stable.
    await writeConfig(undefined);
    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const after = await request(`${node().proxyUrl}/checkout/cart`, { dispatcher: agent });
    expect(JSON.parse(await after.body.text())).toEqual({ upstream: 'stable' });
    // The reason, with its numbers, is in the history and in canary status.
    const history = await dgateCli(['history'], { env: env() });
    expect(history.stdout).toMatch(/rollback to \d+/);
    expect(history.stdout).toMatch(
      /canary shop\/checkout → checkout-v3 aborted: 1 failed check in a row: success rate/,
    );
    expect(notices).toContainEqual(
      expect.stringMatching(
        /^dgate-cli aborted canary shop\/checkout → checkout-v3 on .*: 1 failed check in a row: success rate .*; back at release \d+$/,
      ),
    );
    const human = await dgateCli(['canary', 'status', 'shop/checkout'], { env: env() });
    expect(human.stdout).toMatch(/aborted: 1 failed check in a row: success rate [\d.]+% < 99% \(\d+ of \d+ failed\)/);
  });

  it('probes sent with the force header fail a check without any traffic, and abort the canary', async () => {
    await writeConfig(undefined);
    expect((await dgateCli(['apply', dir, '--auto-approve'], { env: env() })).code).toBe(0);
    const checksBlock =
      '        checks: [{ name: cart, path: /checkout/cart, headers: { Authorization: Bearer probe-token-4711 }, expect: { status: 200 } }]\n';
    await writeConfig(
      `{ service: checkout-v4, force: { header: X-Canary }, steps: [{ weight: 10 }, { pause: 30s }], checks: { interval: 1s, minRequests: 50, failureLimit: 1, probes: true } }`,
      checksBlock,
    );
    // Probes go through the gateway: without a proxy URL, refused before anything is written.
    const refused = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /error DG3019: canary shop\/checkout sends probes, and no proxy URL says where the gateway takes requests/,
    );
    expect(refused.stdout).not.toContain('Apply complete');
    // No client traffic at all: the metrics cannot judge, the probes can.
    const run = await dgateCli(['apply', dir, '--auto-approve', '--proxy', node().proxyUrl], { env: env() });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /error DG3018: canary shop\/checkout → checkout-v4 was aborted: 1 failed check in a row: probe cart \(forced to the canary\) failed: /,
    );
    const record = (await status()).find((r) => r.service === 'checkout-v4')!;
    const check = record.checks.at(-1)!;
    expect(check.verdict).toBe('fail');
    expect(check.canary!.requests).toBeLessThan(50);
    expect(check.probes).toEqual([
      expect.objectContaining({ name: 'cart (forced to the canary)', outcome: 'failed', status: 500 }),
    ]);
    expect(check.source).toContain(`1 probe through ${node().proxyUrl}`);
    // The probe's headers are named in canary status, never shown: they may carry credentials.
    const shown = await dgateCli(['canary', 'status', '--format', 'json'], { env: env() });
    expect(shown.stdout).toContain('"Authorization"');
    expect(shown.stdout + shown.stderr + run.stdout + run.stderr).not.toContain('probe-token-4711');
  });

  it('apply --no-wait starts a canary; canary resume, promote and abort go on from its record', async () => {
    await writeConfig(undefined);
    expect((await dgateCli(['apply', dir, '--auto-approve'], { env: env() })).code).toBe(0);
    const steps = `steps: [{ weight: 25 }, { pause: 1s }, { weight: 75 }, { pause: 1s }], checks: ${checks}`;
    await writeConfig(`{ service: checkout-v2, ${steps} }`);
    const started = await dgateCli(['apply', dir, '--auto-approve', '--no-wait'], { env: env() });
    expect(started.code, started.stdout + started.stderr).toBe(0);
    expect(started.stdout).toContain(
      'canary shop/checkout → checkout-v2 is at 25%, step 2 of 4; `dgate-cli canary resume` runs the rest.',
    );
    expect((await status()).find((r) => r.service === 'checkout-v2')).toMatchObject({
      status: 'progressing',
      weight: 25,
    });
    // Mid-rollout the config plans clean at the rollout's weight.
    expect((await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() })).code).toBe(0);
    // The split at the weight the rollout stands at, over 1,000 requests: 25% ± 3 points.
    const answers = await Promise.all(
      Array.from({ length: 1000 }, async () => {
        const res = await request(`${node().proxyUrl}/checkout/cart`, { dispatcher: agent });
        return (JSON.parse(await res.body.text()) as { upstream: string }).upstream;
      }),
    );
    const share = (100 * answers.filter((a) => a === 'good').length) / answers.length;
    expect(Math.abs(share - 25), `${share}% to the canary`).toBeLessThanOrEqual(3);
    const human = await dgateCli(['canary', 'status'], { env: env() });
    expect(human.stdout).toMatch(
      /canary shop\/checkout → checkout-v2: at step 2 of 4, weight 25%\n {2}steps: 25% → \[pause 1s\] → 75% → pause 1s/,
    );

    // Promote by hand: 100% now, the remaining steps skipped.
    const promoted = await dgateCli(['canary', 'promote', 'shop/checkout'], { env: env() });
    expect(promoted.code, promoted.stdout + promoted.stderr).toBe(0);
    expect((await status()).find((r) => r.service === 'checkout-v2')).toMatchObject({
      status: 'promoted',
      weight: 100,
    });
    const nothing = await dgateCli(['canary', 'resume'], { env: env() });
    expect(nothing.stdout).toContain('No canary is in progress');

    // Another canary, started and then aborted by hand: back at the release before it.
    await writeConfig(`{ service: checkout-v3, ${steps} }`);
    expect((await dgateCli(['apply', dir, '--auto-approve', '--no-wait'], { env: env() })).code).toBe(0);
    const aborted = await dgateCli(['canary', 'abort', 'shop/checkout', '--reason', 'latency seen in the EU'], {
      env: { ...env(), DGATE_CLI_ACTOR: 'ops' },
    });
    expect(aborted.code, aborted.stdout + aborted.stderr).toBe(0);
    const record = (await status()).find((r) => r.service === 'checkout-v3')!;
    expect(record).toMatchObject({ status: 'aborted', weight: 0 });
    expect(record.reason).toMatch(/^by ops@.*: latency seen in the EU$/);
    expect(record.returnedTo).toBeGreaterThan(0);
    // Back where checkout-v2 was promoted: every request to it.
    const after = await request(`${node().proxyUrl}/checkout/cart`, { dispatcher: agent });
    expect(JSON.parse(await after.body.text())).toEqual({ upstream: 'good' });
    // A canary whose pauses only wait (checks off), started and then resumed to the end.
    await writeConfig(`{ service: checkout-v2, steps: [{ weight: 50 }, { pause: 1s }], checks: { enabled: false } }`);
    expect((await dgateCli(['apply', dir, '--auto-approve', '--no-wait'], { env: env() })).code).toBe(0);
    const resumed = await dgateCli(['canary', 'resume', 'shop/checkout'], { env: env() });
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/promoted: every request goes to checkout-v2/);
    expect((await status()).find((r) => r.route === 'checkout')).toMatchObject({ status: 'promoted', checks: [] });
    const unknown = await dgateCli(['canary', 'resume', 'shop/nowhere'], { env: env() });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(
      'error DG3017: no canary with steps has run on route shop/nowhere of this cluster',
    );
  });

  it('reconcile advances a canary one move per cycle to promotion, and holds a commit with another canary until it ends', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'prod');
    await mkdir(path.join(repo, 'gateway'));
    const commitConfig = async (block: string, message: string) => {
      dir = path.join(repo, 'gateway');
      await writeConfig(block);
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', message);
    };
    const once = () =>
      dgateCli(['reconcile', '--repo', repo, '--branch', 'prod', '--once', 'gateway'], {
        env: { ...env(), DGATE_CLI_STATE_DIR: state },
      });
    await commitConfig(
      `{ service: checkout-v2, steps: [{ weight: 30 }, { pause: 1s }, { weight: 70 }], checks: { interval: 1s, minRequests: 20, failureLimit: 1, latencyP99: 2s } }`,
      'canary v2',
    );
    const load = keepSending();
    try {
      // The commit's apply brings the canary in at 30%, and the same cycle starts its pause.
      const first = await once();
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(/step 2 of 3: pause 1s at 30%, checking/);
      expect((await status()).find((r) => r.service === 'checkout-v2')).toMatchObject({
        status: 'progressing',
        weight: 30,
      });

      // A commit with another canary waits while this one runs.
      await commitConfig(`{ service: checkout-v3, steps: [{ weight: 10 }] }`, 'canary v3');
      const held = await once();
      expect(held.code, held.stdout + held.stderr).toBe(0);
      expect(held.stdout).toMatch(
        /held: canary shop\/checkout is running on .*; commit [0-9a-f]{7} starts canary shop\/checkout after it ends/,
      );
      git(repo, 'revert', '--no-edit', 'HEAD');

      // Each cycle makes one move: a check, a weight, the promotion.
      // (The held cycle made the running canary's move too.)
      const seen: string[] = [held.stdout];
      for (let i = 0; i < 20; i++) {
        await new Promise((r) => setTimeout(r, 600));
        const cycle = await once();
        expect(cycle.code, cycle.stdout + cycle.stderr).toBe(0);
        seen.push(cycle.stdout);
        const [record] = (await status()).filter((r) => r.service === 'checkout-v2');
        if (record?.status !== 'progressing') break;
      }
      const all = seen.join('');
      expect(all).toMatch(/check pass: \d+ canary requests/);
      expect(all).toMatch(/step 3 of 3: weight 30% → 70%/);
      expect(all).toMatch(/canary shop\/checkout promoted/);
      expect((await status())[0]).toMatchObject({ service: 'checkout-v2', status: 'promoted', weight: 100 });
    } finally {
      await load.stop();
    }
    // The branch plans clean at the promoted weight.
    const plan = await dgateCli(['plan', path.join(repo, 'gateway'), '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });
});
