import { describe, expect, it } from 'vitest';
import { deleteRequest, putRequest } from '../../../src/cluster/admin-api.js';
import { normalizeLive } from '../../../src/cluster/normalize.js';
import { secretHashTagPrefix } from '../../../src/model/kinds/secrets.js';
import { liveReadOf } from '../builders.js';

const read = liveReadOf;

describe('normalizeLive', () => {
  it('writes what DGate returns in the form compile produces, so that equal is equal', () => {
    const live = normalizeLive(
      read({
        namespaces: [{ name: 'shop', tags: [] }],
        services: [
          {
            name: 'api',
            namespace: 'shop',
            urls: ['HTTP://api:80/'],
            retries: 3,
            retryTimeout: 0,
            connectTimeout: 0,
            requestTimeout: 0,
            tlsSkipVerify: false,
            http2Only: false,
            tags: null,
          },
        ],
        modules: [{ name: 'm', namespace: 'shop', payload: 'ZXhwb3J0IHt9Cg' }],
        routes: [
          {
            name: 'r',
            namespace: 'shop',
            paths: null,
            methods: ['GET'],
            preserveHost: false,
            stripPath: false,
            service: '',
            modules: ['b', 'a', 'b'],
          },
        ],
      }),
    );
    // Empty tags dropped, the scheme lower-cased (as Go's url.String() does), base64 re-padded.
    expect(live.namespaces).toEqual([{ name: 'shop' }]);
    expect(live.services[0]!.urls).toEqual(['http://api:80/']);
    expect(live.services[0]).not.toHaveProperty('tags');
    expect(live.modules[0]!.payload).toBe('ZXhwb3J0IHt9Cg==');
    // A route's modules sorted and de-duplicated, as DGate stores them; no service, no paths: absent or empty.
    expect(live.routes[0]).toEqual({
      name: 'r',
      namespace: 'shop',
      paths: [],
      methods: ['GET'],
      preserveHost: false,
      stripPath: false,
      modules: ['a', 'b'],
    });
  });

  it('reduces sensitive values to digests at once: a domain key, a secret hash tag', () => {
    const live = normalizeLive(
      read({
        domains: [
          {
            name: 'd',
            namespace: { name: 'shop' },
            pattern: ['a.test'],
            priority: 7,
            cert: '',
            key: 'PRIVATE KEY TEXT',
            tags: null,
          },
        ],
        secrets: [{ name: 's', namespace: 'shop', data: '', tags: ['team', `${secretHashTagPrefix}abc123`] }],
      }),
    );
    expect(live.domains[0]).toEqual({
      name: 'd',
      namespace: 'shop',
      patterns: ['a.test'],
      priority: 7,
      key: { digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) },
    });
    expect(JSON.stringify(live)).not.toContain('PRIVATE KEY TEXT');
    expect(live.secrets[0]).toEqual({ name: 's', namespace: 'shop', data: { digest: 'hmac:abc123' }, tags: ['team'] });
  });

  it('sorts every kind by identity, as compile does', () => {
    const live = normalizeLive(
      read({
        collections: [
          { name: 'b', namespace: 'shop', schema: null, visibility: '', type: 'document' },
          { name: 'a', namespace: 'shop', schema: null, visibility: 'private', type: 'document' },
        ],
      }),
    );
    expect(live.collections.map((c) => `${c.name}:${c.visibility}`)).toEqual(['a:private', 'b:public']);
  });
});

describe('the admin API writes (v1 addressing)', () => {
  it('puts most kinds by body, and documents by path with namespace and collection queries', () => {
    expect(putRequest('secrets', { name: 's', namespace: 'shop', data: { fromEnv: 'S' }, keepVersions: 2 })).toEqual({
      method: 'PUT',
      path: '/api/v1/secret',
      body: { name: 's', namespace: 'shop', data: { fromEnv: 'S' } },
    });
    expect(putRequest('documents', { id: 'a/b', namespace: 'shop', collection: 'links', data: { x: 1 } })).toEqual({
      method: 'PUT',
      path: '/api/v1/document/a%2Fb',
      query: { namespace: 'shop', collection: 'links' },
      body: { x: 1 },
    });
  });

  it('deletes collections by path, namespaces by name only, the rest by name and namespace', () => {
    expect(deleteRequest('collections', { name: 'links', namespace: 'shop' })).toEqual({
      method: 'DELETE',
      path: '/api/v1/collection/links',
      query: { namespace: 'shop' },
    });
    expect(deleteRequest('namespaces', { name: 'shop' })).toEqual({
      method: 'DELETE',
      path: '/api/v1/namespace',
      body: { name: 'shop' },
    });
    expect(deleteRequest('routes', { name: 'r', namespace: 'shop' }).body).toEqual({ name: 'r', namespace: 'shop' });
  });
});
