import { afterEach, describe, expect, inject, it } from 'vitest';
import { request } from 'undici';
import { startDgateNode, stopDgateNode, type DgateNode } from '../../src/io/local-server.js';
import { adminCall, adminPut, writesHang } from '../harness/admin.js';
import { startUpstream } from '../harness/upstream.js';

/**
 * The DGate v0.11.1 behaviours that dgate-cli's checks exist for, proven against the real server.
 * Each test breaks its own fresh node, so none of them disturbs the shared one. If a DGate release
 * fixes one of these, its test fails and tells us which check can be relaxed.
 */
describe('DGate v0.11.1 behaviour that validation guards against', () => {
  const binary = { path: inject('dgateServerBin'), version: inject('dgateServerVersion') };
  const nodes: DgateNode[] = [];
  async function freshNode(): Promise<DgateNode> {
    const node = await startDgateNode({ binary });
    nodes.push(node);
    await adminPut(node.adminUrl, 'namespace', { name: 'q' });
    return node;
  }
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(stopDgateNode));
  });

  it.each([
    ['minimum', { type: 'object', properties: { n: { type: 'number', minimum: 0 } } }],
    ['patternProperties', { type: 'object', patternProperties: { '^a': { type: 'string' } } }],
    ['a boolean schema under properties', { type: 'object', properties: { a: true } }],
  ])('drops the connection on a collection schema with %s (DG1114)', async (_, schema) => {
    const node = await freshNode();
    await expect(
      adminCall(node.adminUrl, 'PUT', '/collection', { name: 'c', namespace: 'q', schema }),
    ).rejects.toThrow();
  });

  it('accepts the collection schema keywords dgate-cli lets through', async () => {
    const node = await freshNode();
    const schema = {
      type: 'object',
      required: ['title'],
      additionalProperties: false,
      properties: {
        title: { type: 'string', minLength: 1, pattern: '^[A-Z]' },
        tags: { type: 'array', items: { type: 'string', minimum: 1 } },
      },
    };
    const res = await adminCall(node.adminUrl, 'PUT', '/collection', { name: 'c', namespace: 'q', schema });
    expect(res.status).toBe(201);
  });

  it('refuses every later write after one write fails at apply time (why DG1103 exists)', async () => {
    const node = await freshNode();
    const bad = await adminCall(node.adminUrl, 'PUT', '/route', {
      name: 'r',
      namespace: 'q',
      paths: ['/r'],
      methods: ['GET'],
      service: 'missing',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toBe('service not found: missing');
    // Perfectly valid writes stop getting answers.
    expect(await writesHang(node.adminUrl)).toBe(true);
  });

  it('wedges on deleting a collection (why dgate-cli never deletes one)', async () => {
    const node = await freshNode();
    await adminPut(node.adminUrl, 'collection', {
      name: 'c',
      namespace: 'q',
      schema: null,
      visibility: 'public',
      type: 'document',
    });
    const deleted = await adminCall(node.adminUrl, 'DELETE', '/collection/c?namespace=q');
    expect(deleted.status).toBe(500);
    expect(deleted.json.error).toContain("'namespace' expected type 'string'");
    expect(await writesHang(node.adminUrl)).toBe(true);
  });

  it('forwards a stripped path without its leading slash when the service URL has no path (DG1904)', async () => {
    const node = await freshNode();
    const upstream = await startUpstream('quirk');
    try {
      await adminPut(node.adminUrl, 'service', { name: 's', namespace: 'q', urls: [upstream.url] });
      await adminPut(node.adminUrl, 'domain', { name: 'd', namespace: 'q', patterns: ['*'] });
      await adminPut(node.adminUrl, 'route', {
        name: 'r',
        namespace: 'q',
        paths: ['/p/*'],
        methods: ['GET'],
        service: 's',
        stripPath: true,
      });
      const bare = await request(`${node.proxyUrl}/p/x`);
      await bare.body.text();
      expect(bare.statusCode).toBe(400); // Node's HTTP parser rejects 'GET x HTTP/1.1'
      expect(upstream.requests).toHaveLength(0);

      await adminPut(node.adminUrl, 'service', { name: 's', namespace: 'q', urls: [`${upstream.url}/`] });
      const fixed = await request(`${node.proxyUrl}/p/x`);
      expect(((await fixed.body.json()) as { url: string }).url).toBe('/x');
    } finally {
      await upstream.close();
    }
  });

  it("never finds what a module stored with dgate/storage's setCache (why the rate-limit bundle counts per node)", async () => {
    const node = await freshNode();
    const source = `import { getCache, setCache } from 'dgate/storage';
export const requestHandler = (ctx: any) => {
  setCache('k', 'v', { ttl: 60 });
  ctx.response().status(200).json({ found: getCache('k') ?? null });
};`;
    await adminPut(node.adminUrl, 'domain', { name: 'd', namespace: 'q', patterns: ['*'] });
    await adminPut(node.adminUrl, 'module', {
      name: 'm',
      namespace: 'q',
      payload: Buffer.from(source).toString('base64'),
      moduleType: 'typescript',
    });
    await adminPut(node.adminUrl, 'route', {
      name: 'r',
      namespace: 'q',
      paths: ['/c'],
      methods: ['GET'],
      modules: ['m'],
    });
    for (let i = 0; i < 2; i++) {
      const res = await request(`${node.proxyUrl}/c`, { reset: true });
      expect(await res.body.json()).toEqual({ found: null });
    }
  });
});
