import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { shopConfig, traffic } from '../harness/canary.js';
import { dgateCli } from '../harness/cli.js';
import { git } from '../harness/git.js';
import { useTempDirs } from '../harness/fixtures.js';
import { startVersion, type Upstream } from '../harness/upstream.js';
import { useOwnDgateNodes } from '../harness/node.js';

describe('canary fleet waves, against two real dgate-servers', () => {
  const [main, canaryNode] = useOwnDgateNodes(
    { extraConfig: { disable_metrics: false } },
    { extraConfig: { disable_metrics: false } },
  );
  const temps = useTempDirs();
  const agent = new Agent({ connections: 8, pipelining: 1 });
  let versions: Upstream[] = [];
  let dir: string;

  beforeAll(async () => {
    versions = await Promise.all([startVersion('stable'), startVersion('good'), startVersion('bad', 2)]);
    dir = await temps.make();
  });
  afterAll(async () => {
    await agent.close();
    await Promise.all(versions.map((v) => v.close()));
  });

  async function writeConfig(canaryService: string, pause = '2s'): Promise<void> {
    const [stable, good, bad] = versions;
    await writeFile(
      path.join(dir, 'shop.yaml'),
      shopConfig({
        head: `targets:
  - { name: eu, admin: ["${main().adminUrl}"] }
  - { name: eu-canary, admin: ["${canaryNode().adminUrl}"], tags: [canary] }
`,
        services: { stable: stable!.url, good: good!.url, bad: bad!.url },
        routes: [
          {
            name: 'checkout',
            service: 'stable',
            canary: `{ service: ${canaryService}, steps: [{ weight: 50 }, { pause: ${pause} }], checks: { interval: 1s, minRequests: 30, failureLimit: 1, latencyP99: 2s } }`,
          },
        ],
      }),
    );
  }

  /** Requests through both targets' proxies in turn, until stopped. */
  const keepSending = () => {
    const proxies = [main().proxyUrl, canaryNode().proxyUrl];
    return traffic((n) => `${proxies[n % 2]}/checkout/x`, agent);
  };

  const splitModule = async (adminUrl: string) =>
    (await adminCall(adminUrl, 'GET', '/module/checkout--canary-split?namespace=shop')).status;

  it('an abort in the canary wave stops the apply there: the other target is not touched', async () => {
    await writeConfig('bad');
    const load = keepSending();
    const run = await dgateCli(['apply', dir, '--all-targets', '--auto-approve'], {});
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('Waves: canary targets eu-canary first; then eu, once their canaries are promoted.');
    expect(run.stderr).toMatch(/error DG3018: canary shop\/checkout → bad was aborted/);
    expect(run.stderr).toContain('targets: no target applied; eu-canary failed; not attempted: eu');
    expect(await splitModule(main().adminUrl)).toBe(404);
  });

  it('a healthy canary is promoted in the canary wave first, then on the rest', async () => {
    await writeConfig('good');
    const load = keepSending();
    const run = await dgateCli(['apply', dir, '--all-targets', '--auto-approve'], {});
    await load.stop();
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const canaryAt = run.stdout.indexOf('── target eu-canary ──');
    const restAt = run.stdout.indexOf('── target eu ──');
    expect(canaryAt).toBeGreaterThanOrEqual(0);
    expect(restAt).toBeGreaterThan(canaryAt);
    // The canary wave's promotion comes before anything is applied to the rest.
    const promotedAt = run.stdout.indexOf('canary shop/checkout → good promoted');
    expect(promotedAt).toBeGreaterThan(canaryAt);
    expect(promotedAt).toBeLessThan(restAt);
    for (const proxy of [main().proxyUrl, canaryNode().proxyUrl]) {
      const res = await request(`${proxy}/checkout/x`, { dispatcher: agent });
      expect(JSON.parse(await res.body.text())).toEqual({ upstream: 'good' });
    }
  });

  it('reconcile starts a canary on the rest of the fleet only once it is promoted on the canary targets', async () => {
    const repo = await temps.make();
    const state = await temps.make();
    git(repo, 'init', '-q', '-b', 'prod');
    await mkdir(path.join(repo, 'gateway'));
    dir = path.join(repo, 'gateway');
    // Other steps than before: a new rollout on both targets.
    await writeConfig('good', '1s');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', 'canary');
    const once = () =>
      dgateCli(['reconcile', '--repo', repo, '--branch', 'prod', '--all-targets', '--once', 'gateway'], {
        env: { DGATE_CLI_STATE_DIR: state },
      });
    const status = async (adminUrl: string) => {
      const res = await dgateCli(['canary', 'status', '--format', 'json'], { env: { DGATE_ADMIN_URL: adminUrl } });
      return (JSON.parse(res.stdout) as { status: string; identity: string; steps: unknown[] }[]).find((r) =>
        JSON.stringify(r.steps).includes('1000'),
      )?.status;
    };
    const load = keepSending();
    const logs: string[] = [];
    try {
      const first = await once();
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(
        /held: canary shop\/checkout is not promoted on canary target eu-canary; commit [0-9a-f]{7} starts canary shop\/checkout on eu after that/,
      );
      expect(await status(canaryNode().adminUrl)).toBe('progressing');
      expect(await status(main().adminUrl)).toBeUndefined();
      for (let i = 0; i < 20 && (await status(main().adminUrl)) !== 'promoted'; i++) {
        await new Promise((r) => setTimeout(r, 500));
        const cycle = await once();
        expect(cycle.code, cycle.stdout + cycle.stderr).toBe(0);
        logs.push(cycle.stdout);
      }
    } finally {
      await load.stop();
    }
    expect(await status(canaryNode().adminUrl)).toBe('promoted');
    expect(await status(main().adminUrl)).toBe('promoted');
  });
});
