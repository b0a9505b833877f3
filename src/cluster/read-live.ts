import { heldSecrets } from '../io/held-secrets.js';
import { systemNamespace } from '../model/registry.js';
import type { AdminClient } from './client.js';
import type {
  ApiCollection,
  ApiDocument,
  ApiDomain,
  ApiDomainDetail,
  ApiModule,
  ApiNamespace,
  ApiRoute,
  ApiSecret,
  ApiService,
  LiveRead,
} from '../model/api-types.js';
import { listProblem } from '../model/wire-shape.js';
import { kinds, specKinds, type SpecKey } from '../model/registry.js';

/** Runs `work` over `items` with at most `limit` in flight, keeping the input order in the result. */
async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await work(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

// DGate's document list swaps limit and offset, and skips the document at position `offset`:
// limit=0 with an offset past the last document returns them all (admin API notes §5).
const allDocumentsQuery = { limit: '0', offset: '2147483647' };

/**
 * Reads the managed namespaces of a cluster in as few requests as DGate allows: one namespace
 * list; six lists per namespace; one read per domain (only the single-domain read carries its
 * priority); one document list per public collection. At most `concurrency` requests at a time.
 */
export async function readLiveState(
  client: AdminClient,
  managed: readonly string[] | 'all',
  concurrency = 16,
): Promise<LiveRead> {
  const [allNamespaces, readyz] = await Promise.all([
    client.getList<ApiNamespace>(`/${kinds.namespaces.wire.path}`, {}, kinds.namespaces.wireShape),
    client.send('GET', '/readyz'),
  ]);
  // 'all' means the gateway's namespaces: dgate-cli's own records are not part of it.
  const wanted = new Set(
    managed === 'all' ? allNamespaces.map((n) => n.name).filter((n) => n !== systemNamespace) : managed,
  );
  const namespaces = allNamespaces.filter((n) => wanted.has(n.name));
  // One list per kind a namespace holds (documents are listed per collection, below).
  const lists = await mapLimit(
    namespaces.flatMap((ns) => specKinds.map((kind) => ({ ns: ns.name, kind }))),
    concurrency,
    async ({ ns, kind }) => ({
      kind,
      items: await client.getList<unknown>(
        `/${kinds[kind].wire.path}`,
        { namespace: ns },
        kinds[kind].listShape ?? kinds[kind].wireShape,
      ),
    }),
  );
  const of = <T>(kind: SpecKey) => lists.filter((l) => l.kind === kind).flatMap((l) => l.items as T[]);
  const collections = of<ApiCollection>('collections');
  const domainList = of<ApiDomain>('domains');
  const readable = collections.filter((c) => c.visibility !== 'private');
  const [domains, documentLists] = await Promise.all([
    mapLimit(domainList, concurrency, (d) =>
      client.getObject<ApiDomainDetail>(
        `/domain/${encodeURIComponent(d.name)}`,
        { namespace: d.namespace },
        kinds.domains.wireShape,
      ),
    ),
    mapLimit(readable, concurrency, async (c) => {
      const query = { namespace: c.namespace, collection: c.name, ...allDocumentsQuery };
      const res = await client.send('GET', '/api/v1/document', query);
      if (res.status !== 200 || !res.body || typeof res.body !== 'object')
        throw client.unexpected(res, 'GET', '/api/v1/document');
      const documents = (res.body as { documents?: unknown }).documents ?? null;
      const problem = listProblem(documents, kinds.documents.wireShape);
      if (problem) throw client.malformed('GET', '/api/v1/document', query, problem.replace('the list', "'documents'"));
      return (documents ?? []) as ApiDocument[];
    }),
  ]);
  // DGate returns domain keys in plaintext: held, so that no output or journal can carry one.
  for (const d of domains) if (d.key) heldSecrets.add(d.key);
  return {
    adminUrl: client.baseUrl,
    allNamespaces,
    namespaces,
    services: of<ApiService>('services'),
    modules: of<ApiModule>('modules'),
    routes: of<ApiRoute>('routes'),
    domains,
    collections,
    secrets: of<ApiSecret>('secrets'),
    documents: documentLists.flat(),
    unreadableDocumentCollections: collections
      .filter((c) => c.visibility === 'private')
      .map((c) => `${c.namespace}/${c.name}`),
    raft: typeof readyz.headers['x-raft-state'] === 'string',
  };
}
