import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { canaryRecords, shopConfig, traffic } from '../harness/canary.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';
import { startPrometheus, usePrometheus } from '../harness/prometheus.js';
import { until } from '../harness/until.js';
import { startVersion, type Upstream } from '../harness/upstream.js';

/**
 * A canary's checks.prometheus (docs/canary.md#prometheus-queries) against a REAL Prometheus
 * (test/harness/prometheus.ts) scraping the real dgate-server's admin /metrics every second, with
 * traffic through the gateway: the canary's error ratio, asked of Prometheus in every check, aborts
 * a canary to an upstream that answers 500 to half its requests and promotes one to a healthy
 * upstream. DGate's own success-rate threshold is set to 0 here, so that only the Prometheus query
 * can fail a check. A query with no data never passes; an unreachable Prometheus, or a query it
 * refuses, is refused before anything is written (DG3024); a Prometheus gone in the middle of a
 * pause stops the rollout where it is, and `canary resume` goes on once it is back.
 */

/** The canary's share of 5xx answers over the check interval, from DGate's request counter and the split's mark. */
const errorRatio = [
  '(sum(increase(request_count_total{namespace="{{namespace}}",route="{{route}}",user_agent=~"dgate-cli.canary=canary.*",status_code=~"5.."}[{{interval}}])) or vector(0))',
  '/ sum(increase(request_count_total{namespace="{{namespace}}",route="{{route}}",user_agent=~"dgate-cli.canary=canary.*"}[{{interval}}]))',
].join(' ');

describe('canary checks.prometheus, against a real Prometheus scraping a real dgate-server', () => {
  const node = useOwnDgateNode({ extraConfig: { disable_metrics: false } });
  const prometheus = usePrometheus(() => [node().adminUrl]);
  const temps = useTempDirs();
  let stable: Upstream;
  let good: Upstream;
  let bad: Upstream;
  let dir: string;
  const agent = new Agent({ connections: 8, pipelining: 1 });
  const env = () => ({ DGATE_ADMIN_URL: node().adminUrl });

  beforeAll(async () => {
    [stable, good, bad] = await Promise.all([startVersion('stable'), startVersion('good'), startVersion('bad', 2)]);
    dir = await temps.make();
  });
  afterAll(async () => {
    await agent.close();
    await Promise.all([stable?.close(), good?.close(), bad?.close()]);
  });

  async function writeConfig(canary: string | undefined): Promise<void> {
    const services = { checkout: stable.url, 'checkout-v2': good.url, 'checkout-v3': bad.url };
    await writeFile(
      path.join(dir, 'shop.yaml'),
      shopConfig({ services, routes: [{ name: 'checkout', service: 'checkout', canary }] }),
    );
  }

  /** A canary block: the steps, DGate's thresholds out of the way, and the Prometheus queries. */
  const canary = (service: string, steps: string, queries: string, extra = '', url = prometheus().url) =>
    `          service: ${service}
          steps: ${steps}
          checks:
            successRate: 0
            latencyP99: 10s
            minRequests: 10
            interval: 3s
            failureLimit: 1
${extra}            prometheus:
              url: ${url}
              queries:
${queries}`;
  const ratioQuery = `                - name: error-ratio
                  query: '${errorRatio}'
                  max: 0.01
`;

  /** Sends requests through the gateway, 8 at a time, until stopped. */
  const keepSending = () => traffic(() => `${node().proxyUrl}/checkout/cart`, agent);

  const record = async (service: string) => (await canaryRecords(env())).find((r) => r.service === service)!;

  async function reset(): Promise<void> {
    await writeConfig(undefined);
    const res = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(res.code, res.stdout + res.stderr).toBe(0);
  }

  it('Prometheus scrapes the dgate-server the canary runs on', async () => {
    expect(await prometheus().value('up{job="dgate"}')).toBe(1);
  });

  it('a canary to the failing upstream is aborted by its Prometheus error ratio', async () => {
    await reset();
    await writeConfig(canary('checkout-v3', '[{ weight: 50 }, { pause: 30s }, { weight: 100 }]', ratioQuery));
    const load = keepSending();
    const run = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /error DG3018: canary shop\/checkout → checkout-v3 was aborted: 1 failed check in a row: Prometheus error-ratio 0\.\d+ > 0\.01/,
    );
    expect(run.stderr).not.toMatch(/\n\s+at /);

    const r = await record('checkout-v3');
    expect(r).toMatchObject({ status: 'aborted', weight: 0 });
    const failed = r.checks.filter((c) => c.verdict === 'fail');
    expect(failed).toHaveLength(1);
    const [result] = failed[0]!.prometheus!;
    // Half the canary's requests answered 500: Prometheus's ratio says so.
    expect(result).toMatchObject({
      name: 'error-ratio',
      outcome: 'fail',
      max: 0.01,
      source: `Prometheus ${prometheus().url}: error-ratio`,
    });
    expect(result!.value).toBeGreaterThan(0.3);
    expect(result!.value).toBeLessThan(0.7);
    // The placeholders were filled in: the query as sent names the route and the interval.
    expect(result!.query).toContain('namespace="shop",route="checkout"');
    expect(result!.query).toContain('[3s]');
    expect(failed[0]!.source).toContain(`Prometheus ${prometheus().url}: error-ratio`);
    // DGate's own success-rate threshold (0%) could not have failed it.
    expect(failed[0]!.reasons.filter((x) => /^success rate [\d.]+% ≥ 0%$/.test(x))).toHaveLength(1);
    // Every request goes back to stable, and canary status shows the query and its value.
    const after = await request(`${node().proxyUrl}/checkout/cart`, { dispatcher: agent });
    expect(JSON.parse(await after.body.text())).toEqual({ upstream: 'stable' });
    const human = await dgateCli(['canary', 'status', 'shop/checkout'], { env: env() });
    expect(human.stdout).toContain(`  prometheus ${prometheus().url}: error-ratio ≤ 0.01`);
    expect(human.stdout).toMatch(/step 2 fail: \d+ canary requests, Prometheus error-ratio 0\.\d+ > 0\.01/);
  });

  it('a canary to the healthy upstream passes its Prometheus checks and is promoted', async () => {
    await reset();
    await writeConfig(
      canary('checkout-v2', '[{ weight: 30 }, { pause: 4s }, { weight: 70 }, { pause: 4s }]', ratioQuery),
    );
    const load = keepSending();
    const run = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /check pass: \d+ canary requests, success rate [\d.]+% ≥ 0%.*Prometheus error-ratio 0 ≤ 0\.01/,
    );
    expect(run.stdout).toMatch(/promoted: every request goes to checkout-v2/);
    const r = await record('checkout-v2');
    expect(r).toMatchObject({ status: 'promoted', weight: 100 });
    const passed = r.checks.filter((c) => c.verdict === 'pass');
    expect(new Set(passed.map((c) => c.step))).toEqual(new Set([1, 3]));
    for (const c of passed)
      expect(c.prometheus).toEqual([expect.objectContaining({ name: 'error-ratio', value: 0, outcome: 'pass' })]);
    // A check before Prometheus had the canary's traffic had no data, and did not pass.
    for (const c of r.checks.filter((x) => x.prometheus?.[0]?.outcome === 'no-data'))
      expect(c.verdict).not.toBe('pass');
    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('a query with no data never passes: the pause runs out its deadline and the canary is aborted', async () => {
    await reset();
    const none = `                - name: nothing
                  query: 'sum(no_such_metric{route="{{route}}"})'
                  max: 1
`;
    await writeConfig(canary('checkout-v2', '[{ weight: 50 }, { pause: 1s }]', none, '            deadline: 5s\n'));
    const load = keepSending();
    const run = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /error DG3018: .* no check passed within 6s of the pause starting \(last: .*Prometheus nothing: no data\)/,
    );
    const r = await record('checkout-v2');
    expect(r.checks.length).toBeGreaterThan(0);
    for (const c of r.checks) {
      expect(c.verdict).toBe('too-few-requests');
      expect(c.prometheus).toEqual([expect.objectContaining({ name: 'nothing', value: null, outcome: 'no-data' })]);
    }
  });

  it('an unreachable Prometheus, or a query it refuses, is refused before anything is written (DG3024)', async () => {
    await reset();
    const splitModule = async () =>
      ((await adminCall(node().adminUrl, 'GET', '/module?namespace=shop')).json.data as { name: string }[] | null)
        ?.map((m) => m.name)
        .filter((n) => n.endsWith('--canary-split')) ?? [];
    await writeConfig(canary('checkout-v2', '[{ weight: 50 }, { pause: 1s }]', ratioQuery, '', 'http://127.0.0.1:9'));
    const down = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /error DG3024: the canary shop\/checkout → checkout-v2 cannot be checked: Prometheus http:\/\/127\.0\.0\.1:9: query error-ratio: did not answer \(ECONNREFUSED/,
    );
    expect(down.stderr).toMatch(/hint: nothing was changed/);
    expect(down.stdout).not.toContain('Apply complete');
    const bad = `                - name: broken
                  query: 'sum(rate(request_count_total[{{interval}}])'
                  max: 1
`;
    await writeConfig(canary('checkout-v2', '[{ weight: 50 }, { pause: 1s }]', bad));
    const refused = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /error DG3024: .*query broken: refused the query \(HTTP 400, bad_data\): .*parse error/,
    );
    expect(refused.stdout + refused.stderr).not.toMatch(/\n\s+at /);
    expect(refused.stdout).not.toContain('Apply complete');
    // Nothing was written: no split module on the cluster.
    expect(await splitModule()).toEqual([]);
  });

  it('Prometheus gone in the middle of a rollout stops it where it is (DG3024); canary resume goes on once it is back', async () => {
    await reset();
    // A Prometheus of this case's own, stopped in the first pause and started again on the same port.
    let own = await startPrometheus([node().adminUrl]);
    const port = Number(new URL(own.url).port);
    try {
      await writeConfig(
        canary('checkout-v2', '[{ weight: 40 }, { pause: 10s }, { weight: 80 }]', ratioQuery, '', own.url),
      );
      const load = keepSending();
      try {
        const running = dgateCli(['apply', dir, '--auto-approve'], { env: env() });
        await until(
          'the first pause to have begun',
          async () => {
            const r = await record('checkout-v2');
            return r?.status === 'progressing' && r.step === 1 ? r : undefined;
          },
          60_000,
          200,
        );
        await own.stop();
        const run = await running;
        expect(run.code, run.stdout + run.stderr).toBe(1);
        expect(run.stderr).toMatch(
          /error DG3024: the canary shop\/checkout → checkout-v2 cannot be checked: Prometheus http:\/\/127\.0\.0\.1:\d+: query error-ratio: did not answer/,
        );
        expect(run.stderr).toMatch(/hint: the canary is left where it is \(40%, recorded\)/);
        const left = await record('checkout-v2');
        expect(left).toMatchObject({ status: 'progressing', step: 1, weight: 40 });
        expect(left.checks.at(-1)).toMatchObject({ verdict: 'error', source: `Prometheus ${own.url}` });
        // Nothing was judged from the error: no failure counted.
        expect(left.failures).toBe(0);

        own = await startPrometheus([node().adminUrl], { port });
        const resumed = await dgateCli(['canary', 'resume', 'shop/checkout'], { env: env() });
        expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
        expect(resumed.stdout).toMatch(/check pass: .*Prometheus error-ratio 0 ≤ 0\.01/);
        expect(resumed.stdout).toMatch(/step 3 of 3: weight 40% → 80%/);
        expect(resumed.stdout).toMatch(/promoted: every request goes to checkout-v2/);
      } finally {
        await load.stop();
      }
    } finally {
      await own.stop();
    }
  });
});
