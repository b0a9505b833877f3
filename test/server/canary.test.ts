import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

/**
 * A route's canary on a real dgate-server (docs/canary.md): two local upstreams answer which
 * version they are; dgate-cli applies the canary at a weight, and requests sent through the
 * gateway show the split, the forced requests, the sticky clients, and promotion by config. The
 * cases run in order on one node, each from where the last left the cluster.
 */

const requestsPerShare = 1000;
/** The split's allowed error, in points of percent (issue #15). */
const tolerance = 3;

describe('canary, against a real dgate-server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let stable: Upstream;
  let canary: Upstream;
  let dir: string;
  // Many connections at once, so that DGate serves the requests with several module runtimes.
  const agent = new Agent({ connections: 32, pipelining: 1 });
  const env = () => ({ DGATE_ADMIN_URL: node().adminUrl });

  /** Writes the config: route checkout on service `service`, with `canary` as its canary block (YAML flow) if any. */
  async function writeConfig(canaryBlock: string | undefined, service = 'checkout'): Promise<void> {
    await writeFile(
      path.join(dir, 'shop.yaml'),
      `version: v1
namespaces:
  - name: shop
    domains:
      - { name: all, patterns: ['*'] }
    services:
      - { name: checkout, urls: ['${stable.url}/'] }
      - { name: checkout-v2, urls: ['${canary.url}/'] }
    routes:
      - name: checkout
        paths: [/checkout/*]
        methods: [GET]
        service: ${service}
${canaryBlock ? `        canary: ${canaryBlock}\n` : ''}`,
    );
  }

  async function apply(): Promise<string> {
    const result = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    return result.stdout;
  }

  async function expectPlanClean(): Promise<void> {
    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  }

  /** Which upstream answered each of the requests (sent all at once). */
  async function versions(headers: Record<string, string>[]): Promise<string[]> {
    return Promise.all(
      headers.map(async (h) => {
        const res = await request(`${node().proxyUrl}/checkout/cart`, { headers: h, dispatcher: agent });
        const text = await res.body.text();
        expect(res.statusCode, text).toBe(200);
        return (JSON.parse(text) as { upstream: string }).upstream;
      }),
    );
  }

  const share = (answers: string[]) => (100 * answers.filter((a) => a === 'canary').length) / answers.length;
  const anonymous = () => Array.from({ length: requestsPerShare }, () => ({}));
  const users = Array.from({ length: requestsPerShare }, (_, i) => `user-${i}`);
  const asUsers = () => users.map((u) => ({ 'x-user': u }));

  const block = (weight: number) =>
    `{ service: checkout-v2, weight: ${weight}, force: { header: X-Canary }, sticky: { by: header, name: X-User } }`;

  beforeAll(async () => {
    stable = await startUpstream('stable');
    canary = await startUpstream('canary');
    dir = await temps.make();
  });
  afterAll(async () => {
    await agent.close();
    await stable?.close();
    await canary?.close();
  });

  let atTen: string[] = [];

  it('applies a canary at 10% as a generated module, shown in plan as the canary, and plans clean after', async () => {
    await writeConfig(block(10));
    const plan = await dgateCli(['plan', dir], { env: env() });
    expect(plan.stdout).toContain(
      '+ canary shop/checkout → checkout-v2: weight 10% (generated module checkout--canary-split)',
    );
    expect(plan.stdout).toContain('forced by header X-Canary');
    expect(plan.stdout).toContain('sticky by header X-User');
    await apply();
    await expectPlanClean();
    const route = await adminCall(node().adminUrl, 'GET', '/route/checkout?namespace=shop');
    expect(route.json.data.modules).toEqual(['checkout--canary-split']);
  });

  it('sends 10% ± 3 points of requests to the canary, and every forced request', async () => {
    expect(share(await versions(anonymous()))).toBeGreaterThanOrEqual(10 - tolerance);
    expect(share(await versions(anonymous()))).toBeLessThanOrEqual(10 + tolerance);
    const forced = await versions(Array.from({ length: 200 }, () => ({ 'x-canary': '1' })));
    expect(forced).toEqual(Array(200).fill('canary'));
  });

  it('keeps each sticky client on one version, 10% ± 3 of them on the canary', async () => {
    atTen = await versions(asUsers());
    expect(await versions(asUsers())).toEqual(atTen);
    expect(Math.abs(share(atTen) - 10)).toBeLessThanOrEqual(tolerance);
  });

  it('moves to 50% as an update of the one module; sticky clients on the canary stay there', async () => {
    await writeConfig(block(50));
    const plan = await dgateCli(['plan', dir], { env: env() });
    expect(plan.stdout).toContain(
      '~ canary shop/checkout → checkout-v2: weight 10% → 50% (generated module checkout--canary-split)',
    );
    expect(plan.stdout).toContain('Plan: 0 to create, 1 to update, 0 to delete.');
    await apply();
    await expectPlanClean();

    expect(Math.abs(share(await versions(anonymous())) - 50)).toBeLessThanOrEqual(tolerance);
    const atFifty = await versions(asUsers());
    expect(await versions(asUsers())).toEqual(atFifty);
    expect(Math.abs(share(atFifty) - 50)).toBeLessThanOrEqual(tolerance);
    // No client went back from the canary to stable as the weight grew.
    const flippedBack = users.filter((_, i) => atTen[i] === 'canary' && atFifty[i] !== 'canary');
    expect(flippedBack).toEqual([]);
  });

  it('dumps the canary back as a canary block that validates and plans clean', async () => {
    const out = await temps.make();
    const dumped = await dgateCli(['dump', '--out', out, '--namespace', 'shop'], { env: env() });
    expect(dumped.code, dumped.stderr).toBe(0);
    const text = await readFile(path.join(out, 'shop.yaml'), 'utf8');
    expect(text).toMatch(/canary:\n\s+service: checkout-v2\n\s+weight: 50\n/);
    expect(text).not.toContain('canary-split');
    const plan = await dgateCli(['plan', out, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('rolls the weight back to 10% like any release', async () => {
    const rolled = await dgateCli(['rollback', '--auto-approve'], { env: env() });
    expect(rolled.code, rolled.stdout + rolled.stderr).toBe(0);
    await writeConfig(block(10));
    await expectPlanClean();
    expect(Math.abs(share(await versions(anonymous())) - 10)).toBeLessThanOrEqual(tolerance);
    expect(await versions(asUsers())).toEqual(atTen);
  });

  it('sends everything to the canary at 100%', async () => {
    await writeConfig(block(100));
    await apply();
    await expectPlanClean();
    expect(new Set(await versions(anonymous().slice(0, 200)))).toEqual(new Set(['canary']));
  });

  it('promotes by config: the route on the new service, the canary block gone, the generated module deleted', async () => {
    await writeConfig(undefined, 'checkout-v2');
    const plan = await dgateCli(['plan', dir], { env: env() });
    expect(plan.stdout).toContain(
      '- canary shop/checkout → checkout-v2: removed (generated module checkout--canary-split)',
    );
    await apply();
    await expectPlanClean();
    expect(new Set(await versions(anonymous().slice(0, 200)))).toEqual(new Set(['canary']));
    expect((await adminCall(node().adminUrl, 'GET', '/module/checkout--canary-split?namespace=shop')).status).toBe(404);
  });
});
