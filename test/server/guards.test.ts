import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/cluster/client.js';
import { normalizeLive } from '../../src/cluster/normalize.js';
import { readLiveState } from '../../src/cluster/read-live.js';
import { readReleases } from '../../src/cluster/releases.js';
import type { LiveResources } from '../../src/state/live-state.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { adminCall, adminPut } from '../harness/admin.js';
import { git } from '../harness/git.js';
import { useOwnDgateNode } from '../harness/node.js';
import { until } from '../harness/until.js';

/** The namespaces `names` hold on the node, normalized: what a refused run must leave as it was. */
async function snapshot(adminUrl: string, names: string[]): Promise<LiveResources> {
  const client = new AdminClient({ baseUrl: adminUrl });
  try {
    return normalizeLive(await readLiveState(client, names));
  } finally {
    await client.close();
  }
}

/** A config file as the CLI (run from the repository root) names it in a location. */
const rel = (dir: string, file: string) => path.relative(repoRoot, path.join(dir, file));

async function releases(adminUrl: string) {
  const client = new AdminClient({ baseUrl: adminUrl });
  try {
    return await readReleases(client);
  } finally {
    await client.close();
  }
}

/** A namespace with a service, a module and routes; `extra` goes under the namespace. */
const shop = (routes: string, extra = '') => `version: v1
namespaces:
  - name: guarded
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"] }
    modules:
      - { name: auth, source: "export const x = 1;", type: typescript }
    routes:
${routes}${extra}`;

/** Writes files into a repository's gateway/ folder and commits them; returns the commit. */
async function commitFiles(repo: string, files: Record<string, string>, message: string): Promise<string> {
  await mkdir(path.join(repo, 'gateway'), { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(repo, 'gateway', name), text);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

interface Status {
  state?: string;
  newestCommit?: string;
  appliedCommit?: string;
  cycleAt?: string;
  hold?: { reason: string; release?: number; rolledBackTo?: number; by?: string; at?: string; commit?: string };
  error?: { code: string };
}

describe('guards against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();

  async function configDir(files: Record<string, string>): Promise<string> {
    const dir = await temps.make();
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    return dir;
  }
  const run = async (args: string[]) =>
    dgateCli(args, { env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: await temps.make() } });

  it('protection: plan and apply refuse to delete or recreate a protected resource, located, and write nothing; --allow-protected lifts it and the release says so', async () => {
    const routes = `      - name: home
        paths: ["/"]
        methods: [GET]
        service: api
        modules: [auth]
        protect: true
      - { name: other, paths: ["/other"], methods: [GET], service: api }
`;
    const first = await configDir({
      'gw.yaml': shop(routes),
      'settings.yaml': 'version: v1\nsettings:\n  protect:\n    - "route guarded/oth*"\n',
    });
    const applied = await run(['apply', first, '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    const recorded = (await releases(node().adminUrl)).at(-1);
    expect(recorded?.protected).toEqual(['routes:guarded/home']);

    // 1. A route that loses its module (DGate can only do that by deleting the route), and a
    // route the config drops that settings.protect covers.
    const edited = await configDir({
      'gw.yaml': shop(routes.replace('        modules: [auth]\n', '').replace(/ {6}- \{ name: other.*\n/, '')),
      'settings.yaml': 'version: v1\nsettings:\n  protect:\n    - "route guarded/oth*"\n',
    });
    const before = await snapshot(node().adminUrl, ['guarded']);
    const plan = await run(['plan', edited]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('- route other');
    expect(plan.stderr).toContain(
      `${rel(edited, 'gw.yaml')}:13:9: error DG3013: the plan would delete or recreate 2 protected resources: route guarded/home, route guarded/other; nothing was changed`,
    );
    expect(plan.stderr).toContain(
      `${rel(edited, 'gw.yaml')}:13:9: error DG3013: would delete and recreate protected route guarded/home (protect: true)`,
    );
    expect(plan.stderr).toContain(
      `${rel(edited, 'settings.yaml')}:4:7: error DG3013: would delete protected route guarded/other (settings.protect 'route guarded/oth*')`,
    );
    // The plan document and the markdown plan (the PR comment) say it too.
    const planJson = await run(['plan', edited, '--format', 'json']);
    expect(planJson.code).toBe(1);
    expect(JSON.parse(planJson.stdout).guards).toEqual({
      protected: [
        { kind: 'routes', id: 'guarded/home', action: 'recreate', rule: 'protect: true' },
        { kind: 'routes', id: 'guarded/other', action: 'delete', rule: "settings.protect 'route guarded/oth*'" },
      ],
    });
    const planMd = await run(['plan', edited, '--format', 'markdown']);
    expect(planMd.stdout).toContain(
      '> **Protected:** recreate of route `guarded/home` (protect: true): apply refuses it without `--allow-protected` (DG3013).',
    );
    const refused = await run(['apply', edited, '--auto-approve']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error DG3013: the plan would delete or recreate 2 protected resources');
    expect(refused.stdout).not.toContain('Apply complete');
    expect(await snapshot(node().adminUrl, ['guarded'])).toEqual(before);
    expect((await releases(node().adminUrl)).length).toBe(1);

    // 2. Dropped from the config with its protect: true, a resource stays protected (the release recorded it).
    const dropped = await configDir({ 'gw.yaml': shop(routes.replace(/ {6}- name: home[\s\S]*?protect: true\n/, '')) });
    const refusedDrop = await run(['apply', dropped, '--auto-approve']);
    expect(refusedDrop.code).toBe(1);
    expect(refusedDrop.stderr).toMatch(
      /error DG3013: would delete protected route guarded\/home \(protect: true when release \d+ was applied\)/,
    );
    expect(await snapshot(node().adminUrl, ['guarded'])).toEqual(before);

    // 3. --allow-protected: done, and recorded.
    const allowed = await run(['apply', edited, '--auto-approve', '--allow-protected']);
    expect(allowed.code, allowed.stderr).toBe(0);
    const latest = (await releases(node().adminUrl)).at(-1);
    expect(latest?.overrides).toEqual({
      allowedProtected: ['recreate route guarded/home', 'delete route guarded/other'],
    });
    const after = await snapshot(node().adminUrl, ['guarded']);
    expect(after.routes.map((r) => [r.name, r.modules ?? []])).toEqual([['home', []]]);
    // protect is dgate-cli's own: DGate never saw it.
    expect(JSON.stringify(after)).not.toContain('protect');
  });

  it('mass delete: a commit that empties a file holds the reconciler and deletes nothing; apply refuses it until --allow-mass-delete, which the release records', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    const routeList = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const routesFile = `version: v1\nnamespaces:\n  - name: mass\n    routes:\n${routeList.map((r) => `      - { name: ${r}, paths: ["/${r}"], methods: [GET], service: api }`).join('\n')}\n`;
    await commitFiles(
      repo,
      {
        'services.yaml':
          'version: v1\nnamespaces:\n  - name: mass\n    services:\n      - { name: api, urls: ["http://127.0.0.1:9/"] }\n',
        'routes.yaml': routesFile,
      },
      'all',
    );
    const statusFile = path.join(state, 'status.json');
    const env = { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state };
    const once = () =>
      dgateCli(['reconcile', '--repo', repo, '--once', '--status-file', statusFile, 'gateway'], { env });
    const applied = await once();
    expect(applied.code, applied.stderr).toBe(0);
    const before = await snapshot(node().adminUrl, ['mass']);
    expect(before.routes).toHaveLength(6);

    // routes.yaml emptied: 6 deletes of 8 managed resources (the namespace, the service, 6 routes), over 25% (and 5).
    const emptied = await commitFiles(repo, { 'routes.yaml': '' }, 'oops');
    const held = await once();
    expect(held.code).toBe(1);
    expect(held.stderr).toContain(
      `error DG3103: reconcile: commit ${emptied.slice(0, 7)} of main is not applied, and the loop holds the cluster as it is: the plan deletes 6 of 8 managed resources, more than one apply may without --allow-mass-delete`,
    );
    expect(await snapshot(node().adminUrl, ['mass'])).toEqual(before);
    const status = JSON.parse(await readFile(statusFile, 'utf8')) as Status;
    expect(status).toMatchObject({
      state: 'held',
      newestCommit: emptied,
      hold: { reason: 'mass-delete', commit: emptied },
    });

    // apply refuses the same plan, and writes nothing.
    const checkout = path.join(repo, 'gateway');
    const refused = await run(['apply', checkout, '--auto-approve']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'error DG3014: the plan deletes 6 of 8 managed resources, more than one apply may without --allow-mass-delete: the limit is 5 (25% of 8, at least 5: the default settings.maxDeletes); nothing was changed',
    );
    expect(await snapshot(node().adminUrl, ['mass'])).toEqual(before);
    const allowed = await run(['apply', checkout, '--auto-approve', '--allow-mass-delete']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect((await snapshot(node().adminUrl, ['mass'])).routes).toEqual([]);
    expect((await releases(node().adminUrl)).at(-1)?.overrides).toEqual({
      allowedMassDelete: { deletes: 6, limit: 5 },
    });
  });

  it('a rollback by hand holds the reconciler: it heals drift towards the release rolled back to, says who and when, and follows the branch again after --resume or a new commit', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    const gateway = (retries: number, routes: string[]) =>
      `version: v1\nnamespaces:\n  - name: held\n    services:\n      - { name: api, urls: ["http://127.0.0.1:9/"], retries: ${retries} }\n    routes:\n${routes.map((r) => `      - { name: ${r}, paths: ["/${r}"], methods: [GET], service: api }`).join('\n')}\n`;
    const c1 = await commitFiles(repo, { 'gw.yaml': gateway(1, ['a']) }, 'c1');
    const statusFile = path.join(state, 'status.json');
    const env = { ...process.env, NO_COLOR: '1', DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state };
    const service = async () =>
      (await adminCall(node().adminUrl, 'GET', '/service/api?namespace=held')).json.data as { retries: number };
    const routeNames = async () =>
      ((await adminCall(node().adminUrl, 'GET', '/route?namespace=held')).json.data as { name: string }[])
        .map((r) => r.name)
        .sort();
    const status = async () => JSON.parse(await readFile(statusFile, 'utf8').catch(() => '{}')) as Status;
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/dgate-cli'),
        'reconcile',
        '--repo',
        repo,
        '--interval',
        '300ms',
        '--status-file',
        statusFile,
        '--listen',
        '127.0.0.1:0',
        'gateway',
      ],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const listening = await until('the listener', async () => /listening on (http:\/\/\S+)/.exec(stdout)?.[1]);
      await until('c1 applied', async () => ((await status()).appliedCommit === c1 ? true : undefined));
      const c2 = await commitFiles(repo, { 'gw.yaml': gateway(2, ['a', 'b']) }, 'c2');
      await until('c2 applied', async () => ((await status()).appliedCommit === c2 ? true : undefined));
      expect((await service()).retries).toBe(2);

      // The operator returns to c1's release during an incident.
      const c1Release = (await releases(node().adminUrl)).find((r) => r.git?.commit === c1)!.number;
      const rolledBack = await dgateCli(
        ['rollback', '--to', String(c1Release), '--auto-approve', '--lock-timeout', '30s'],
        {
          env: {
            DGATE_ADMIN_URL: node().adminUrl,
            DGATE_CLI_ACTOR: 'oncall-alice',
            DGATE_CLI_STATE_DIR: await temps.make(),
          },
        },
      );
      expect(rolledBack.code, rolledBack.stderr).toBe(0);
      const rollbackRelease = (await releases(node().adminUrl)).at(-1)!;
      expect(rollbackRelease.kind).toBe('rollback');

      const hold = await until('the hold', async () => {
        const s = await status();
        return s.hold?.reason === 'rollback' ? s : undefined;
      });
      expect(hold).toMatchObject({
        state: 'held',
        newestCommit: c2,
        hold: {
          reason: 'rollback',
          release: rollbackRelease.number,
          rolledBackTo: c1Release,
          at: rollbackRelease.appliedAt,
        },
      });
      expect(hold.hold?.by).toMatch(/^oncall-alice@/);
      const served = (await (await fetch(`${listening}/status`)).json()) as Status;
      expect(served.hold).toEqual(hold.hold);
      expect(stdout).toMatch(
        new RegExp(
          `Z held: oncall-alice@\\S+ rolled back to release ${c1Release} at ${rollbackRelease.appliedAt} \\(release ${rollbackRelease.number}\\); not applying main@${c2.slice(0, 7)}:gateway until a new commit arrives on main or \`dgate-cli reconcile --resume\`\n`,
        ),
      );
      // Several cycles later, c2 is still not applied again.
      const heldAt = hold.cycleAt!;
      await until('three more cycles', async () => {
        const s = await status();
        return s.cycleAt && s.cycleAt > heldAt && Date.parse(s.cycleAt) - Date.parse(heldAt) > 900 ? true : undefined;
      });
      expect((await service()).retries).toBe(1);
      expect(await routeNames()).toEqual(['a']);

      // Drift is healed towards the release rolled back to, and the hold stays.
      await adminPut(node().adminUrl, 'service', {
        name: 'api',
        namespace: 'held',
        urls: ['http://127.0.0.1:9/'],
        retries: 7,
      });
      await until('drift healed towards c1', async () => ((await service()).retries === 1 ? true : undefined));
      await until('the heal line', async () =>
        new RegExp(`Z drift: 1 change to \\S+, healed towards release ${c1Release} \\(held\\)\n`).test(stdout)
          ? true
          : undefined,
      );
      expect((await status()).hold?.release).toBe(rollbackRelease.number);
      expect(await routeNames()).toEqual(['a']);

      // --resume: the loop follows main again, and c2 comes back.
      const resumed = await dgateCli(['reconcile', '--resume', '--lock-timeout', '30s'], {
        env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: await temps.make() },
      });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(resumed.stdout).toContain(`Resumed: reconcilers of ${node().adminUrl} apply their branch again`);
      await until('c2 applied again', async () => ((await service()).retries === 2 ? true : undefined));
      await until('synced', async () => ((await status()).state === 'synced' ? true : undefined));
      expect((await status()).hold).toBeUndefined();
      expect(await routeNames()).toEqual(['a', 'b']);

      // Rolled back again, then a new commit on main: the new commit ends the hold.
      const again = await dgateCli(['rollback', '--to', String(c1Release), '--auto-approve', '--lock-timeout', '30s'], {
        env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: await temps.make() },
      });
      expect(again.code, again.stderr).toBe(0);
      await until('held again', async () => ((await status()).hold?.reason === 'rollback' ? true : undefined));
      const c3 = await commitFiles(repo, { 'gw.yaml': gateway(3, ['a', 'c']) }, 'c3');
      await until('c3 applied', async () =>
        (await status()).appliedCommit === c3 && (await status()).state === 'synced' ? true : undefined,
      );
      expect((await service()).retries).toBe(3);
      expect(await routeNames()).toEqual(['a', 'c']);
      expect(stdout).toMatch(/Z hold ended: following main again\n/);

      // A commit that empties a file holds the loop at the commit before it; /status says why.
      const more = ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'];
      const c4 = await commitFiles(
        repo,
        {
          'more.yaml': `version: v1\nnamespaces:\n  - name: held\n    routes:\n${more.map((r) => `      - { name: ${r}, paths: ["/${r}"], methods: [GET], service: api }`).join('\n')}\n`,
        },
        'c4',
      );
      await until('c4 applied', async () => ((await status()).appliedCommit === c4 ? true : undefined));
      const beforeEmptied = await snapshot(node().adminUrl, ['held']);
      const c5 = await commitFiles(repo, { 'more.yaml': '' }, 'c5 empties more.yaml');
      const massHold = await until('the mass-delete hold', async () => {
        const s = (await (await fetch(`${listening}/status`)).json()) as Status;
        return s.hold?.reason === 'mass-delete' ? s : undefined;
      });
      expect(massHold).toMatchObject({ state: 'held', newestCommit: c5, appliedCommit: c4, hold: { commit: c5 } });
      expect(stderr).toContain(
        `error DG3103: reconcile: commit ${c5.slice(0, 7)} of main is not applied, and the loop holds the cluster at ${c4.slice(0, 7)}: the plan deletes 6 of 10 managed resources`,
      );
      await until('the held-off line', async () =>
        stdout.includes(
          `in sync with main@${c4.slice(0, 7)}:gateway; main@${c5.slice(0, 7)}:gateway, newer, would delete too much and is held off\n`,
        )
          ? true
          : undefined,
      );
      expect(await snapshot(node().adminUrl, ['held'])).toEqual(beforeEmptied);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('change windows: plan says whether now is inside and when the next opens; apply and reconcile refuse outside, write nothing, and --override-window records its reason', async () => {
    const windows =
      'settings:\n  windows:\n    timeZone: Europe/Paris\n    allow:\n      - { days: [mon, tue, wed, thu, fri], from: "09:00", to: "17:00" }\n';
    const gateway = (retries: number) =>
      `version: v1\n${windows}namespaces:\n  - name: windowed\n    services:\n      - { name: api, urls: ["http://127.0.0.1:9/"], retries: ${retries} }\n`;
    // Saturday 2026-03-28 12:00Z; Paris moves to summer time on Sunday, so Monday 09:00 is 07:00Z.
    const saturday = '2026-03-28T12:00:00Z';
    const monday = '2026-03-30T07:30:00Z';
    const repo = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await commitFiles(repo, { 'gw.yaml': gateway(1) }, 'one');
    const checkout = path.join(repo, 'gateway');

    const plan = await run(['plan', checkout, '--at', saturday]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(
      'Change windows: outside the change windows (Europe/Paris); the next opens at 2026-03-30T07:00:00.000Z.\n',
    );
    const inside = await run(['plan', checkout, '--at', monday]);
    expect(inside.stdout).toContain(
      'Change windows: inside a change window (Europe/Paris); it closes at 2026-03-30T15:00:00.000Z.\n',
    );

    const before = await snapshot(node().adminUrl, ['windowed']);
    const count = (await releases(node().adminUrl)).length;
    const refused = await run(['apply', checkout, '--auto-approve', '--at', saturday]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `${rel(checkout, 'gw.yaml')}:4:5: error DG3015: changes are not allowed now: outside the change windows (Europe/Paris); the next opens at 2026-03-30T07:00:00.000Z; nothing was changed`,
    );
    expect(await snapshot(node().adminUrl, ['windowed'])).toEqual(before);
    expect((await releases(node().adminUrl)).length).toBe(count);
    // A plan saved inside a window is judged when it is applied, not when it was made.
    const planFile = path.join(await temps.make(), 'plan.json');
    expect((await run(['plan', checkout, '--at', monday, '--out', planFile])).code).toBe(0);
    const savedRefused = await run(['apply', planFile, '--auto-approve', '--at', saturday]);
    expect(savedRefused.code).toBe(1);
    expect(savedRefused.stderr).toContain('error DG3015: changes are not allowed now');
    expect(await snapshot(node().adminUrl, ['windowed'])).toEqual(before);

    // reconcile holds outside the windows, and says why in its status.
    const state = await temps.make();
    const statusFile = path.join(state, 'status.json');
    const held = await dgateCli(
      ['reconcile', '--repo', repo, '--once', '--at', saturday, '--status-file', statusFile, 'gateway'],
      { env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state } },
    );
    expect(held.code).toBe(1);
    expect(held.stderr).toContain('error DG3015: reconcile: changes are not allowed now');
    expect(JSON.parse(await readFile(statusFile, 'utf8'))).toMatchObject({
      state: 'held',
      hold: { reason: 'window' },
    });
    expect(await snapshot(node().adminUrl, ['windowed'])).toEqual(before);

    const overridden = await run([
      'apply',
      checkout,
      '--auto-approve',
      '--at',
      saturday,
      '--override-window',
      'INC-42 hotfix',
    ]);
    expect(overridden.code, overridden.stderr).toBe(0);
    expect((await releases(node().adminUrl)).at(-1)?.overrides).toEqual({ windowOverride: 'INC-42 hotfix' });
    const history = await run(['history']);
    expect(history.stdout).toMatch(/\n\d+: applied with --override-window "INC-42 hotfix"\n/);
    // Inside a window, reconcile applies.
    await commitFiles(repo, { 'gw.yaml': gateway(2) }, 'two');
    const applied = await dgateCli(['reconcile', '--repo', repo, '--once', '--at', monday, 'gateway'], {
      env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state },
    });
    expect(applied.code, applied.stderr).toBe(0);
    expect((await snapshot(node().adminUrl, ['windowed'])).services[0]?.retries).toBe(2);
  });

  it('notifications: each webhook gets the events it asked for, as Slack text with fields; a dead one is a warning, and the apply goes on', async () => {
    const bodies: Record<string, unknown>[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    // A port that was just free: nothing answers there.
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/hook`;
    await new Promise((resolve) => dead.close(resolve));
    try {
      const repo = await temps.make();
      const state = await temps.make();
      git(repo, 'init', '-q', '-b', 'main');
      const commit = await commitFiles(
        repo,
        {
          'gw.yaml': `version: v1
settings:
  notify:
    - { url: { fromEnv: GOOD_HOOK }, events: [applied, drift-found, drift-healed] }
    - url: { fromEnv: DEAD_HOOK }
namespaces:
  - name: notified
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"], retries: 1 }
`,
        },
        'one',
      );
      const env = {
        DGATE_ADMIN_URL: node().adminUrl,
        DGATE_CLI_STATE_DIR: state,
        DGATE_CLI_ACTOR: 'ci',
        GOOD_HOOK: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/slack`,
        DEAD_HOOK: deadUrl,
      };
      const once = () => dgateCli(['reconcile', '--repo', repo, '--once', 'gateway'], { env });
      const started = Date.now();
      const applied = await once();
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stderr).toContain('warning: webhook 2 of settings.notify did not take the notice (ECONNREFUSED)');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(applied.stdout + applied.stderr).not.toContain(deadUrl);
      await adminPut(node().adminUrl, 'service', {
        name: 'api',
        namespace: 'notified',
        urls: ['http://127.0.0.1:9/'],
        retries: 5,
      });
      const healed = await once();
      expect(healed.code, healed.stderr).toBe(0);
      expect(bodies.map((b) => b.event)).toEqual(['applied', 'drift-found', 'drift-healed']);
      const release = (await releases(node().adminUrl)).at(-1)!;
      expect(bodies[0]).toMatchObject({
        source: 'dgate-cli',
        event: 'applied',
        cluster: node().adminUrl,
        commit,
        summary: { create: 2, update: 0, delete: 0 },
        release: release.number - 1,
      });
      expect(bodies[0]!.text).toMatch(
        new RegExp(
          `^dgate-cli applied sha256:[0-9a-f]{12} from commit ${commit.slice(0, 7)} to ${node().adminUrl} \\(release ${release.number - 1}\\): 2 created, 0 updated, 0 deleted, by ci@`,
        ),
      );
      expect(bodies[2]).toMatchObject({ event: 'drift-healed', release: release.number, summary: { update: 1 } });
      // The release keeps where the URLs come from, never a URL.
      expect(release.notify).toEqual([
        { url: { fromEnv: 'GOOD_HOOK' }, events: ['applied', 'drift-found', 'drift-healed'] },
        { url: { fromEnv: 'DEAD_HOOK' } },
      ]);
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });
});
