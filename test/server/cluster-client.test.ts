import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type DgateNode } from '../../src/io/local-server.js';
import { AdminClient } from '../../src/cluster/client.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { compileDir, fixtureSecret, secretEnv, useTempDirs } from '../harness/fixtures.js';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { handApply } from '../harness/hand-apply.js';
import { killDgateNode, startTestNode, suiteNode, useOwnDgateCluster, useOwnDgateNode } from '../harness/node.js';

const shop = path.join(repoRoot, 'examples/shop');

describe('the cluster client', () => {
  // These only read (plan), so they use the node the suite shares, where nothing applies examples/shop.
  const node = suiteNode;

  describe('errors are one clear line', () => {
    it('names an unreachable admin URL (DG2001)', async () => {
      const port = await freePort();
      const result = await dgateCli(['plan', 'examples/shop', '--admin', `http://127.0.0.1:${port}`]);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(
        `error DG2001: cannot reach the DGate admin API at http://127.0.0.1:${port}: ECONNREFUSED\n  hint: check that dgate-server is running and that --admin or DGATE_ADMIN_URL names its admin address\n`,
      );
    });

    it('says when the URL is not an admin API (DG2003)', async () => {
      const result = await dgateCli(['plan', 'examples/shop', '--admin', node().proxyUrl]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        new RegExp(
          `^error DG2003: unexpected answer from ${node().proxyUrl} to GET /api/v1/namespace: 404.*\\n  hint: check that the URL is a DGate admin API`,
        ),
      );
    });

    it('rejects a malformed --admin before any request (DG2007)', async () => {
      const result = await dgateCli(['plan', 'examples/shop', '--admin', 'ftp://x']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("error DG2007: the admin URL 'ftp://x' must start with http:// or https://");
    });

    it('times out with a hint (DG2004)', async () => {
      // A server that accepts connections and never answers.
      const { createServer } = await import('node:net');
      const silent = createServer(() => {});
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const port = (silent.address() as { port: number }).port;
      try {
        const result = await dgateCli([
          'plan',
          'examples/shop',
          '--admin',
          `http://127.0.0.1:${port}`,
          '--timeout',
          '300ms',
        ]);
        expect(result.code).toBe(1);
        expect(result.stderr).toMatch(
          /^error DG2004: GET \/api\/v1\/namespace at http:\/\/127\.0\.0\.1:\d+ got no answer within 0\.3s\n {2}hint: /,
        );
      } finally {
        silent.close();
      }
    });
  });

  describe('retries', () => {
    it('retries reads through connection resets and 503s, then succeeds', async () => {
      const proxy = await startFaultProxy(node().adminUrl);
      try {
        // The first read of each path fails once: a reset, then a 503 "no leader", then fine.
        const seen = new Map<string, number>();
        proxy.setRule(({ path: p }) => {
          const n = seen.get(p) ?? 0;
          seen.set(p, n + 1);
          if (n === 0) return { kind: 'reset' };
          if (n === 1) return { kind: 'status', status: 503, body: '{"error":"raft: no leader","status":503}' };
          return { kind: 'pass' };
        });
        const result = await dgateCli(['plan', 'examples/shop', '--admin', proxy.url, '--detailed-exitcode'], {
          env: secretEnv,
        });
        expect(result.stderr).toBe('');
        expect(result.code).toBe(2);
        expect(proxy.log.filter((r) => r.path === '/api/v1/namespace').map((r) => r.fault)).toEqual([
          'reset',
          'status',
          'pass',
        ]);
      } finally {
        await proxy.close();
      }
    });

    it('gives up after four attempts with one clear line', async () => {
      const proxy = await startFaultProxy(node().adminUrl);
      try {
        proxy.setRule(() => ({ kind: 'status', status: 503, body: '{"error":"raft: no leader","status":503}' }));
        const result = await dgateCli(['plan', 'examples/shop', '--admin', proxy.url]);
        expect(result.code).toBe(1);
        expect(result.stderr).toBe(
          `error DG2003: unexpected answer from ${proxy.url} to GET /api/v1/namespace: 503 raft: no leader\n  hint: the cluster is unhealthy or electing a leader: check its /readyz and logs, then try again\n`,
        );
        expect(proxy.log.filter((r) => r.path === '/api/v1/namespace')).toHaveLength(4);
      } finally {
        await proxy.close();
      }
    });
  });

  describe('basic auth', () => {
    const node = useOwnDgateNode({
      adminConfig: { auth_method: 'basic', basic_auth: { users: [{ username: 'ops', password: 'pw-456' }] } },
    });

    it('sends DGATE_ADMIN_USER and DGATE_ADMIN_PASSWORD', async () => {
      const env = { DGATE_ADMIN_URL: node().adminUrl, ...secretEnv };
      const refused = await dgateCli(['plan', 'examples/shop'], {
        env: { ...env, DGATE_ADMIN_USER: 'ops', DGATE_ADMIN_PASSWORD: 'wrong' },
      });
      expect(refused.stderr).toContain('DG2002');
      expect(refused.stderr).not.toContain('wrong');
      const ok = await dgateCli(['plan', 'examples/shop', '--detailed-exitcode'], {
        env: { ...env, DGATE_ADMIN_USER: 'ops', DGATE_ADMIN_PASSWORD: 'pw-456' },
      });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(2);
    });
  });

  describe('key auth', () => {
    const node = useOwnDgateNode({ adminConfig: { auth_method: 'key', key_auth: { key: 'unused', keys: ['k-123'] } } });

    it('reports refused credentials (DG2002) and works with DGATE_ADMIN_KEY', async () => {
      const env = { DGATE_ADMIN_URL: node().adminUrl, ...secretEnv };
      const refused = await dgateCli(['plan', 'examples/shop'], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `error DG2002: the DGate admin API at ${node().adminUrl} refused the credentials (401)`,
      );
      const wrong = await dgateCli(['plan', 'examples/shop'], { env: { ...env, DGATE_ADMIN_KEY: 'nope' } });
      expect(wrong.stderr).toContain('DG2002');
      expect(wrong.stderr).not.toContain('nope');
      const ok = await dgateCli(['plan', 'examples/shop', '--detailed-exitcode'], {
        env: { ...env, DGATE_ADMIN_KEY: 'k-123' },
      });
      expect(ok.stderr).toBe('');
      expect(ok.code).toBe(2);
    });
  });

  describe('TLS', () => {
    let node: DgateNode;
    let httpsUrl: string;
    beforeAll(async () => {
      const tlsPort = await freePort();
      const tls = path.join(repoRoot, 'test/fixtures/tls');
      node = await startTestNode({
        adminConfig: {
          tls: { port: tlsPort, cert_file: path.join(tls, 'server.crt'), key_file: path.join(tls, 'server.key') },
        },
      });
      httpsUrl = `https://127.0.0.1:${tlsPort}`;
    });
    afterAll(async () => {
      if (node) await killDgateNode(node);
    });

    it('verifies the certificate: refused without the CA (DG2005), accepted with --ca-file', async () => {
      const untrusted = await dgateCli(['plan', 'examples/shop', '--admin', httpsUrl]);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(
        /^error DG2005: TLS verification of https:\/\/127\.0\.0\.1:\d+ failed: .*\n {2}hint: pass the CA that signed its certificate with --ca-file\n$/,
      );
      const trusted = await dgateCli([
        'plan',
        'examples/shop',
        '--admin',
        httpsUrl,
        '--ca-file',
        path.join(repoRoot, 'test/fixtures/tls/ca.crt'),
      ]);
      expect(trusted.stderr).toBe('');
      expect(trusted.stdout).toContain('Plan: 10 to create, 0 to update, 0 to delete.');
    });
  });
});

describe('plan against a 3-node raft cluster, pointed at a follower', () => {
  const own = useOwnDgateCluster();
  const temps = useTempDirs();

  it('follows the 307 a follower sends for a write, with the body and credentials, to the leader', async () => {
    const cluster = own();
    const client = new AdminClient({ baseUrl: cluster.followers[0]!.adminUrl });
    try {
      const res = await client.send('PUT', '/api/v1/namespace', {}, { name: 'via-follower', tags: ['t'] });
      expect(res.status).toBe(201);
      const onLeader = await new AdminClient({ baseUrl: cluster.leader.adminUrl }).getData<{
        name: string;
        tags: string[];
      }>('/namespace/via-follower');
      expect(onLeader).toEqual({ name: 'via-follower', tags: ['t'] });
    } finally {
      await client.close();
    }
  });

  it('plans creates, then no changes once the leader has the resources, and round-trips a dump', async () => {
    const cluster = own();
    const follower = cluster.followers[1]!;
    const env = { DGATE_ADMIN_URL: follower.adminUrl, ...secretEnv };
    const first = await dgateCli(['plan', 'examples/shop', '--detailed-exitcode'], { env });
    expect(first.code).toBe(2);
    expect(first.stdout).toContain('Plan: 10 to create, 0 to update, 0 to delete.');

    await handApply(cluster.leader.adminUrl, await compileDir(shop), fixtureSecret(shop));
    // Followers apply committed writes a moment later.
    await expect
      .poll(async () => (await dgateCli(['plan', 'examples/shop', '--detailed-exitcode'], { env })).code, {
        timeout: 15_000,
        interval: 100,
      })
      .toBe(0);

    const dir = await temps.make();
    const dumped = await dgateCli(['dump', '--out', dir, '--namespace', 'shop'], { env });
    expect(dumped.code).toBe(0);
    const replan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env });
    expect(replan.stdout).toContain('No changes.');
    expect(replan.code).toBe(0);
  });
});
