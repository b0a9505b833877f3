import { describe, expect, it } from 'vitest';
import { specLocator } from '../../../src/import/locate.js';
import { dgatePathFor, importOpenApi, sanitizeName, summarizeImport } from '../../../src/import/openapi.js';

/** A small OpenAPI 3.1 document; `paths` replaces its paths. */
function specWith(paths: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    openapi: '3.1.0',
    info: { title: 'Pet Store', version: '1' },
    servers: [{ url: 'https://{host}/v1', variables: { host: { default: 'api.example.com' } } }],
    paths,
    ...extra,
  };
}

type Route = { name: string; paths: string[]; methods: string[]; [k: string]: unknown };
const routesOf = (config: Record<string, unknown> | undefined) =>
  (config!.namespaces as { routes: Route[]; services: { name: string; urls: string[] }[] }[])[0]!;

describe('import openapi: mapping', () => {
  it('makes one service from the first server and one route per operation, named by operationId', () => {
    const result = importOpenApi({
      spec: specWith({
        '/pets/{petId}': {
          get: { operationId: 'getPet', tags: ['pets', 'Read Only'] },
          delete: { operationId: 'delete pet!' },
        },
        '/pets': { post: {} },
        'x-paths-note': { get: {} },
      }),
      namespace: 'shop',
    });
    expect(result.problems).toEqual([]);
    const ns = routesOf(result.config);
    expect(ns.services).toEqual([{ name: 'pet-store', urls: ['https://api.example.com/v1'] }]);
    expect(ns.routes).toEqual([
      {
        name: 'getPet',
        paths: ['/pets/{petId}'],
        methods: ['GET'],
        service: 'pet-store',
        tags: ['openapi:pets', 'openapi:Read-Only'],
      },
      { name: 'delete-pet', paths: ['/pets/{petId}'], methods: ['DELETE'], service: 'pet-store' },
      { name: 'post-pets', paths: ['/pets'], methods: ['POST'], service: 'pet-store' },
    ]);
  });

  it('keeps names unique and --service-url replaces the servers', () => {
    const result = importOpenApi({
      spec: specWith({
        '/a': { get: { operationId: 'x' }, put: { operationId: 'x' } },
        '/b': { get: { operationId: 'x' } },
      }),
      namespace: 'n',
      serviceUrl: 'http://127.0.0.1:9000/',
    });
    const ns = routesOf(result.config);
    expect(ns.routes.map((r) => r.name)).toEqual(['x', 'x-2', 'x-3']);
    expect(ns.services[0]!.urls).toEqual(['http://127.0.0.1:9000/']);
  });

  it('reads x-dgate extensions from the path item and the operation, the operation winning', () => {
    const result = importOpenApi({
      spec: specWith({
        '/orders/{id}': {
          'x-dgate-modules': ['auth'],
          'x-dgate-strip-path': true,
          get: { operationId: 'getOrder', 'x-dgate-modules': [], 'x-dgate-tags': ['team:orders'] },
          put: { operationId: 'putOrder', 'x-dgate-name': 'replace-order', 'x-dgate-preserve-host': true },
          delete: { operationId: 'gone', 'x-dgate-ignore': true },
        },
      }),
      namespace: 'n',
    });
    expect(result.ignored).toEqual(['DELETE /orders/{id}']);
    expect(routesOf(result.config).routes).toEqual([
      expect.objectContaining({ name: 'getOrder', modules: [], stripPath: true, tags: ['team:orders'] }),
      expect.objectContaining({ name: 'replace-order', modules: ['auth'], stripPath: true, preserveHost: true }),
    ]);
  });

  it('refuses a bad extension, located at it', () => {
    const result = importOpenApi({
      spec: specWith({ '/a': { get: { 'x-dgate-modules': 'auth', 'x-dgate-colour': 1 } } }),
      namespace: 'n',
    });
    expect(result.config).toBeUndefined();
    expect(result.problems.map((p) => [p.code, p.at.join(' ')])).toEqual([
      ['DG1503', 'paths /a get x-dgate-modules'],
      ['DG1503', 'paths /a get x-dgate-colour'],
    ]);
  });

  it('refuses a spec that is not OpenAPI 3, and a relative server without --service-url', () => {
    expect(importOpenApi({ spec: { swagger: '2.0' }, namespace: 'n' }).problems[0]).toMatchObject({
      code: 'DG1501',
      at: ['swagger'],
    });
    const relative = importOpenApi({
      spec: specWith({ '/a': { get: {} } }, { servers: [{ url: '/api/v3' }] }),
      namespace: 'n',
    });
    expect(relative.problems).toEqual([expect.objectContaining({ code: 'DG1501', at: ['servers', 0, 'url'] })]);
    expect(importOpenApi({ spec: specWith({}), namespace: 'n' }).problems[0]!.message).toMatch(/no operations/);
  });

  it.each([
    ['/files/*', /wildcard/],
    ['/a/{id:[0-9]+}', /regular expression/],
    ['/a/{x}{y}', /side by side/],
    ['/a/{}', /without a name/],
    ['/a/{id}/b/{id}', /repeats/],
    ['pets', /start with/],
    ['/a/{id', /without a }/],
  ])('a path DGate cannot express (%s) is a located error, not a silent drop', (template, why) => {
    const result = importOpenApi({ spec: specWith({ [template]: { get: {} }, '/ok': { get: {} } }), namespace: 'n' });
    expect(result.config).toBeUndefined();
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'DG1502',
        message: expect.stringMatching(why),
        at: ['paths', template],
        key: true,
      }),
    ]);
  });

  it('refuses two templates that differ only in parameter names (one route to chi)', () => {
    const result = importOpenApi({
      spec: specWith({ '/a/{x}': { get: {} }, '/a/{y}': { get: {}, put: {} } }),
      namespace: 'n',
    });
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'DG1502',
        message: expect.stringMatching(/same route to DGate/),
        at: ['paths', '/a/{y}'],
      }),
    ]);
  });

  it('routes a path with a fragment or query by its path alone, sharing the route of the same method and path', () => {
    const result = importOpenApi({
      spec: specWith({
        '/files/{id}#shared_link': { put: { operationId: 'addLink' }, get: { operationId: 'getLink' } },
        '/files/{id}': { put: { operationId: 'putFile' } },
        '/search?kind=a': { get: { operationId: 'searchA' } },
      }),
      namespace: 'n',
    });
    expect(routesOf(result.config).routes.map((r) => [r.name, r.paths[0], r.methods[0]])).toEqual([
      ['putFile', '/files/{id}', 'PUT'],
      ['getLink', '/files/{id}', 'GET'],
      ['searchA', '/search', 'GET'],
    ]);
    expect(result.problems).toEqual([
      expect.objectContaining({
        code: 'DG1505',
        severity: 'warning',
        message: expect.stringMatching(/^PUT '\/files\/\{id\}#shared_link' is served by route 'putFile'/),
        at: ['paths', '/files/{id}#shared_link'],
      }),
    ]);
  });

  it('maps OpenAPI templates to DGate paths unchanged when chi reads them the same', () => {
    for (const p of ['/', '/pets/{petId}', '/files/{name}.{ext}', '/a-b/{id}/c_d'])
      expect(dgatePathFor(p)).toEqual({ path: p });
    expect(sanitizeName('get /pets/{id} (v2)')).toBe('get-pets-id-v2');
  });
});

describe('import openapi: importing again', () => {
  const spec = specWith({
    '/a': { get: { operationId: 'getA', tags: ['t'] } },
    '/b': { get: { operationId: 'getB' } },
  });

  it('keeps the fields a user set that the import does not own, and reports what changed', () => {
    const first = importOpenApi({ spec, namespace: 'n' }).config!;
    const edited = structuredClone(first) as { namespaces: { routes: Route[]; services: Record<string, unknown>[] }[] };
    const ns = edited.namespaces[0]!;
    ns.routes[0]!.modules = ['auth'];
    ns.routes[0]!.preserveHost = true;
    ns.routes[0]!.paths = ['/hand-edited'];
    ns.services[0]!.retries = 5;
    const changedSpec = specWith({
      '/a': { get: { operationId: 'getA', tags: ['u'] } },
      '/c': { post: { operationId: 'postC' } },
    });
    const again = importOpenApi({ spec: changedSpec, namespace: 'n', previous: edited }).config!;
    const out = routesOf(again);
    expect(out.routes[0]).toEqual({
      name: 'getA',
      paths: ['/a'],
      methods: ['GET'],
      service: 'pet-store',
      tags: ['openapi:u'],
      modules: ['auth'],
      preserveHost: true,
    });
    expect(out.services[0]).toMatchObject({ retries: 5, urls: ['https://api.example.com/v1'] });
    expect(summarizeImport(again, edited, 'n')).toEqual({
      added: ['postC'],
      changed: ['getA'],
      removed: ['getB'],
      unchanged: 0,
    });
  });

  it('gives the same value for the same spec and previous file', () => {
    const first = importOpenApi({ spec, namespace: 'n' }).config!;
    expect(importOpenApi({ spec, namespace: 'n', previous: first }).config).toEqual(first);
    expect(summarizeImport(first, first, 'n')).toEqual({ added: [], changed: [], removed: [], unchanged: 2 });
  });
});

describe('import openapi: locating in the spec', () => {
  it('points at a path key in YAML and JSON', () => {
    const yaml = 'openapi: 3.0.0\npaths:\n  /ok: {}\n  /files/*:\n    get: {}\n';
    expect(specLocator(yaml, 's.yaml').locate(['paths', '/files/*'], true)).toEqual({
      file: 's.yaml',
      line: 4,
      col: 3,
    });
    const json = '{\n  "paths": {\n    "/x": { "get": { "x-dgate-tags": 3 } }\n  }\n}';
    expect(specLocator(json, 's.json').locate(['paths', '/x', 'get', 'x-dgate-tags'])).toEqual({
      file: 's.json',
      line: 3,
      col: 38,
    });
  });

  it('reports a syntax error with its place', () => {
    expect(specLocator('a: [\n', 'b.yaml').syntaxError?.location).toMatchObject({ file: 'b.yaml', line: 2 });
  });
});
