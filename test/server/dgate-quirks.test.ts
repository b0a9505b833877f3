import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { DgateNode } from '../../src/io/local-server.js';
import { adminCall, adminPut, writesHang } from '../harness/admin.js';
import { killDgateNode, startTestNode, useOwnDgateNode } from '../harness/node.js';
import { startUpstream } from '../harness/upstream.js';

/**
 * The DGate v0.11.1 behaviours that dgate-cli's checks exist for, proven against the real server.
 * A test that wedges a node has a fresh one of its own; the others share the file's node, each
 * with names of its own (a dropped connection leaves the node working: dgate-acceptance shows it).
 * If a DGate release fixes one of these, its test fails and tells us which check can be relaxed.
 */
describe('DGate v0.11.1 behaviour that validation guards against', () => {
  const shared = useOwnDgateNode();
  const fresh: DgateNode[] = [];
  /** The file's node, with the namespace `q`. */
  async function sharedNode(): Promise<DgateNode> {
    await adminPut(shared().adminUrl, 'namespace', { name: 'q' });
    return shared();
  }
  /** A node of the test's own, with the namespace `q`, for a test that wedges it. */
  async function freshNode(): Promise<DgateNode> {
    const node = await startTestNode();
    fresh.push(node);
    await adminPut(node.adminUrl, 'namespace', { name: 'q' });
    return node;
  }
  afterEach(async () => {
    await Promise.all(fresh.splice(0).map(killDgateNode));
  });

  it.each([
    ['minimum', { type: 'object', properties: { n: { type: 'number', minimum: 0 } } }],
    ['patternProperties', { type: 'object', patternProperties: { '^a': { type: 'string' } } }],
    ['a boolean schema under properties', { type: 'object', properties: { a: true } }],
  ])('drops the connection on a collection schema with %s (DG1114)', async (what, schema) => {
    const node = await sharedNode();
    const name = `dropped-${what.replace(/\W+/g, '-')}`;
    await expect(adminCall(node.adminUrl, 'PUT', '/collection', { name, namespace: 'q', schema })).rejects.toThrow();
    // Nothing was stored, and the node still answers.
    expect((await adminCall(node.adminUrl, 'GET', `/collection/${name}?namespace=q`)).status).toBe(404);
  });

  it('accepts the collection schema keywords dgate-cli lets through', async () => {
    const node = await sharedNode();
    const schema = {
      type: 'object',
      required: ['title'],
      additionalProperties: false,
      properties: {
        title: { type: 'string', minLength: 1, pattern: '^[A-Z]' },
        tags: { type: 'array', items: { type: 'string', minimum: 1 } },
      },
    };
    const res = await adminCall(node.adminUrl, 'PUT', '/collection', { name: 'accepted', namespace: 'q', schema });
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
    const node = await sharedNode();
    const upstream = await startUpstream('quirk');
    try {
      await adminPut(node.adminUrl, 'service', { name: 's', namespace: 'q', urls: [upstream.url] });
      await adminPut(node.adminUrl, 'domain', { name: 'd', namespace: 'q', patterns: ['*'] });
      await adminPut(node.adminUrl, 'route', {
        name: 'strip',
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
    const node = await sharedNode();
    const source = `import { getCache, setCache } from 'dgate/storage';
export const requestHandler = (ctx: any) => {
  setCache('k', 'v', { ttl: 60 });
  ctx.response().status(200).json({ found: getCache('k') ?? null });
};`;
    await adminPut(node.adminUrl, 'domain', { name: 'd', namespace: 'q', patterns: ['*'] });
    await adminPut(node.adminUrl, 'module', {
      name: 'cache',
      namespace: 'q',
      payload: Buffer.from(source).toString('base64'),
      moduleType: 'typescript',
    });
    await adminPut(node.adminUrl, 'route', {
      name: 'cache',
      namespace: 'q',
      paths: ['/c'],
      methods: ['GET'],
      modules: ['cache'],
    });
    for (let i = 0; i < 2; i++) {
      const res = await request(`${node.proxyUrl}/c`, { reset: true });
      expect(await res.body.json()).toEqual({ found: null });
    }
  });
});
