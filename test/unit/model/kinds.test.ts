import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffResources } from '../../../src/diff/diff.js';
import { dumpToConfig } from '../../../src/dump/to-config.js';
import { kindOrder } from '../../../src/model/kind.js';
import { isSelectorText, labelOf, tagForLabel } from '../../../src/model/kinds/shared.js';
import { emptyResources, kindFromAlias, kinds, specKinds } from '../../../src/model/registry.js';
import type { LiveResources } from '../../../src/state/live-state.js';
import { compileMemory } from '../compile/build.js';

describe('the kind registry', () => {
  it('has one file per kind, each keyed by its own name, with distinct singular and short names', () => {
    expect(Object.keys(kinds)).toEqual([...kindOrder]);
    for (const k of kindOrder) expect(kinds[k].key).toBe(k);
    const names = kindOrder.flatMap((k) => [kinds[k].singular, kinds[k].short]);
    expect(new Set(names).size).toBe(names.length);
  });

  it('finds a kind by plural, singular and short name', () => {
    for (const k of kindOrder) {
      expect(kindFromAlias(k)).toBe(k);
      expect(kindFromAlias(kinds[k].singular.toUpperCase())).toBe(k);
      expect(kindFromAlias(kinds[k].short)).toBe(k);
    }
    expect(kindFromAlias('widget')).toBeUndefined();
  });

  it('lists the kinds a namespace declares in apply order, documents inside collections', () => {
    expect(specKinds).toEqual(['secrets', 'modules', 'services', 'collections', 'domains', 'routes']);
    expect(kinds.documents.compiledFrom).toBe('collections');
    expect(kinds.documents.containedIn).toBe('collections');
  });
});

/** A live state with one of every kind, in the canonical form normalize produces. */
function liveState(overrides: Partial<LiveResources> = {}): LiveResources {
  return {
    ...(emptyResources() as unknown as LiveResources),
    namespaces: [{ name: 'shop', tags: ['team:checkout'] }],
    secrets: [{ name: 'stripe', namespace: 'shop', tags: ['pci'] }],
    modules: [{ name: 'auth', namespace: 'shop', payload: Buffer.from('export {};\n').toString('base64') }],
    services: [
      {
        name: 'api',
        namespace: 'shop',
        urls: ['http://api.internal:8080/v1'],
        retries: 5,
        retryTimeout: 1_500_000_000,
        connectTimeout: 0,
        requestTimeout: 90_000_000_000,
        tlsSkipVerify: true,
        http2Only: false,
      },
    ],
    collections: [{ name: 'links', namespace: 'shop', schema: { type: 'object' }, visibility: 'public' }],
    documents: [{ id: 'home', namespace: 'shop', collection: 'links', data: { url: 'https://example.com' } }],
    domains: [{ name: 'www', namespace: 'shop', patterns: ['shop.example.com'], priority: 10 }],
    routes: [
      {
        name: 'checkout',
        namespace: 'shop',
        paths: ['/checkout/*'],
        methods: ['GET', 'POST'],
        preserveHost: false,
        stripPath: true,
        service: 'api',
        modules: ['auth'],
        tags: ['v2'],
      },
    ],
    ...overrides,
  };
}

/** dump → compile → diff against the same live state: what `dump`, `validate` and `plan` do, in memory. */
function roundTrip(live: LiveResources) {
  const dumped = dumpToConfig(live);
  const yaml = Object.fromEntries([...dumped.files].filter(([rel]) => rel.endsWith('.yaml')));
  const sources = Object.fromEntries([...dumped.files].filter(([rel]) => !rel.endsWith('.yaml')));
  const desired = compileMemory(yaml, sources);
  return {
    dumped,
    desired,
    diff: diffResources({
      desired: desired.resources,
      live,
      scope: { namespaces: live.namespaces.map((n) => n.name), selectTags: [] },
      desiredDigests: new Map(),
      unreadableDocumentCollections: [],
      liveNamespaceNames: live.namespaces.map((n) => n.name),
    }),
  };
}

describe('each kind dumps to a config that compiles back to what it was', () => {
  it('plans no change for a cluster with one of every kind', () => {
    const { diff, desired, dumped } = roundTrip(liveState());
    expect(diff.changes).toEqual([]);
    for (const k of kindOrder) expect(desired.resources[k], k).toHaveLength(1);
    // The secret's value is never dumped: it is read from the variable the dump names.
    expect(dumped.env).toEqual(['DGATE_SECRET_SHOP_STRIPE']);
    expect(diff.unverifiable.secretValues).toEqual(['shop/stripe']);
  });

  it('keeps defaults out of the dump and puts them back on compile', () => {
    const live = liveState({
      services: [
        {
          name: 'plain',
          namespace: 'shop',
          urls: ['http://plain:80'],
          retries: 3,
          retryTimeout: 0,
          connectTimeout: 0,
          requestTimeout: 0,
          tlsSkipVerify: false,
          http2Only: false,
        },
      ],
      routes: [
        { name: 'bare', namespace: 'shop', paths: ['/'], methods: ['GET'], preserveHost: false, stripPath: false },
      ],
    });
    const { diff, dumped } = roundTrip(live);
    expect(diff.changes).toEqual([]);
    const shop = dumped.files.get('shop.yaml')!;
    expect(shop).not.toMatch(/retries|stripPath|preserveHost|tlsSkipVerify/);
  });

  it('writes a domain key as a reference to fill in, never the key', () => {
    const live = liveState({
      domains: [
        {
          name: 'tls',
          namespace: 'shop',
          patterns: ['*.example.com'],
          priority: 0,
          cert: '-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n',
          key: { digest: 'sha256:0000' },
        },
      ],
    });
    const dumped = dumpToConfig(live);
    expect(dumped.env).toContain('DGATE_DOMAIN_KEY_SHOP_TLS');
    expect(dumped.files.get('shop.yaml')).toContain('fromEnv: DGATE_DOMAIN_KEY_SHOP_TLS');
  });
});

describe('labels that look like selectors', () => {
  const labels = ['#team', '!x', '?maybe', '@home', '@(2026-12-01T00:00:00Z)#launch', '\\path', 'plain'];

  it('dumps them escaped and compiles them back to the labels DGate stores, on every kind with tags', () => {
    const base = liveState();
    const tagged = Object.fromEntries(
      kindOrder.map((k) => [k, (base[k] as object[]).map((r) => (k === 'documents' ? r : { ...r, tags: labels }))]),
    ) as unknown as LiveResources;
    const { diff, desired, dumped } = roundTrip(tagged);
    expect(diff.changes).toEqual([]);
    expect(desired.resources.services[0]!.tags).toEqual(labels);
    const shop = dumped.files.get('shop.yaml')!;
    for (const tag of [
      String.raw`\#team`,
      String.raw`\!x`,
      String.raw`\@(2026-12-01T00:00:00Z)#launch`,
      String.raw`\\path`,
    ])
      expect(shop).toContain(`- ${tag}\n`);
  });

  it('escapes exactly the labels that would not read back as themselves', () => {
    fc.assert(
      fc.property(fc.string(), (label) => {
        const tag = tagForLabel(label);
        expect(labelOf(tag)).toBe(label);
        expect(isSelectorText(tag)).toBe(false);
        if (!/^[#!?@\\]/.test(label)) expect(tag).toBe(label);
      }),
    );
  });
});

describe('upstream URLs', () => {
  it('compile to what DGate returns, so a URL with a space plans no change', () => {
    const live = liveState();
    live.services[0]!.urls = ['http://api.internal:8080/v1/a%20b'];
    const dumped = roundTrip(live);
    expect(dumped.diff.changes).toEqual([]);
    const desired = compileMemory({
      'shop.yaml':
        'version: v1\nnamespaces:\n  - name: shop\n    services:\n      - { name: api, urls: ["HTTP://api.internal:8080/v1/a b"] }\n',
    });
    expect(desired.resources.services[0]!.urls).toEqual(['http://api.internal:8080/v1/a%20b']);
  });
});
