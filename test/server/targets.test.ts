import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DesiredState } from '../../src/schema/generated/desired-state.js';
import { adminCall } from '../harness/admin.js';
import { git } from '../harness/git.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNodes } from '../harness/node.js';

/**
 * One config, two real dgate-servers with different server tags: each gets exactly what its tags
 * select. The example's clusters are replaced by the two nodes the harness starts.
 */
describe('targets: one config, two real clusters', () => {
  const [eu, us] = useOwnDgateNodes({}, {});
  const temps = useTempDirs();
  let dir: string;
  const before = ['--at', '2026-11-30T00:00:00Z'];
  const launch = ['--at', '2026-12-01T00:00:00Z'];
  // DGATE_ADMIN_URL points nowhere: declared targets must not fall back to it.
  const env = { DGATE_EU_PROD_KEY: 'eu-key', DGATE_ADMIN_URL: 'http://127.0.0.1:9' };
  const cli = (args: string[], extraEnv: Record<string, string | undefined> = {}) =>
    dgateCli(args, { env: { ...env, ...extraEnv } });
  const names = async (base: string, kind: string, namespace = 'shop') => {
    const res = await adminCall(base, 'GET', `/${kind}?namespace=${namespace}`);
    return ((res.json?.data ?? []) as { name: string }[]).map((r) => r.name).sort();
  };
  const namespaces = async (base: string) =>
    ((await adminCall(base, 'GET', '/namespace')).json.data as { name: string }[]).map((n) => n.name).sort();
  const compileFor = async (target: string, at: string[]) => {
    const result = await cli(['compile', dir, '--target', target, ...at]);
    expect(result.stderr).toBe('');
    return JSON.parse(result.stdout) as DesiredState;
  };

  beforeAll(async () => {
    dir = await temps.make(path.join(repoRoot, 'examples/regions'));
    await writeFile(
      path.join(dir, 'targets.yaml'),
      `version: v1
targets:
  - name: eu-prod
    admin: [${eu().adminUrl}]
    auth: { keyEnv: DGATE_EU_PROD_KEY }
    tags: [region:eu, env:prod, "canary@5%:checkout-v2", "@(2026-12-01T00:00:00Z)#launch:eu"]
  - name: us-staging
    admin: ["http://127.0.0.1:9", ${us().adminUrl}]
    tags: [region:us, env:staging]
`,
    );
  });

  it('lists the targets with their tags and what each gets', async () => {
    const result = await cli(['targets', dir, ...before, '--format', 'json']);
    expect(result.code).toBe(0);
    const listed = JSON.parse(result.stdout);
    const euState = await compileFor('eu-prod', before);
    expect(
      listed.targets.map((t: { name: string; resources: number; version: string }) => [t.name, t.version]),
    ).toEqual([
      ['eu-prod', euState.version],
      ['us-staging', (await compileFor('us-staging', before)).version],
    ]);
    expect(listed.targets[0]).toMatchObject({
      canaries: [{ name: 'checkout-v2', percent: 5 }],
      credentials: 'key from $DGATE_EU_PROD_KEY',
      // The module canary of checkout brings checkout-v2 and the generated module along.
      resources: 7,
      nextChange: { at: '2026-12-01T00:00:00.000Z', added: { namespaces: 1, services: 1, routes: 1 } },
    });
    expect(euState.target).toMatchObject({
      name: 'eu-prod',
      canaries: [{ name: 'checkout-v2', percent: 5 }],
      evaluatedAt: '2026-11-30T00:00:00.000Z',
    });
  });

  it('refuses an apply that does not say which targets, before any write', async () => {
    const result = await cli(['apply', dir, '--auto-approve', ...before]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error DG1708: the config declares 2 targets \(eu-prod, us-staging\): say which to apply to/,
    );
    expect(await namespaces(eu().adminUrl)).toEqual(['default']);
    expect(await namespaces(us().adminUrl)).toEqual(['default']);
  });

  it('refuses a target whose credential variable is unset, before any write', async () => {
    const result = await cli(['apply', dir, '--target', 'eu-prod', '--auto-approve', ...before], {
      DGATE_EU_PROD_KEY: undefined,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error DG1709: target 'eu-prod': the admin API key is read from \$DGATE_EU_PROD_KEY, which is not set/,
    );
    expect(await namespaces(eu().adminUrl)).toEqual(['default']);
  });

  it('plans every target against its own cluster, each with what its tags select', async () => {
    const result = await cli(['plan', dir, '--format', 'json', ...before]);
    expect(result.code).toBe(0);
    const set = JSON.parse(result.stdout);
    expect(set.format).toBe('dgate-cli/plan-set@1');
    expect(
      set.plans.map((p: { target: { name: string }; cluster: { adminUrl: string } }) => [
        p.target.name,
        p.cluster.adminUrl,
      ]),
    ).toEqual([
      ['eu-prod', eu().adminUrl],
      ['us-staging', us().adminUrl],
    ]);
    for (const [i, name] of ['eu-prod', 'us-staging'].entries()) {
      const state = await compileFor(name, before);
      const ids = (state.resources.routes as { name: string }[]).map((r) => `shop/${r.name}`);
      const planned = set.plans[i].changes
        .filter((c: { kind: string }) => c.kind === 'routes')
        .map((c: { id: string }) => c.id);
      expect(planned).toEqual(ids);
    }
    expect(set.plans[0].target.nextChange).toEqual({
      at: '2026-12-01T00:00:00.000Z',
      added: { namespaces: 1, services: 1, routes: 1 },
      removed: {},
    });
    expect(set.plans[1].target.nextChange).toBeNull();
  });

  it('applies different resource sets to the two clusters', async () => {
    const result = await cli(['apply', dir, '--all-targets', '--auto-approve', ...before]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('── target eu-prod ──');
    expect(result.stdout).toContain('All targets applied: eu-prod, us-staging.');
    expect(await names(eu().adminUrl, 'route')).toEqual(['catalog', 'checkout']);
    expect(await names(eu().adminUrl, 'module')).toEqual(['-checkout--canary-split', 'checkout', 'checkout-v2']);
    expect(await names(eu().adminUrl, 'service')).toEqual(['catalog-eu', 'checkout']);
    expect(await names(us().adminUrl, 'route')).toEqual(['catalog-us', 'checkout', 'debug']);
    expect(await names(us().adminUrl, 'module')).toEqual([
      '-checkout--canary-split',
      'checkout',
      'checkout-v2',
      'debug-headers',
    ]);
    // checkout-v2 runs for 5% on eu-prod, whose server tag says canary@5%:checkout-v2, and 0% elsewhere.
    const weightOn = async (adminUrl: string) => {
      const split = await adminCall(adminUrl, 'GET', '/module/-checkout--canary-split?namespace=shop');
      const tag = (split.json.data.tags as string[]).find((t) => t.startsWith('dgate-cli.canary:'))!;
      return (JSON.parse(tag.slice('dgate-cli.canary:'.length)) as { weight: number }).weight;
    };
    expect(await weightOn(eu().adminUrl)).toBe(5);
    expect(await weightOn(us().adminUrl)).toBe(0);
    expect(await names(us().adminUrl, 'service')).toEqual(['catalog-us', 'checkout']);
    expect(await namespaces(eu().adminUrl)).not.toContain('launch');
  });

  it('stores plain labels on DGate, never selectors', async () => {
    const service = await adminCall(eu().adminUrl, 'GET', '/service/catalog-eu?namespace=shop');
    expect(service.json.data.tags ?? []).toEqual([]);
    const ns = await adminCall(us().adminUrl, 'GET', '/namespace/shop');
    expect(ns.json.data.tags).toEqual(['team:checkout']);
  });

  it('plans "No changes" on both afterwards, and says what time tags will change next', async () => {
    const result = await cli(['plan', dir, '--detailed-exitcode', ...before]);
    expect(result.code).toBe(0);
    expect(result.stdout.match(/No changes\. The cluster matches/g)).toHaveLength(2);
    expect(result.stdout).toContain(`→ target eu-prod (${eu().adminUrl})`);
    expect(result.stdout).toContain('Scheduled: at 2026-12-01T00:00:00.000Z: +1 namespace, +1 service, +1 route');
  });

  it('at the launch instant, only eu-prod gains the launch namespace', async () => {
    const plan = await cli(['plan', dir, '--detailed-exitcode', ...launch]);
    expect(plan.code).toBe(2);
    const result = await cli(['apply', dir, '--all-targets', '--auto-approve', ...launch]);
    expect(result.code).toBe(0);
    expect(await names(eu().adminUrl, 'route', 'launch')).toEqual(['landing']);
    expect(await namespaces(us().adminUrl)).not.toContain('launch');
    const again = await cli(['plan', dir, '--detailed-exitcode', ...launch]);
    expect(again.code).toBe(0);
  });

  it('a resource moved off one target is deleted there, and only there', async () => {
    await editFile(path.join(dir, 'shop.yaml'), 'tags: ["?env:staging,dev"]', 'tags: ["?env:dev"]');
    const plan = await cli(['plan', dir, '--target', 'us-staging', '--format', 'json', ...launch]);
    expect(JSON.parse(plan.stdout).changes.map((c: { action: string; id: string }) => `${c.action} ${c.id}`)).toEqual([
      'delete shop/debug',
    ]);
    const result = await cli(['apply', dir, '--target', 'us-staging', '--auto-approve', ...launch]);
    expect(result.code).toBe(0);
    expect(await names(us().adminUrl, 'route')).toEqual(['catalog-us', 'checkout']);
    expect(await names(eu().adminUrl, 'route')).toEqual(['catalog', 'checkout']);
  });

  it('saves a plan for one target, and applies exactly it to that target', async () => {
    await editFile(
      path.join(dir, 'shop.yaml'),
      'urls: [http://checkout.internal:8080/]',
      'urls: [http://checkout.internal:8080/]\n        retries: 5',
    );
    const planFile = path.join(dir, 'eu.plan.json');
    const refused = await cli(['plan', dir, '--out', planFile, ...launch]);
    expect(refused.stderr).toMatch(/^error DG1708: a saved plan is for one target, and 2 are chosen/);
    const saved = await cli(['plan', dir, '--target', 'eu-prod', '--out', planFile, ...launch]);
    expect(saved.code).toBe(0);
    // No --target and no --at: the saved plan names its target and the instant it was judged at.
    const result = await cli(['apply', planFile, '--auto-approve']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const retries = async (base: string) =>
      (await adminCall(base, 'GET', '/service/checkout?namespace=shop')).json.data.retries;
    expect(await retries(eu().adminUrl)).toBe(5);
    expect(await retries(us().adminUrl)).toBe(3);
    const wrongTarget = await cli(['apply', planFile, '--target', 'us-staging', '--auto-approve']);
    expect(wrongTarget.stderr).toMatch(/^error DG1707: the saved plan is for target 'eu-prod', not us-staging/);
  });

  it('scopes every target with --select-tag', async () => {
    await editFile(
      path.join(dir, 'shop.yaml'),
      'tags: ["#region:us"]\n      - name: checkout',
      'tags: ["#region:us", owner:search]\n      - name: checkout',
    );
    const result = await cli(['plan', dir, '--select-tag', 'owner:search', '--format', 'json', ...launch]);
    const plans = JSON.parse(result.stdout).plans;
    expect(plans[0].changes).toEqual([]);
    // Only the resource carrying the tag is in scope; on the cluster it does not carry it yet.
    expect(
      plans[1].changes.map((c: { action: string; kind: string; id: string }) => `${c.action} ${c.kind} ${c.id}`),
    ).toEqual(['create services shop/catalog-us']);
    expect(plans[1].leftAlone.resources).toBeGreaterThan(0);
  });

  it('explains why a resource is or is not selected for each target', async () => {
    const result = await cli(['explain', 'module', 'shop/debug-headers', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /eu-prod: not selected\n {2}✗ !env:prod +\(resource\) eu-prod has env:prod {2}.*shop\.yaml:\d+:16/,
    );
    expect(result.stdout).toMatch(
      /us-staging: selected\n {2}✓ !env:prod +\(resource\) us-staging does not have env:prod/,
    );
  });

  it('still plans the reachable targets when one is down, and exits 1', async () => {
    const broken = await temps.make(dir);
    await editFile(
      path.join(broken, 'targets.yaml'),
      'targets:\n',
      'targets:\n  - { name: gone, admin: ["http://127.0.0.1:9"], tags: [region:ap] }\n',
    );
    const result = await cli(['plan', broken, ...launch, '--timeout', '2s']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error DG2001: target gone: /m);
    expect(result.stdout).toContain(`→ target eu-prod (${eu().adminUrl})`);
    expect(result.stdout).toContain(`→ target us-staging (${us().adminUrl})`);
  });

  it('reconcile --all-targets brings every target to the branch, each to what its tags select', async () => {
    // The config as it stands, committed to a repository the reconciler follows.
    const repo = await temps.make(dir);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'regions');
    const state = await temps.make();
    const result = await cli(['reconcile', '--repo', repo, '--once', '--all-targets', ...launch], {
      DGATE_CLI_STATE_DIR: state,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Z in sync with main@[0-9a-f]{7}\n$/);
    // Both clusters now plan clean against the same config.
    const after = await cli(['plan', dir, '--detailed-exitcode', ...launch]);
    expect(after.code, after.stdout).toBe(0);
    expect(await names(us().adminUrl, 'service')).toContain('catalog-us');
  });
});
