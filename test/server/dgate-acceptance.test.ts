import { request } from 'undici';
import { beforeAll, describe, expect, it } from 'vitest';
import { adminCall, adminPut, writesHang } from '../harness/admin.js';
import { killDgateNode, startTestNode, useOwnDgateNode } from '../harness/node.js';

/**
 * The rule behind dgate-cli's errors: it refuses a configuration only where DGate v0.11.1 refuses
 * it too (issue #17). Each test here sends one form dgate-cli refuses straight to a real server and
 * shows DGate failing, naming the code that guards it; every other problem is a warning, and
 * test/server/adoption.test.ts shows a cluster built from those forms dumping, validating and
 * planning clean. If a DGate release starts accepting one of these, its test fails and says which
 * error can become a warning.
 */

/** A test waiting for its turn (see twoAtATime) is already running: hence the long timeout. */
const slotTimeout = 240_000;

/** Fresh nodes take seconds to start and wedged ones seconds to stop: at most two at a time. */
function twoAtATime(): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    while (running >= 2) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('refused by DGate at apply time, after which the node takes no more writes', () => {
  const slot = twoAtATime();
  const route = (fields: Record<string, unknown>) => ({
    name: 'r',
    namespace: 'q',
    paths: ['/a'],
    methods: ['GET'],
    ...fields,
  });

  it.concurrent.each([
    [
      'DG1116',
      "a path with '*' not at the end",
      route({ paths: ['/a/*/b'] }),
      "chi: wildcard '*' must be the last value in a route",
    ],
    [
      'DG1116',
      "a path with an unbalanced '{'",
      route({ paths: ['/a/{id'] }),
      "chi: route param closing delimiter '}' is missing",
    ],
    [
      'DG1116',
      'a path that repeats a parameter name',
      route({ paths: ['/a/{id}/{id}'] }),
      "contains duplicate param key, 'id'",
    ],
    ['DG1116', 'a path with two unnamed parameters', route({ paths: ['/{}/{}'] }), "contains duplicate param key, ''"],
    [
      'DG1012',
      "a path not starting with '/'",
      route({ paths: ['a'] }),
      "chi: routing pattern must begin with '/' in 'a'",
    ],
    [
      'DG1010',
      'a path listed twice',
      route({ paths: ['/a', '/a'] }),
      "chi: multiple handlers for method 'GET' at '/a'",
    ],
    [
      'DG1010',
      'a method listed twice',
      route({ methods: ['GET', 'GET'] }),
      "chi: multiple handlers for method 'GET' at '/a'",
    ],
    ['DG1005', 'a lower-case method', route({ methods: ['get'] }), 'unsupported method: get'],
    [
      'DG1105',
      "'*' with other methods",
      route({ methods: ['*', 'GET'] }),
      'route methods cannot have other methods with *',
    ],
    ['DG1011', 'paths without methods', route({ methods: [] }), 'route must have at least one method'],
    ['DG1104', 'a module the namespace does not have', route({ modules: ['missing'] }), 'module not found: missing'],
  ])(
    '%s: a route with %s',
    (_code, _form, body, error) =>
      slot(async () => {
        const node = await startTestNode();
        try {
          await adminPut(node.adminUrl, 'namespace', { name: 'q' });
          const refused = await adminCall(node.adminUrl, 'PUT', '/route', body);
          expect(refused.status).toBe(400);
          expect(refused.json.error).toContain(error);
          expect(await writesHang(node.adminUrl)).toBe(true);
        } finally {
          await killDgateNode(node);
        }
      }),
    slotTimeout,
  );

  it.concurrent(
    'DG1130: a second route of the namespace on the same method and pattern, parameters named otherwise',
    () =>
      slot(async () => {
        const node = await startTestNode();
        try {
          await adminPut(node.adminUrl, 'namespace', { name: 'q' });
          await adminPut(node.adminUrl, 'route', route({ name: 'first', paths: ['/a/{x}'] }));
          const refused = await adminCall(node.adminUrl, 'PUT', '/route', route({ name: 'second', paths: ['/a/{y}'] }));
          expect(refused.status).toBe(400);
          expect(refused.json.error).toContain("chi: multiple handlers for method 'GET' at '/a/{y}'");
          expect(await writesHang(node.adminUrl)).toBe(true);
        } finally {
          await killDgateNode(node);
        }
      }),
    slotTimeout,
  );

  it.concurrent(
    'DG1117: a JavaScript module with export, once a route uses it',
    () =>
      slot(async () => {
        const node = await startTestNode();
        try {
          await adminPut(node.adminUrl, 'namespace', { name: 'q' });
          // Stored while no route uses it (which is why DG1117 is only a warning then)...
          await adminPut(node.adminUrl, 'module', {
            name: 'm',
            namespace: 'q',
            moduleType: 'javascript',
            payload: b64('export const requestHandler = (ctx) => {};\n'),
          });
          // ...and refused by the first route that does.
          const refused = await adminCall(node.adminUrl, 'PUT', '/route', route({ modules: ['m'] }));
          expect(refused.status).toBe(400);
          expect(refused.json.error).toContain('SyntaxError');
          expect(await writesHang(node.adminUrl)).toBe(true);
        } finally {
          await killDgateNode(node);
        }
      }),
    slotTimeout,
  );
});

/**
 * One node for the two suites below: what it refuses when the write arrives leaves it working (the
 * last test of the first suite shows it), and what it accepts is all in namespaces of its own.
 */
const healthy = useOwnDgateNode();

describe('refused by DGate when the write arrives (the node keeps working)', () => {
  beforeAll(async () => {
    await adminPut(healthy().adminUrl, 'namespace', { name: 'q' });
    await adminPut(healthy().adminUrl, 'collection', {
      name: 'c',
      namespace: 'q',
      schema: null,
      visibility: 'public',
      type: 'document',
    });
  });
  const service = (fields: Record<string, unknown>) => ({
    name: 's',
    namespace: 'q',
    urls: ['http://127.0.0.1:9/'],
    ...fields,
  });

  it.each([
    [
      'DG1009',
      'a service with negative retries',
      'service',
      service({ retries: -1 }),
      'retries must be greater than 0',
    ],
    [
      'DG1007',
      'a service with a negative retryTimeout',
      'service',
      service({ retryTimeout: -1_000_000_000 }),
      'retry timeout must be greater than 0',
    ],
    ['DG1011', 'a service without urls', 'service', service({ urls: [] }), 'urls are required'],
    ['DG1012', 'a service URL without a host', 'service', service({ urls: ['http://'] }), 'url host cannot be empty'],
    ['DG1011', 'a namespace without a name', 'namespace', { name: '' }, 'name is required'],
    [
      'DG1011',
      'a route without a name',
      'route',
      { name: '', namespace: 'q', paths: ['/a'], methods: ['GET'] },
      'name is required',
    ],
    [
      'DG1011',
      'a domain without a name',
      'domain',
      { name: '', namespace: 'q', patterns: ['a.example.com'] },
      'name is required',
    ],
    ['DG1011', 'a collection without a name', 'collection', { name: '', namespace: 'q' }, 'name is required'],
  ])('%s: %s (400)', async (_code, _form, kind, body, error) => {
    const refused = await adminCall(healthy().adminUrl, 'PUT', `/${kind}`, body);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toContain(error);
  });

  it.each([
    ['DG1012', 'a service URL without a scheme', 'service', service({ urls: ['127.0.0.1:9'] })],
    ['DG1106', 'a service URL Go cannot parse', 'service', service({ urls: ['http://[::1:8081/'] })],
    ['DG1012', 'a service URL with white space in its host', 'service', service({ urls: ['http://a b/'] })],
    [
      'DG1113',
      'a collection schema that is not a JSON Schema',
      'collection',
      { name: 'bad', namespace: 'q', schema: { type: 'nonsense' } },
    ],
  ])('%s: %s (the connection drops)', async (_code, _form, kind, body) => {
    await expect(adminCall(healthy().adminUrl, 'PUT', `/${kind}`, body)).rejects.toThrow(/other side closed|socket/i);
  });

  it('DG1011 and DG1006: a document id that is empty or has a "/"', async () => {
    const put = (id: string) =>
      adminCall(healthy().adminUrl, 'PUT', `/document/${id}?namespace=q&collection=c`, { a: 1 });
    expect((await put('')).status).toBe(404);
    expect((await put('home/page')).status).toBe(404);
    // Escaped, the slash is not decoded: the document is stored under another id.
    expect((await put('home%2Fpage')).status).toBe(201);
    const listed = await adminCall(healthy().adminUrl, 'GET', '/document?namespace=q&collection=c&limit=0&offset=10');
    expect(listed.json.documents.map((d: { id: string }) => d.id)).toEqual(['home%2Fpage']);
  });

  it('keeps taking writes after all of them', async () => {
    expect(await writesHang(healthy().adminUrl, 2)).toBe(false);
  });
});

describe('accepted by DGate: dgate-cli only warns (DG1006, DG1009, DG1010, DG1011, DG1012, DG1013, DG1005, DG1007, DG1106, DG1107, DG1112, DG1115, DG1116, DG1117)', () => {
  it('stores each form, answers requests, and keeps taking writes', async () => {
    const node = healthy();
    const base = node.adminUrl;
    const long = 'n'.repeat(300);
    await adminPut(base, 'namespace', { name: '../../escaped-ns', tags: ['svc', 'svc', 'a b', ''] });
    const ns = '../../escaped-ns';
    await adminPut(base, 'namespace', { name: 'café' });
    await adminPut(base, 'service', {
      name: 'a/b',
      namespace: ns,
      urls: ['http://127.0.0.1:9/', 'http://127.0.0.1:9/', 'ftp://127.0.0.1:21'],
      connectTimeout: -5_000_000_000,
      requestTimeout: -1,
      retries: 5000,
    });
    await adminPut(base, 'service', { name: '', namespace: ns, urls: ['http://127.0.0.1:9/'] });
    await adminPut(base, 'module', { name: '', namespace: ns, payload: b64('export const nameless = 1;\n') });
    await adminPut(base, 'secret', { name: '', namespace: ns, data: 'nameless' });
    await adminPut(base, 'module', {
      name: 'reply',
      namespace: ns,
      payload: b64(
        'export const requestHandler = (ctx: any) => ctx.response().status(200).json({ id: ctx.pathParam("id") ?? null });\n',
      ),
    });
    await adminPut(base, 'module', {
      name: '../evil',
      namespace: ns,
      moduleType: 'javascript',
      payload: b64('export const unused = 1;\n'),
    });
    await adminPut(base, 'module', {
      name: long,
      namespace: ns,
      moduleType: 'javascript',
      payload: b64('this is not JavaScript {\n'),
    });
    await adminPut(base, 'route', {
      name: 'with space',
      namespace: ns,
      paths: ['/', '/{}', '/<id>', '/<id>/{id}'],
      methods: ['GET'],
      modules: ['reply', 'reply'],
    });
    await adminPut(base, 'route', { name: 'nowhere', namespace: ns, paths: [], methods: [] });
    await adminPut(base, 'domain', { name: 'all', namespace: ns, patterns: ['*', '*', '/([a-z/', 'a b', ''] });
    await adminPut(base, 'domain', {
      name: 'none',
      namespace: ns,
      patterns: [],
      cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
    await adminPut(base, 'domain', {
      name: 'key-only',
      namespace: ns,
      patterns: ['k.example.com'],
      key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
    });
    await adminPut(base, 'collection', {
      name: 'c',
      namespace: ns,
      type: 'fetcher',
      visibility: 'secret',
      schema: { type: 'object', required: ['title'] },
    });
    const doc = await adminCall(
      base,
      'PUT',
      `/document/${encodeURIComponent('d 1')}?namespace=${encodeURIComponent(ns)}&collection=c`,
      { body: 'no title' },
    );
    expect(doc.status).toBe(201);

    const routes = await adminCall(base, 'GET', `/route?namespace=${encodeURIComponent(ns)}`);
    expect(routes.json.data.find((r: { name: string }) => r.name === 'with space').modules).toEqual(['reply']);
    const namespaces = await adminCall(base, 'GET', '/namespace');
    expect(namespaces.json.data.find((n: { name: string }) => n.name === ns).tags).toEqual(['svc', 'svc', 'a b', '']);
    const collections = await adminCall(base, 'GET', `/collection?namespace=${encodeURIComponent(ns)}`);
    expect(collections.json.data[0]).toMatchObject({ visibility: 'secret', type: '' });
    // A collection whose visibility is neither public nor private lists its documents, as a public one.
    const docs = await adminCall(
      base,
      'GET',
      `/document?namespace=${encodeURIComponent(ns)}&collection=c&limit=0&offset=10`,
    );
    expect(docs.status).toBe(200);
    expect(docs.json.documents.map((d: { id: string }) => d.id)).toEqual(['d 1']);

    // The route with '/{}' serves requests.
    for (const [path, id] of [
      ['/', ''],
      ['/x', ''],
      ['/<id>/7', '7'],
    ] as const) {
      const res = await request(`${node.proxyUrl}${path}`);
      expect(res.statusCode, path).toBe(200);
      expect(((await res.body.json()) as { id: string | null }).id ?? '', path).toBe(id);
    }
    expect(await writesHang(base, 2)).toBe(false);
  });
});
