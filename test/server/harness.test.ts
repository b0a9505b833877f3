import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { request } from 'undici';
import { adminCall, adminPut } from '../harness/admin.js';
import { useOwnDgateCluster } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

describe('the real-server harness', () => {
  const admin = inject('dgateAdminUrl');
  const proxy = inject('dgateProxyUrl');
  let upstream: Upstream;

  beforeAll(async () => {
    upstream = await startUpstream('harness');
  });
  afterAll(async () => {
    await upstream.close();
  });

  it('serves /readyz with the server version', async () => {
    const res = await request(`${admin}/readyz`);
    const body = (await res.body.json()) as { status: string; version: string };
    expect(res.statusCode).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.version).toBe(inject('dgateServerVersion'));
  });

  it('creates a namespace, service and route, and proxies a request to an upstream', async () => {
    await adminPut(admin, 'namespace', { name: 'harness' });
    await adminPut(admin, 'domain', { name: 'harness', namespace: 'harness', patterns: ['harness.test'] });
    // The trailing '/' matters: DGate joins the stripped path onto the URL's path, and with none
    // the upstream gets 'GET hello' (see the DG1904 warning).
    await adminPut(admin, 'service', { name: 'echo', namespace: 'harness', urls: [`${upstream.url}/`] });
    await adminPut(admin, 'route', {
      name: 'echo',
      namespace: 'harness',
      paths: ['/echo/*'],
      methods: ['GET'],
      service: 'echo',
      stripPath: true,
    });

    const res = await request(`${proxy}/echo/hello?x=1`, { headers: { host: 'harness.test' } });
    const text = await res.body.text();
    expect(res.statusCode, text).toBe(200);
    const body = JSON.parse(text) as { upstream: string; url: string };
    expect(res.statusCode).toBe(200);
    expect(body.upstream).toBe('harness');
    expect(body.url).toBe('/hello?x=1');
    expect(upstream.requests.at(-1)?.method).toBe('GET');

    const routes = await adminCall(admin, 'GET', '/route?namespace=harness');
    expect(routes.json.data.map((r: { name: string }) => r.name)).toEqual(['echo']);
  });
});

describe('a 3-node raft cluster', () => {
  const own = useOwnDgateCluster();

  it('elects the bootstrap node, redirects follower writes to it, and replicates to every node', async () => {
    const cluster = own();
    const readyz = await request(`${cluster.leader.adminUrl}/readyz`);
    await readyz.body.text();
    expect(readyz.headers['x-raft-state']).toBe('Leader');

    // A write sent to a follower is answered with a redirect to the leader, as the admin API documents.
    const follower = cluster.followers[0]!;
    const redirected = await adminCall(follower.adminUrl, 'PUT', '/namespace', { name: 'raft' });
    expect(redirected.status).toBe(307);
    expect(String(redirected.headers.location)).toBe(`//127.0.0.1:${cluster.leader.adminPort}/api/v1/namespace`);

    await adminPut(cluster.leader.adminUrl, 'namespace', { name: 'raft', tags: ['replicated'] });
    for (const node of cluster.nodes) {
      await expect
        .poll(async () => (await adminCall(node.adminUrl, 'GET', '/namespace/raft')).json?.data?.tags, {
          timeout: 10_000,
          interval: 100,
        })
        .toEqual(['replicated']);
    }
  });
});
