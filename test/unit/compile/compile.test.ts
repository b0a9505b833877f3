import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/model/duration.js';
import { canonicalJson } from '../../../src/state/canonical-json.js';
import { compileConfig } from '../../../src/compile/compile.js';
import { loadConfig } from '../../../src/load/assemble.js';
import { compileMemory, fileTable, sourcesOf } from './build.js';

const everyField = {
  'shop.yaml': `
version: v1
settings: { allowPlaintextSecrets: true }
namespaces:
  - name: shop
    tags: [team:checkout, tier:1]
    services:
      - name: catalog
        urls: [HTTP://127.0.0.1:8081/v1]
        retries: 5
        retryTimeout: 250ms
        connectTimeout: 1m30s
        requestTimeout: 5s
        tlsSkipVerify: true
        http2Only: true
        tags: [svc]
      - { name: bare, urls: [http://127.0.0.1:8082] }
    modules:
      - { name: zeta, file: mods/zeta.js }
      - { name: alpha, source: "export const x = 1;", tags: [] }
    routes:
      - name: catalog
        paths: [/catalog/*]
        methods: [GET, POST]
        preserveHost: true
        stripPath: true
        service: catalog
        modules: [alpha, zeta]
        tags: [public]
      - { name: modonly, paths: [/m], methods: ["*"], modules: [zeta] }
    domains:
      - { name: shop, patterns: ["shop.example.com"], priority: 7, cert: { file: tls/shop.crt }, key: { fromFile: tls/shop.key } }
      - { name: any, patterns: ["*"] }
    collections:
      - name: links
        visibility: private
        schema: { type: object, properties: { url: { type: string } } }
        documents:
          - { id: b, data: { url: "https://b.example" } }
          - { id: a, data: { url: "https://a.example", extra: [1, 2] } }
      - { name: raw, type: fetcher }
    secrets:
      - { name: env, value: { fromEnv: STRIPE_KEY } }
      - { name: file, value: { fromFile: secrets/api.key, trimTrailingNewline: false } }
      - { name: inline, value: { value: do-not-print-me } }
`,
};
const refs = {
  'mods/zeta.js': 'exports.z = 26;\n',
  'tls/shop.crt': '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};

describe('compile', () => {
  const state = compileMemory(everyField, refs);
  const r = state.resources;

  it('fills in the defaults DGate would, and writes durations as integer nanoseconds', () => {
    expect(r.services).toEqual([
      {
        name: 'bare',
        namespace: 'shop',
        urls: ['http://127.0.0.1:8082'],
        retries: 3,
        retryTimeout: 0,
        connectTimeout: 0,
        requestTimeout: 0,
        tlsSkipVerify: false,
        http2Only: false,
      },
      {
        name: 'catalog',
        namespace: 'shop',
        urls: ['http://127.0.0.1:8081/v1'],
        retries: 5,
        retryTimeout: 250_000_000,
        connectTimeout: 90_000_000_000,
        requestTimeout: 5_000_000_000,
        tlsSkipVerify: true,
        http2Only: true,
        tags: ['svc'],
      },
    ]);
  });

  it('encodes module sources as padded base64 and takes the type from the extension', () => {
    expect(r.modules).toEqual([
      {
        name: 'alpha',
        namespace: 'shop',
        payload: Buffer.from('export const x = 1;').toString('base64'),
        moduleType: 'typescript',
      },
      {
        name: 'zeta',
        namespace: 'shop',
        payload: Buffer.from('exports.z = 26;\n').toString('base64'),
        moduleType: 'javascript',
      },
    ]);
  });

  it('writes routes as the admin API takes them, modules sorted as DGate stores them', () => {
    expect(r.routes).toEqual([
      {
        name: 'catalog',
        namespace: 'shop',
        paths: ['/catalog/*'],
        methods: ['GET', 'POST'],
        preserveHost: true,
        stripPath: true,
        service: 'catalog',
        modules: ['alpha', 'zeta'],
        tags: ['public'],
      },
      {
        name: 'modonly',
        namespace: 'shop',
        paths: ['/m'],
        methods: ['*'],
        preserveHost: false,
        stripPath: false,
        modules: ['zeta'],
      },
    ]);
  });

  it('reads certificates from files and keeps private keys and secrets as references only', () => {
    expect(r.domains).toEqual([
      { name: 'any', namespace: 'shop', patterns: ['*'], priority: 0 },
      {
        name: 'shop',
        namespace: 'shop',
        patterns: ['shop.example.com'],
        priority: 7,
        cert: refs['tls/shop.crt'],
        key: { fromFile: 'tls/shop.key', trimTrailingNewline: true },
      },
    ]);
    expect(r.secrets).toEqual([
      { name: 'env', namespace: 'shop', data: { fromEnv: 'STRIPE_KEY' } },
      { name: 'file', namespace: 'shop', data: { fromFile: 'secrets/api.key', trimTrailingNewline: false } },
      { name: 'inline', namespace: 'shop', data: { inline: true } },
    ]);
    expect(canonicalJson(state)).not.toContain('do-not-print-me');
  });

  it('gives collections explicit defaults and lifts documents out, sorted by id', () => {
    expect(r.collections).toEqual([
      {
        name: 'links',
        namespace: 'shop',
        schema: { type: 'object', properties: { url: { type: 'string' } } },
        visibility: 'private',
        type: 'document',
      },
      { name: 'raw', namespace: 'shop', schema: null, visibility: 'public', type: 'fetcher' },
    ]);
    expect(r.documents.map((d) => d.id)).toEqual(['a', 'b']);
    expect(r.documents[0]).toEqual({
      id: 'a',
      namespace: 'shop',
      collection: 'links',
      data: { url: 'https://a.example', extra: [1, 2] },
    });
  });

  it('keeps namespace tags and omits empty tag lists', () => {
    expect(r.namespaces).toEqual([{ name: 'shop', tags: ['team:checkout', 'tier:1'] }]);
    expect(r.modules[0]).not.toHaveProperty('tags');
  });

  it('stamps a sha256 version over the resources only', () => {
    expect(state.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    const { config } = loadConfig(sourcesOf(everyField));
    const other = compileConfig(config, fileTable(refs), {
      tool: { name: 'dgate-cli', version: '9.9.9' },
      git: { commit: 'abc123', dirty: true },
    });
    expect(other.metadata.git).toEqual({ commit: 'abc123', dirty: true });
    expect(other.version).toBe(state.version);
  });
});

describe('compile determinism', () => {
  const split = {
    'a.yaml': `version: v1
namespaces:
  - name: shop
    services:
      - { name: catalog, urls: [http://127.0.0.1:8081], retries: 2 }
    routes:
      - { name: catalog, paths: [/c], methods: [GET], service: catalog }
  - name: blog
    routes:
      - { name: home, paths: [/], methods: [GET] }
`,
    'b.yaml': `version: v1
namespaces:
  - name: shop
    tags: [x]
    collections:
      - { name: links, documents: [{ id: one, data: { b: 1, a: 2 } }] }
`,
  };
  // The same resources: files merged differently, lists and keys reordered, block style, comments.
  const reshaped = {
    'z-everything.yaml': `# one file instead of two
namespaces:
  - name: blog
    routes:
      - methods: [GET]
        paths: [/]
        name: home
  - routes:
      - service: catalog
        methods: [GET]
        name: catalog
        paths: [/c]
    name: shop
    collections:
      - documents:
          - data: { a: 2, b: 1 }
            id: one
        name: links
    tags: [x]
    services:
      - retries: 2
        urls: ["http://127.0.0.1:8081"]
        name: catalog
version: v1
`,
  };

  it('gives the same version whatever the file layout, key order, style or comments', () => {
    const a = compileMemory(split);
    const b = compileMemory(reshaped);
    expect(b.version).toBe(a.version);
    expect(canonicalJson(b)).toBe(canonicalJson(a));
  });

  it('gives the same version when files are read in another order', () => {
    const reversed = Object.fromEntries(Object.entries(split).reverse());
    expect(compileMemory(reversed).version).toBe(compileMemory(split).version);
  });

  it('changes the version when any value changes', () => {
    const edited = { ...split, 'a.yaml': split['a.yaml'].replace('retries: 2', 'retries: 4') };
    expect(compileMemory(edited).version).not.toBe(compileMemory(split).version);
  });
});

describe('parseDuration', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['250ms', 250_000_000],
    ['5s', 5_000_000_000],
    ['1m', 60_000_000_000],
    ['1h30m', 5_400_000_000_000],
    ['1.5s', 1_500_000_000],
    ['10us', 10_000],
    ['10µs', 10_000],
    ['7ns', 7],
  ])('%s is %d ns', (text, nanos) => {
    expect(parseDuration(text)).toBe(nanos);
  });
});
