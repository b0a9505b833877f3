import { spawn } from 'node:child_process';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { adminCall, adminPut } from '../harness/admin.js';
import { git } from '../harness/git.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { until } from '../harness/until.js';

/** A config of one namespace with a service whose retries say which commit it is, and routes. */
const config = (retries: number, routes: string[]) => `version: v1
namespaces:
  - name: gitops
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"], retries: ${retries} }
    routes:
${routes.map((r) => `      - { name: ${r}, paths: ["/${r}"], methods: [GET], service: api }`).join('\n')}
`;

async function commit(repo: string, text: string, message: string): Promise<string> {
  await writeFile(path.join(repo, 'gateway', 'config.yaml'), text);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

describe('reconcile: following a git branch, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const service = async () =>
    (await adminCall(node().adminUrl, 'GET', '/service/api?namespace=gitops')).json.data as
      | { retries: number }
      | undefined;
  const routes = async () =>
    ((await adminCall(node().adminUrl, 'GET', '/route?namespace=gitops')).json.data as { name: string }[])
      .map((r) => r.name)
      .sort();

  it('--once applies the newest commit, heals drift, refuses a commit that does not check, and records the commit', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'prod');
    await mkdir(path.join(repo, 'gateway'));
    const first = await commit(repo, config(1, ['a']), 'first');
    const env = { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state };
    const once = (extra: string[] = []) =>
      dgateCli(['reconcile', '--repo', repo, '--branch', 'prod', '--once', ...extra, 'gateway'], { env });

    const applied = await once();
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(new RegExp(`Z commit ${first.slice(0, 7)}: 3 changes to ${node().adminUrl}\\n`));
    expect(applied.stdout).toMatch(new RegExp(`Z in sync with prod@${first.slice(0, 7)}:gateway\\n$`));
    expect((await service())?.retries).toBe(1);
    expect(await routes()).toEqual(['a']);

    // In sync: one line, and nothing written.
    const idle = await once();
    expect(idle.code).toBe(0);
    expect(idle.stdout.trim().split('\n')).toHaveLength(1);

    // Drift by hand is put back.
    await adminPut(node().adminUrl, 'service', {
      name: 'api',
      namespace: 'gitops',
      urls: ['http://127.0.0.1:9/'],
      retries: 7,
    });
    const healed = await once();
    expect(healed.code, healed.stderr).toBe(0);
    expect(healed.stdout).toMatch(/ commit [0-9a-f]{7}: 1 change to /);
    expect((await service())?.retries).toBe(1);

    // A commit that does not check is not applied, and says so.
    await commit(repo, config(1, ['a']).replace('methods: [GET]', 'methods: [FETCH]'), 'broken');
    const refused = await once();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/gateway\/config\.yaml:\d+:\d+: error DG1\d{3}: .*FETCH/);
    expect(refused.stderr).toMatch(
      /error DG3102: reconcile: commit [0-9a-f]{7} of prod does not check, so it is not applied/,
    );
    expect(await routes()).toEqual(['a']);

    // The release history says which commit each apply came from.
    const history = await dgateCli(['history', '--format', 'json'], { env });
    const releases = JSON.parse(history.stdout) as { git?: { commit: string | null } | null }[];
    expect(releases.map((r) => r.git?.commit)).toContain(first);
  });

  it('as a loop: rolls out each new commit, heals drift, holds a broken commit off, and stops on SIGTERM', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await mkdir(path.join(repo, 'gateway'));
    await commit(repo, config(2, ['b']), 'one');
    const statusFile = path.join(state, 'status.json');
    const status = async () =>
      JSON.parse(await readFile(statusFile, 'utf8').catch(() => '{}')) as {
        state?: string;
        newestCommit?: string;
        appliedCommit?: string;
        error?: { code: string };
      };
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/dgate-cli'),
        'reconcile',
        '--repo',
        `git+file://${repo}`,
        '--interval',
        '300ms',
        '--status-file',
        statusFile,
        'gateway',
      ],
      {
        env: { ...process.env, NO_COLOR: '1', DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until('the first commit', async () => ((await routes()).includes('b') ? true : undefined));
      // A new commit is rolled out.
      const second = await commit(repo, config(3, ['b', 'c']), 'two');
      await until('the second commit', async () =>
        (await service())?.retries === 3 && (await routes()).includes('c') ? true : undefined,
      );
      await until('the status to say synced', async () =>
        (await status()).appliedCommit === second ? true : undefined,
      );
      expect(await status()).toMatchObject({ state: 'synced', newestCommit: second, appliedCommit: second });
      // Drift is healed without a commit.
      await adminPut(node().adminUrl, 'service', {
        name: 'api',
        namespace: 'gitops',
        urls: ['http://127.0.0.1:9/'],
        retries: 9,
      });
      await until('drift healed', async () => ((await service())?.retries === 3 ? true : undefined));
      await until('the drift line', async () => (/ drift: 1 change to /.test(stdout) ? true : undefined));
      // A broken commit is reported once and held off; drift is still healed towards the last good one.
      const broken = await commit(repo, config(4, ['b', 'c']).replace('retries: 4', 'retries: -4'), 'broken');
      await until('the refusal', async () => (/DG3102/.test(stderr) ? true : undefined));
      await until('the status to say held', async () => ((await status()).newestCommit === broken ? true : undefined));
      expect(await status()).toMatchObject({
        state: 'held',
        newestCommit: broken,
        appliedCommit: second,
        error: { code: 'DG3102' },
      });
      const beforeHeal = stdout.length;
      await adminPut(node().adminUrl, 'service', {
        name: 'api',
        namespace: 'gitops',
        urls: ['http://127.0.0.1:9/'],
        retries: 8,
      });
      await until('drift healed towards the last good commit', async () =>
        (await service())?.retries === 3 ? true : undefined,
      );
      // The heal names the commit it heals towards, and names the held-off one once.
      const heal = await until('the in-sync line after the heal', async () =>
        / in sync with .*\n/.test(stdout.slice(beforeHeal)) ? stdout.slice(beforeHeal) : undefined,
      );
      const [good7, broken7] = [second.slice(0, 7), broken.slice(0, 7)];
      expect(heal).toMatch(/Z drift: 1 change to /);
      expect(heal).toContain(`dgate-cli plan: main@${good7}:gateway (`);
      expect(heal).toMatch(
        new RegExp(
          `Z in sync with main@${good7}:gateway; main@${broken7}:gateway, newer, does not check and is held off\\n`,
        ),
      );
      expect(heal.split(broken7)).toHaveLength(2);
      expect(stderr.match(/DG3102/g)).toHaveLength(1);
      expect(stderr).toMatch(/holding the cluster at [0-9a-f]{7}/);
      // With the repository out of reach, drift is still healed towards the last good commit.
      await rename(repo, `${repo}-away`);
      await until('the fetch failure', async () => ((await status()).error?.code === 'DG3101' ? true : undefined));
      await adminPut(node().adminUrl, 'service', {
        name: 'api',
        namespace: 'gitops',
        urls: ['http://127.0.0.1:9/'],
        retries: 6,
      });
      await until('drift healed without the repository', async () =>
        (await service())?.retries === 3 ? true : undefined,
      );
      expect(await status()).toMatchObject({ state: 'error', appliedCommit: second });
      await rename(`${repo}-away`, repo);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/ stopped\n$/);
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it('killed in the middle of an apply, the next cycle rolls that apply back and then applies the branch', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await mkdir(path.join(repo, 'gateway'));
    const routeNames = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'];
    await commit(repo, config(5, routeNames).replace(/name: gitops/, 'name: killed'), 'many');
    const proxy = await startFaultProxy(node().adminUrl);
    try {
      // The namespace and the service go through; the routes' writes never reach the server, and
      // the reconciler is killed while it waits for them.
      let routeWrites = 0;
      proxy.setRule(({ method, path: p }) => {
        if (method === 'PUT' && p.startsWith('/api/v1/route')) {
          routeWrites++;
          return { kind: 'hang' };
        }
        return { kind: 'pass' };
      });
      const env = { ...process.env, NO_COLOR: '1', DGATE_ADMIN_URL: proxy.url, DGATE_CLI_STATE_DIR: state };
      const child = spawn(
        process.execPath,
        [path.join(repoRoot, 'bin/dgate-cli'), 'reconcile', '--repo', repo, '--once', 'gateway'],
        { env, stdio: 'ignore' },
      );
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await until(
        'a route write',
        async () =>
          routeWrites > 0
            ? true
            : child.exitCode !== null
              ? Promise.reject(new Error('finished too early'))
              : undefined,
        30_000,
      );
      child.kill('SIGKILL');
      await exited;
      proxy.setRule(() => ({ kind: 'pass' }));
      const killedRoutes = async () =>
        (
          (await adminCall(node().adminUrl, 'GET', '/route?namespace=killed')).json.data as
            | { name: string }[]
            | undefined
        )
          ?.map((r) => r.name)
          .sort() ?? [];
      expect(await killedRoutes()).toEqual([]);
      expect((await adminCall(node().adminUrl, 'GET', '/service/api?namespace=killed')).status).toBe(200);

      const next = await dgateCli(['reconcile', '--repo', repo, '--once', 'gateway'], {
        env: { DGATE_ADMIN_URL: proxy.url, DGATE_CLI_STATE_DIR: state },
      });
      expect(next.code, next.stderr).toBe(0);
      expect(next.stdout).toMatch(/Z rolled back apply \S+, interrupted since \S+\n/);
      expect(next.stdout).toMatch(/Z in sync with main@[0-9a-f]{7}:gateway\n$/);
      expect(await killedRoutes()).toEqual(routeNames);
      // Nothing is left for recover.
      expect(
        (await dgateCli(['recover'], { env: { DGATE_ADMIN_URL: proxy.url, DGATE_CLI_STATE_DIR: state } })).stderr,
      ).toContain('error DG3008');
    } finally {
      await proxy.close();
    }
  });

  it('starts a cycle at once on SIGHUP, without waiting out the interval; refuses an interval too short', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await mkdir(path.join(repo, 'gateway'));
    await commit(repo, config(1, ['h1']).replace(/name: gitops/, 'name: hup'), 'one');
    const hupRoutes = async () =>
      ((await adminCall(node().adminUrl, 'GET', '/route?namespace=hup')).json.data as { name: string }[] | undefined)
        ?.map((r) => r.name)
        .sort() ?? [];
    const child = spawn(
      process.execPath,
      [path.join(repoRoot, 'bin/dgate-cli'), 'reconcile', '--repo', repo, '--interval', '10m', 'gateway'],
      {
        env: { ...process.env, NO_COLOR: '1', DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state },
        stdio: 'ignore',
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await until('the first cycle', async () => ((await hupRoutes()).includes('h1') ? true : undefined));
      await commit(repo, config(1, ['h1', 'h2']).replace(/name: gitops/, 'name: hup'), 'two');
      child.kill('SIGHUP');
      // Ten minutes would pass before the next cycle; SIGHUP makes it now.
      await until(
        'the cycle SIGHUP started',
        async () => ((await hupRoutes()).includes('h2') ? true : undefined),
        20_000,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const tooShort = await dgateCli(['reconcile', '--repo', repo, '--interval', '10ms'], {
      env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: state },
    });
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(/^error DG0001: --interval 10ms is shorter than 100ms/);
    const noRepo = await dgateCli(['reconcile', '--once']);
    expect(noRepo.code).toBe(1);
    expect(noRepo.stderr).toMatch(/^error DG0001: dgate-cli reconcile needs --repo\n {2}hint: /);
  });

  it('--listen serves /healthz and /status, and POST /hook starts a cycle, with the token when one is set', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await mkdir(path.join(repo, 'gateway'));
    const first = await commit(repo, config(1, ['w1']).replace(/name: gitops/, 'name: hook'), 'one');
    const hookRoutes = async () =>
      ((await adminCall(node().adminUrl, 'GET', '/route?namespace=hook')).json.data as { name: string }[] | undefined)
        ?.map((r) => r.name)
        .sort() ?? [];
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/dgate-cli'),
        'reconcile',
        '--repo',
        repo,
        '--interval',
        '10m',
        '--listen',
        '127.0.0.1:0',
        'gateway',
      ],
      {
        env: {
          ...process.env,
          NO_COLOR: '1',
          DGATE_ADMIN_URL: node().adminUrl,
          DGATE_CLI_STATE_DIR: state,
          DGATE_CLI_HOOK_TOKEN: 'hook-secret',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const base = await until(
        'the listening line',
        async () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1],
      );
      const get = async (p: string) => {
        const res = await request(`${base}${p}`);
        return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
      };
      await until('healthy', async () => ((await get('/healthz')).status === 200 ? true : undefined));
      expect((await get('/status')).json).toMatchObject({ state: 'synced', appliedCommit: first });
      await commit(repo, config(1, ['w1', 'w2']).replace(/name: gitops/, 'name: hook'), 'two');
      const refused = await request(`${base}/hook`, { method: 'POST', headers: { authorization: 'Bearer wrong' } });
      expect(refused.statusCode).toBe(401);
      await refused.body.dump();
      const hooked = await request(`${base}/hook`, {
        method: 'POST',
        headers: { authorization: 'Bearer hook-secret' },
      });
      expect(hooked.statusCode).toBe(202);
      await hooked.body.dump();
      await until(
        'the cycle the hook started',
        async () => ((await hookRoutes()).includes('w2') ? true : undefined),
        20_000,
      );
      expect((await get('/nope')).status).toBe(404);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('says clearly when the branch cannot be fetched, and changes nothing', async () => {
    const missing = path.join(await temps.make(), 'nope');
    const statusFile = path.join(await temps.make(), 'status.json');
    const result = await dgateCli(['reconcile', '--repo', missing, '--once', '--status-file', statusFile], {
      env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: await temps.make() },
    });
    expect(result.code).toBe(1);
    expect(JSON.parse(await readFile(statusFile, 'utf8'))).toMatchObject({
      format: 'dgate-cli/reconcile-status@1',
      state: 'error',
      newestCommit: null,
      appliedCommit: null,
      error: { code: 'DG3101' },
    });

    // Credentials written into the URL reach no output, no status file, and not the cluster's lock.
    const token = 'LEAKrepotoken42';
    const withCredentials = await dgateCli(
      ['reconcile', '--repo', `https://ci:${token}@127.0.0.1:9/gateway.git`, '--once', '--status-file', statusFile],
      { env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: await temps.make() } },
    );
    expect(withCredentials.code).toBe(1);
    expect(withCredentials.stderr).toMatch(
      /^error DG3101: cannot fetch branch 'main' of https:\/\/\*\*\*@127\.0\.0\.1:9\/gateway\.git: /,
    );
    const status = await readFile(statusFile, 'utf8');
    expect(status).toContain('https://***@127.0.0.1:9/gateway.git');
    for (const text of [withCredentials.stdout, withCredentials.stderr, status]) expect(text).not.toContain(token);
    expect(result.stderr).toMatch(
      /^error DG3101: cannot fetch branch 'main' of file:\/\/.*nope: .*\n {2}hint: check the repository URL/,
    );
  });
});
