import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { planSchema } from '../../src/schema/generated/plan.schema.js';
import { adminCall } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { suiteBinary, useOwnDgateNode } from '../harness/node.js';

const validatePlan = new Ajv2020({ strict: true, strictRequired: false, allErrors: true }).compile(
  planSchema as unknown as object,
);

/**
 * `plan --try` and `apply --try` against real dgate-servers: the scratch one dgate-cli starts, and
 * a node of the file's own standing for the real cluster, which a failed try must leave untouched.
 */
describe('--try: the change on a scratch DGate first', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const env = async (extra: Record<string, string> = {}) => ({
    DGATE_ADMIN_URL: node().adminUrl,
    DGATE_CLI_STATE_DIR: await temps.make(),
    DGATE_SERVER_BIN: suiteBinary().path,
    ...extra,
  });

  /** A config whose `boom` module throws; with `boomChecked`, the boom route has a check that catches it. */
  const configFor = async (ns: string, boomChecked: boolean): Promise<string> => {
    const dir = await temps.make();
    await mkdir(path.join(dir, 'modules'));
    await writeFile(
      path.join(dir, 'modules/boom.ts'),
      "export const requestHandler = (ctx: any) => {\n  throw new Error('boom: no such field');\n};\n",
    );
    const boomCheck = boomChecked
      ? `
        checks:
          - { name: boom answers, path: /${ns}/boom, expect: { status: 200 } }`
      : '';
    await writeFile(
      path.join(dir, 'gateway.yaml'),
      `version: v1
namespaces:
  - name: ${ns}
    domains:
      - { name: main, patterns: [${ns}.test] }
    services:
      - { name: api, urls: ["https://api.internal.example:8443/"] }
    modules:
      - { name: boom, file: modules/boom.ts }
    routes:
      - name: ok
        paths: [/${ns}/ok]
        methods: [GET]
        service: api
        checks:
          - name: ok answers
            path: /${ns}/ok?x=1
            headers: { X-Api-Key: not-shown-anywhere }
            expect: { status: 200, json: { method: GET, url: /${ns}/ok?x=1 } }
      - name: boom
        paths: [/${ns}/boom]
        methods: [GET]
        modules: [boom]${boomCheck}
`,
    );
    return dir;
  };
  const namespacesOfNode = async () =>
    ((await adminCall(node().adminUrl, 'GET', '/namespace')).json.data as { name: string }[]).map((n) => n.name);

  it('plan --try puts the state on a scratch DGate, passes the echo check, and catches the module that throws', async () => {
    const dir = await configFor('t1', true);
    const result = await dgateCli(['plan', dir, '--try'], { env: await env() });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Plan: 6 to create');
    expect(result.stdout).toMatch(
      /Tried on a scratch DGate \(.*dgate-server.*; services pointed at dgate-cli's echo upstream\): 1 of 2 checks passed/,
    );
    expect(result.stdout).toContain('  ✓ route t1/ok: ok answers');
    expect(result.stdout).toMatch(
      /✗ route t1\/boom: check 'boom answers' \(GET \/t1\/boom Host: t1\.test, .*gateway\.yaml:\d+:\d+\) failed: status 5\d\d, expected 200/,
    );
    expect(result.stderr).toContain('error DG3202: the change failed on a scratch DGate:');
    expect(result.stdout + result.stderr).not.toContain('not-shown-anywhere');
    // Nothing reached the real cluster.
    expect(await namespacesOfNode()).not.toContain('t1');
  });

  it('plan --try --format json reports the try in the plan document', async () => {
    const dir = await configFor('t2', true);
    const result = await dgateCli(['plan', dir, '--try', '--format', 'json'], { env: await env() });
    expect(result.code).toBe(1);
    const doc = JSON.parse(result.stdout) as { try: { status: string; upstreams: string; checks: unknown[] } };
    expect(validatePlan(doc), JSON.stringify(validatePlan.errors)).toBe(true);
    expect(doc.try).toMatchObject({ status: 'failed', upstreams: 'echo' });
    expect(doc.try.checks).toEqual([
      expect.objectContaining({
        route: 't2/ok',
        outcome: 'passed',
        request: { method: 'GET', path: '/t2/ok?x=1', host: 't2.test', headers: ['X-Api-Key'] },
      }),
      expect.objectContaining({ route: 't2/boom', outcome: 'failed' }),
    ]);
    // The markdown plan (a pull-request comment) carries the results too.
    const markdown = await dgateCli(['plan', dir, '--try', '--format', 'markdown'], { env: await env() });
    expect(markdown.code).toBe(1);
    expect(markdown.stdout).toMatch(
      /```\nTried on a scratch DGate \(.*\): 1 of 2 checks passed\n {2}✓ route t2\/ok: ok answers\n/,
    );
  });

  it('apply --try stops on the failed check before the cluster is touched', async () => {
    const dir = await configFor('t3', true);
    const result = await dgateCli(['apply', dir, '--try', '--auto-approve'], { env: await env() });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('DG3202');
    expect(result.stderr).toContain('so the cluster was not touched');
    expect(result.stdout).not.toContain('✓ create');
    expect(await namespacesOfNode()).not.toContain('t3');
    const history = await dgateCli(['history', '--format', 'json'], { env: await env() });
    expect(history.stdout).not.toContain('t3');
  });

  it('apply --try goes on to the cluster when every check passes', async () => {
    const dir = await configFor('t4', false);
    const result = await dgateCli(['apply', dir, '--try', '--auto-approve'], { env: await env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('1 of 1 check passed');
    expect(result.stdout).toContain('Apply complete: 6 created');
    expect(await namespacesOfNode()).toContain('t4');
  });

  it('says so and exits 1 when no dgate-server can be had; it never skips', async () => {
    const dir = await configFor('t5', true);
    for (const command of ['plan', 'apply']) {
      const result = await dgateCli([command, dir, '--try', '--auto-approve'].slice(0, command === 'plan' ? 3 : 4), {
        env: await env({ DGATE_SERVER_BIN: path.join(dir, 'no-such-dgate-server') }),
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error DG0004: --try needs a dgate-server to try the change on');
      expect(result.stderr).toContain('nothing was tried, and nothing was applied');
      expect(result.stderr).toContain('hint: get one: go install github.com/dgate-io/dgate/cmd/dgate-server@v0.11.1');
      expect(result.stdout).not.toContain('Tried on a scratch DGate');
    }
    expect(await namespacesOfNode()).not.toContain('t5');
  });

  it('a checks-only edit plans no change', async () => {
    const dir = await configFor('t4', false);
    const before = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: await env() });
    expect(before.code).toBe(0);
    const file = path.join(dir, 'gateway.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('name: ok answers', 'name: ok still answers'));
    const after = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: await env() });
    expect(after.code).toBe(0);
  });
});
