import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminCall, adminPut } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/**
 * Policy lint on what a real dgate-server holds: a cluster set up by hand through the admin API
 * is dumped, the dump is validated with an organisation's policy file, and plan and apply refuse
 * while an error-severity rule is broken, leaving the cluster as it was. The cases run in order
 * on one node.
 */
describe('policy, against a real dgate-server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let work: string;
  let dump: string;
  const env = () => ({ DGATE_CLI_STATE_DIR: path.join(work, '.state') });
  const liveService = async () => (await adminCall(node().adminUrl, 'GET', '/service/legacy?namespace=ops')).json.data;
  const liveRoute = async () => (await adminCall(node().adminUrl, 'GET', '/route/open?namespace=ops')).json.data;

  it('a dump of a hand-made cluster, validated with a policy file, shows each violation where the dump wrote it', async () => {
    const admin = node().adminUrl;
    await adminPut(admin, 'namespace', { name: 'ops' });
    await adminPut(admin, 'service', {
      name: 'legacy',
      namespace: 'ops',
      urls: ['https://127.0.0.1:9443/'],
      retries: 10,
      tlsSkipVerify: true,
    });
    await adminPut(admin, 'module', {
      name: 'auth',
      namespace: 'ops',
      moduleType: 'typescript',
      payload: Buffer.from('export const requestModifier = (ctx: any) => {};\n').toString('base64'),
    });
    await adminPut(admin, 'route', {
      name: 'secured',
      namespace: 'ops',
      paths: ['/secured'],
      methods: ['GET'],
      service: 'legacy',
      modules: ['auth'],
    });
    await adminPut(admin, 'route', {
      name: 'open',
      namespace: 'ops',
      paths: ['/open'],
      methods: ['GET'],
      service: 'legacy',
    });

    work = await temps.make();
    dump = path.join(work, 'dump');
    const dumped = await dgateCli(['dump', '--out', dump, '--namespace', 'ops'], {
      env: { ...env(), DGATE_ADMIN_URL: admin },
    });
    expect(dumped.code, dumped.stderr).toBe(0);
    // The cluster as a target tagged env:prod, and the organisation's rules from outside the dump.
    await writeFile(
      path.join(dump, 'policy.yaml'),
      `version: v1
settings:
  policy:
    files: [../org-policy.yaml]
targets:
  - { name: prod, admin: ["${admin}"], tags: [env:prod] }
`,
    );
    await writeFile(
      path.join(work, 'org-policy.yaml'),
      `rules:
  - id: verify-tls-in-prod
    kind: services
    where: { target: ["#env:prod"] }
    require: { properties: { tlsSkipVerify: { const: false } } }
  - id: no-route-without-auth
    runsModule: [auth]
  - id: few-retries
    severity: warning
    max: { retries: 3 }
`,
    );
    const yaml = await readFile(path.join(dump, 'ops.yaml'), 'utf8');
    const lineOf = (text: string) => yaml.split('\n').findIndex((l) => l.includes(text)) + 1;
    const validated = await dgateCli(['validate', 'dump', '--format', 'json'], { cwd: work, env: env() });
    expect(validated.code).toBe(1);
    const problems = JSON.parse(validated.stdout) as {
      code: string;
      severity: string;
      message: string;
      file: string;
      line: number;
    }[];
    expect(problems.map((p) => [p.code, p.severity, p.file, p.line, p.message])).toEqual([
      [
        'DG1201',
        'warning',
        'dump/ops.yaml',
        lineOf('retries: 10'),
        "service 'ops/legacy' on target 'prod' breaks policy rule 'few-retries': its retries is 10, more than the 3 allowed",
      ],
      [
        'DG1201',
        'error',
        'dump/ops.yaml',
        lineOf('tlsSkipVerify: true'),
        "service 'ops/legacy' on target 'prod' breaks policy rule 'verify-tls-in-prod': tlsSkipVerify is true, and must be false (require/properties/tlsSkipVerify/const)",
      ],
      [
        'DG1201',
        'error',
        'dump/ops.yaml',
        lineOf('name: open'),
        "route 'ops/open' on target 'prod' breaks policy rule 'no-route-without-auth': it runs no module, and must run one of auth",
      ],
    ]);
  });

  it('plan and apply refuse while an error-severity rule is broken, and the cluster is untouched', async () => {
    const before = { service: await liveService(), route: await liveRoute() };
    // A change the cluster would take (fewer retries), while the route still has no auth.
    await editFile(path.join(dump, 'ops.yaml'), 'retries: 10', 'retries: 2');
    const plan = await dgateCli(['plan', 'dump'], { cwd: work, env: env() });
    expect(plan.code).toBe(1);
    expect(plan.stdout).toBe('');
    expect(plan.stderr).toMatch(
      /dump\/ops\.yaml:\d+:\d+: error DG1201: route 'ops\/open' on target 'prod' breaks policy rule 'no-route-without-auth'/,
    );
    expect(plan.stderr).not.toMatch(/few-retries/);
    const apply = await dgateCli(['apply', 'dump', '--auto-approve'], { cwd: work, env: env() });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(
      /error DG1201: service 'ops\/legacy' on target 'prod' breaks policy rule 'verify-tls-in-prod'/,
    );
    expect(await liveService()).toEqual(before.service);
    expect(await liveRoute()).toEqual(before.route);
    expect(before.service.retries).toBe(10);
  });

  it('once the config follows the rules, plan shows the changes and apply makes them', async () => {
    const file = path.join(dump, 'ops.yaml');
    await editFile(file, 'tlsSkipVerify: true', 'tlsSkipVerify: false');
    const yaml = await readFile(file, 'utf8');
    // The open route gets the auth module (the dump writes a route without modules: as none).
    const open = /( *)- name: open\n/.exec(yaml);
    expect(open).not.toBeNull();
    await writeFile(file, yaml.replace(open![0], `${open![0]}${open![1]}  modules: [auth]\n`));
    const validated = await dgateCli(['validate', 'dump'], { cwd: work, env: env() });
    expect(validated.stderr).toBe('');
    expect(validated.code).toBe(0);
    const plan = await dgateCli(['plan', 'dump', '--detailed-exitcode'], { cwd: work, env: env() });
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stdout).toMatch(/~ service legacy/);
    expect(plan.stdout).toMatch(/~ route open/);
    const applied = await dgateCli(['apply', 'dump', '--auto-approve'], { cwd: work, env: env() });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await liveService()).toMatchObject({ retries: 2, tlsSkipVerify: false });
    expect((await liveRoute()).modules).toEqual(['auth']);
  });
});
