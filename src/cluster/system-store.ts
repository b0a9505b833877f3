import { systemNamespace } from '../model/registry.js';
import { listProblem } from '../model/wire-shape.js';
import type { AdminClient } from './client.js';

/**
 * dgate-cli's own records live in the cluster, where every CI runner can read them: documents in
 * public collections of a reserved namespace, which plan, dump and apply never treat as the
 * user's. (Collections cannot be deleted in DGate v0.11; these are created once and kept.)
 */
export { systemNamespace };
export const locksCollection = 'locks';
export const releasesCollection = 'releases';
export const canariesCollection = 'canaries';

const allDocuments = { limit: '0', offset: '2147483647' };

async function ok(
  client: AdminClient,
  method: 'PUT' | 'DELETE',
  path: string,
  query: Record<string, string>,
  body: unknown,
  what: string,
): Promise<void> {
  const res = await client.send(method, path, query, body);
  if (res.status < 200 || res.status >= 300) throw client.unexpected(res, method, `${path} (${what})`);
}

/** Creates the reserved namespace and its collections when missing. Reads first: no write when all is there. */
export async function ensureSystemStore(client: AdminClient): Promise<void> {
  const ns = await client.send('GET', `/api/v1/namespace/${systemNamespace}`);
  if (ns.status === 404)
    await ok(
      client,
      'PUT',
      '/api/v1/namespace',
      {},
      { name: systemNamespace, tags: ['dgate-cli:system'] },
      'reserved namespace',
    );
  else if (ns.status !== 200) throw client.unexpected(ns, 'GET', `/api/v1/namespace/${systemNamespace}`);
  const collections = await client.getList<{ name: string }>(
    '/collection',
    { namespace: systemNamespace },
    { name: 'string' },
  );
  for (const name of [locksCollection, releasesCollection, canariesCollection]) {
    if (!collections.some((c) => c.name === name)) {
      await ok(
        client,
        'PUT',
        '/api/v1/collection',
        {},
        { name, namespace: systemNamespace, schema: null, visibility: 'public', type: 'document' },
        `${name} collection`,
      );
    }
  }
}

export interface SystemDocument<T> {
  id: string;
  data: T;
}

/** Every document of a system collection, or none when the store does not exist yet. */
export async function readSystemDocuments<T>(client: AdminClient, collection: string): Promise<SystemDocument<T>[]> {
  const query = { namespace: systemNamespace, collection, ...allDocuments };
  const res = await client.send('GET', '/api/v1/document', query);
  if (res.status === 404) return [];
  if (res.status !== 200 || !res.body || typeof res.body !== 'object')
    throw client.unexpected(res, 'GET', '/api/v1/document');
  const documents = (res.body as { documents?: unknown }).documents ?? null;
  const problem = listProblem(documents, { id: 'string', data: 'any' });
  if (problem) throw client.malformed('GET', '/api/v1/document', query, problem.replace('the list', "'documents'"));
  return ((documents ?? []) as SystemDocument<T>[]).map((d) => ({ id: d.id, data: d.data }));
}

export async function writeSystemDocument(
  client: AdminClient,
  collection: string,
  id: string,
  data: unknown,
): Promise<void> {
  await ok(
    client,
    'PUT',
    `/api/v1/document/${encodeURIComponent(id)}`,
    { namespace: systemNamespace, collection },
    data,
    `${collection}/${id}`,
  );
}

export async function deleteSystemDocument(client: AdminClient, collection: string, id: string): Promise<void> {
  await ok(
    client,
    'DELETE',
    `/api/v1/document/${encodeURIComponent(id)}`,
    { namespace: systemNamespace, collection },
    undefined,
    `${collection}/${id}`,
  );
}
