import { describe, expect, it } from 'vitest';
import { normalizeLive } from '../../../src/cluster/normalize.js';
import type { LiveRead } from '../../../src/model/api-types.js';
import { diffResources, digestKey, type DiffInput } from '../../../src/diff/diff.js';
import { sensitiveMask } from '../../../src/secrets/redact.js';
import { emptyResources } from '../../../src/model/registry.js';
import type { Resources } from '../../../src/schema/generated/desired-state.js';
import type { LiveResources } from '../../../src/state/live-state.js';
import { sha256Hex } from '../../../src/state/canonical-json.js';

const svc = (name: string, extra: Partial<Resources['services'][number]> = {}): Resources['services'][number] => ({
  name,
  namespace: 'shop',
  urls: ['http://127.0.0.1:8080'],
  retries: 3,
  retryTimeout: 0,
  connectTimeout: 0,
  requestTimeout: 0,
  tlsSkipVerify: false,
  http2Only: false,
  ...extra,
});

function input(desired: Partial<Resources>, live: Partial<LiveResources>, extra: Partial<DiffInput> = {}): DiffInput {
  return {
    desired: { ...emptyResources(), namespaces: [{ name: 'shop' }], ...desired },
    live: { ...(emptyResources() as unknown as LiveResources), namespaces: [{ name: 'shop' }], ...live },
    scope: { namespaces: ['shop'], selectTags: [] },
    desiredDigests: new Map(),
    unreadableDocumentCollections: [],
    liveNamespaceNames: ['default', 'shop'],
    ...extra,
  };
}

describe('diffResources', () => {
  it('reports only the fields that differ', () => {
    const result = diffResources(input({ services: [svc('a', { retries: 5 })] }, { services: [svc('a')] }));
    expect(result.changes).toHaveLength(1);
    expect(result.changes[0]!.fields).toEqual([{ field: 'retries', before: 3, after: 5 }]);
  });

  it('orders creates by dependency and deletes after them in reverse', () => {
    const result = diffResources(
      input(
        {
          routes: [
            {
              name: 'r',
              namespace: 'shop',
              paths: ['/'],
              methods: ['GET'],
              preserveHost: false,
              stripPath: false,
              service: 'new',
            },
          ],
          services: [svc('new')],
        },
        {
          services: [svc('old')],
          routes: [
            {
              name: 'gone',
              namespace: 'shop',
              paths: ['/g'],
              methods: ['GET'],
              preserveHost: false,
              stripPath: false,
              service: 'old',
            },
          ],
        },
      ),
    );
    expect(result.changes.map((c) => `${c.action} ${c.kind} ${c.id}`)).toEqual([
      'create services shop/new',
      'create routes shop/r',
      'delete routes shop/gone',
      'delete services shop/old',
    ]);
  });

  it('ignores fields DGate never returns', () => {
    const result = diffResources(
      input(
        {
          modules: [{ name: 'm', namespace: 'shop', payload: 'eA==', moduleType: 'javascript' }],
          collections: [{ name: 'c', namespace: 'shop', schema: null, visibility: 'public', type: 'fetcher' }],
        },
        {
          modules: [{ name: 'm', namespace: 'shop', payload: 'eA==' }],
          collections: [{ name: 'c', namespace: 'shop', schema: null, visibility: 'public' }],
        },
      ),
    );
    expect(result.changes).toEqual([]);
  });

  it('compares a domain key by digest and masks it everywhere', () => {
    const domain = { name: 'd', namespace: 'shop', patterns: ['*'], priority: 0, cert: 'CERT' };
    const live = { domains: [{ ...domain, key: { digest: `sha256:${sha256Hex('old-key')}` } }] };
    const desired = { domains: [{ ...domain, key: { fromEnv: 'K' } }] };
    const same = diffResources(
      input(desired, live, {
        desiredDigests: new Map([[digestKey('domains', 'shop/d', 'key'), `sha256:${sha256Hex('old-key')}`]]),
      }),
    );
    expect(same.changes).toEqual([]);
    const changed = diffResources(
      input(desired, live, {
        desiredDigests: new Map([[digestKey('domains', 'shop/d', 'key'), `sha256:${sha256Hex('new-key')}`]]),
      }),
    );
    expect(changed.changes[0]!.fields).toEqual([{ field: 'key', sensitive: true }]);
    expect(changed.changes[0]!.after!.key).toBe(sensitiveMask);
    expect(changed.changes[0]!.before!.key).toBe(sensitiveMask);
    expect(JSON.stringify(changed)).not.toContain('old-key');
  });

  it('never deletes a namespace, and leaves undeclared ones alone', () => {
    const result = diffResources(
      input({}, { namespaces: [{ name: 'shop' }] }, { liveNamespaceNames: ['default', 'other', 'shop'] }),
    );
    expect(result.changes).toEqual([]);
    expect(result.leftAlone.namespaces).toEqual(['default', 'other']);
  });

  it('with select tags, manages only tagged resources on both sides', () => {
    const result = diffResources(
      input(
        { services: [svc('mine', { tags: ['team:a'], retries: 1 }), svc('untagged', { retries: 9 })] },
        { services: [svc('mine', { tags: ['team:a'] }), svc('theirs', { tags: ['team:b'] }), svc('untagged')] },
        { scope: { namespaces: ['shop'], selectTags: ['team:a'] } },
      ),
    );
    expect(result.changes.map((c) => c.id)).toEqual(['shop/mine']);
    expect(result.leftAlone.resources).toBe(2);
  });

  it('does not compare documents of private collections, and says so', () => {
    const doc = { id: 'x', namespace: 'shop', collection: 'secretive', data: { a: 1 } };
    const result = diffResources(
      input({ documents: [doc] }, {}, { unreadableDocumentCollections: ['shop/secretive'] }),
    );
    expect(result.changes).toEqual([]);
    expect(result.unverifiable.documents).toEqual(['shop/secretive/x']);
  });
});

describe('normalizeLive', () => {
  const read: LiveRead = {
    adminUrl: 'http://x',
    allNamespaces: [{ name: 'shop', tags: null }],
    namespaces: [{ name: 'shop', tags: [] }],
    services: [
      {
        name: 's',
        namespace: 'shop',
        urls: ['HTTP://h'],
        retries: 3,
        retryTimeout: 0,
        connectTimeout: 0,
        requestTimeout: 0,
        tlsSkipVerify: false,
        http2Only: false,
        tags: null,
      },
    ],
    modules: [{ name: 'm', namespace: 'shop', payload: 'eA' }],
    routes: [
      {
        name: 'r',
        namespace: 'shop',
        paths: null,
        methods: ['GET'],
        preserveHost: false,
        stripPath: false,
        modules: ['b', 'a', 'a'],
      },
    ],
    domains: [
      { name: 'd', namespace: { name: 'shop' }, pattern: ['*'], priority: 5, cert: '', key: 'PRIVATE', tags: null },
    ],
    collections: [{ name: 'c', namespace: 'shop', schema: { type: 'object' }, visibility: '', type: '' }],
    secrets: [{ name: 'k', namespace: 'shop', data: '**redacted**' }],
    documents: [],
    unreadableDocumentCollections: [],
    raft: false,
  };
  const live = normalizeLive(read);

  it('writes the canonical form compile produces', () => {
    expect(live.namespaces).toEqual([{ name: 'shop' }]);
    expect(live.services[0]!.urls).toEqual(['http://h']);
    expect(live.services[0]).not.toHaveProperty('tags');
    expect(live.modules[0]!.payload).toBe('eA==');
    expect(live.routes[0]).toEqual({
      name: 'r',
      namespace: 'shop',
      paths: [],
      methods: ['GET'],
      preserveHost: false,
      stripPath: false,
      modules: ['a', 'b'],
    });
    expect(live.collections[0]!.visibility).toBe('public');
    expect(live.secrets[0]).toEqual({ name: 'k', namespace: 'shop' });
  });

  it('keeps a domain key only as a digest', () => {
    expect(live.domains[0]).toEqual({
      name: 'd',
      namespace: 'shop',
      patterns: ['*'],
      priority: 5,
      key: { digest: `sha256:${sha256Hex('PRIVATE')}` },
    });
    expect(JSON.stringify(live)).not.toContain('PRIVATE"');
  });
});
