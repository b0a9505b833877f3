import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { git } from '../harness/git.js';
import { useOwnDgateNode } from '../harness/node.js';
import { until } from '../harness/until.js';

const secret = 'hook-secret-for-the-test';
const config = (routes: string[]) => `version: v1
namespaces:
  - name: hooked
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"] }
    routes:
${routes.map((r) => `      - { name: ${r}, paths: ["/${r}"], methods: [GET], service: api }`).join('\n')}
`;

/** Starts `reconcile --listen`, following main every 10 minutes: only a hook starts a cycle in between. */
async function startListening(
  repo: string,
  listen: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; base: string; log: () => string; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [path.join(repoRoot, 'bin/dgate-cli'), 'reconcile', '--repo', repo, '--interval', '10m', '--listen', listen],
    { env: { ...process.env, NO_COLOR: '1', DGATE_CLI_HOOK_TOKEN: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await until('the listening line', async () => /listening on http:\/\/[^:]+:(\d+)/.exec(stdout)?.[1]);
  return { child, base: `http://127.0.0.1:${port}`, log: () => stdout, exited };
}

async function post(url: string, headers: Record<string, string>, body: string) {
  const res = await request(url, { method: 'POST', headers, body });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, string> };
}

describe('reconcile --listen: push webhooks as GitHub and GitLab send them, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const routes = async () =>
    ((await adminCall(node().adminUrl, 'GET', '/route?namespace=hooked')).json.data as { name: string }[] | undefined)
      ?.map((r) => r.name)
      .sort() ?? [];

  it('a signed push to the followed branch starts a cycle; other branches, bad signatures and pings do not', async () => {
    const repo = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await writeFile(path.join(repo, 'config.yaml'), config(['h1']));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'one');
    const listener = await startListening(repo, '127.0.0.1:0', {
      DGATE_ADMIN_URL: node().adminUrl,
      DGATE_CLI_STATE_DIR: await temps.make(),
      DGATE_CLI_HOOK_SECRET: secret,
    });
    try {
      await until('the first cycle', async () => ((await routes()).includes('h1') ? true : undefined));
      await writeFile(path.join(repo, 'config.yaml'), config(['h1', 'h2']));
      git(repo, 'commit', '-q', '-am', 'two');
      const hook = `${listener.base}/hook`;
      const github = (body: string, signature: string, event = 'push') =>
        post(
          hook,
          { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': signature },
          body,
        );
      const sign = (body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

      const elsewhere = JSON.stringify({ ref: 'refs/heads/feature', after: 'f00' });
      expect(await github(elsewhere, sign(elsewhere))).toEqual({
        status: 200,
        json: { ignored: 'a push to refs/heads/feature; following refs/heads/main' },
      });
      const main = JSON.stringify({ ref: 'refs/heads/main', after: 'abc' });
      expect((await github(main, sign(`${main} `))).status).toBe(401);
      expect(
        (
          await github(
            main,
            sign(main).replace(/.$/, (c) => (c === '0' ? '1' : '0')),
          )
        ).status,
      ).toBe(401);
      expect((await github('{"zen":"hi"}', sign('{"zen":"hi"}'), 'ping')).status).toBe(200);
      expect((await post(hook, { authorization: 'Bearer wrong' }, '')).status).toBe(401);
      // None of those started a cycle: the second commit is not applied.
      await new Promise((r) => setTimeout(r, 1500));
      expect(await routes()).toEqual(['h1']);

      expect(await github(main, sign(main))).toEqual({ status: 202, json: { cycle: 'started' } });
      await until('the cycle the hook started', async () => ((await routes()).includes('h2') ? true : undefined));

      // GitLab's push hook, with its token.
      await writeFile(path.join(repo, 'config.yaml'), config(['h1', 'h2', 'h3']));
      git(repo, 'commit', '-q', '-am', 'three');
      const gitlab = (token: string) =>
        post(
          hook,
          { 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': token },
          JSON.stringify({ ref: 'refs/heads/main' }),
        );
      expect((await gitlab('not-the-secret')).status).toBe(401);
      expect((await gitlab(secret)).status).toBe(202);
      await until('the cycle GitLab started', async () => ((await routes()).includes('h3') ? true : undefined));
      expect(listener.log()).not.toContain(secret);
    } finally {
      listener.child.kill('SIGTERM');
    }
    expect(await listener.exited).toBe(0);
  });

  it('without a secret, a listener off loopback refuses every hook, and says so when it starts', async () => {
    const repo = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await mkdir(path.join(repo, 'gw'));
    await writeFile(path.join(repo, 'gw', 'config.yaml'), config(['x1']));
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'one');
    const listener = await startListening(repo, '0.0.0.0:0', {
      DGATE_ADMIN_URL: node().adminUrl,
      DGATE_CLI_STATE_DIR: await temps.make(),
      DGATE_CLI_HOOK_SECRET: '',
    });
    try {
      expect(listener.log()).toContain('POST /hook refuses every request: set $DGATE_CLI_HOOK_SECRET');
      const refused = await post(`${listener.base}/hook`, { 'x-github-event': 'push' }, '{"ref":"refs/heads/main"}');
      expect(refused.status).toBe(403);
      expect(refused.json.error).toMatch(/needs a secret when the listener is not on loopback/);
    } finally {
      listener.child.kill('SIGTERM');
    }
    expect(await listener.exited).toBe(0);
  });
});
