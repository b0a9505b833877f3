import { kinds, type AnyResource, type KindKey } from '../model/registry.js';

/**
 * How DGate v0.11's admin API is written to: the one place that knows its paths and how it
 * addresses a resource. Each kind says what it sends (model/kinds/); this file says where. A
 * v2 adapter (dgate-api addresses every resource by path: PUT /api/v1/route/{namespace}/{name})
 * replaces this file. Pure.
 */

/** One admin-API write. Sensitive fields hold a reference until the executor fills them in memory. */
export interface AdminRequest {
  method: 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

export const adminApiPrefix = '/api/v1';

type Addressed = { name?: string; id?: string; namespace?: string; collection?: string };

/** The path and query of a kind addressed by path: the name a segment, namespace and collection queries. */
function byPath(kind: KindKey, r: Addressed): Pick<AdminRequest, 'path' | 'query'> {
  const own = kind === 'documents' ? r.id : r.name;
  return {
    path: `${adminApiPrefix}/${kinds[kind].wire.path}/${encodeURIComponent(String(own))}`,
    query: {
      namespace: String(r.namespace),
      ...(r.collection !== undefined ? { collection: String(r.collection) } : {}),
    },
  };
}

/** The write that puts `r` into the cluster, exactly as the admin API takes it. */
export function putRequest(kind: KindKey, r: AnyResource): AdminRequest {
  const info = kinds[kind];
  const body = info.putBody(r);
  if (info.wire.putBy === 'path') return { method: 'PUT', ...byPath(kind, r as Addressed), body };
  return { method: 'PUT', path: `${adminApiPrefix}/${info.wire.path}`, body };
}

/** A PUT of a body made elsewhere (a tombstone), addressed as the kind's puts are. */
export function putBodyRequest(kind: KindKey, body: Record<string, unknown>): AdminRequest {
  const info = kinds[kind];
  if (info.wire.putBy === 'path') return { method: 'PUT', ...byPath(kind, body as Addressed), body };
  return { method: 'PUT', path: `${adminApiPrefix}/${info.wire.path}`, body };
}

/** The write that removes `r`: by body (name and namespace) or by path, as the kind is addressed. */
export function deleteRequest(kind: KindKey, r: AnyResource | { name: string; namespace?: string }): AdminRequest {
  const info = kinds[kind];
  const rec = r as Addressed;
  if (info.wire.deleteBy === 'path') return { method: 'DELETE', ...byPath(kind, rec) };
  return {
    method: 'DELETE',
    path: `${adminApiPrefix}/${info.wire.path}`,
    body: kind === 'namespaces' ? { name: rec.name } : { name: rec.name, namespace: rec.namespace },
  };
}

/** Where a raft node lists the cluster's servers (`{"servers":[{"id","address","suffrage"}]}`). */
export const raftConfigurationPath = '/raftadmin/GetConfiguration';

/**
 * The admin URLs of a raft cluster's servers, from the answer to raftConfigurationPath: each
 * server's address is its advertised admin address (host:port), reached with `protocol`.
 * Undefined when the answer has another shape.
 */
export function raftServerUrls(body: unknown, protocol: string): string[] | undefined {
  const servers = (body as { servers?: unknown } | null)?.servers;
  if (!Array.isArray(servers)) return undefined;
  const urls: string[] = [];
  for (const s of servers) {
    const address = (s as { address?: unknown } | null)?.address;
    if (typeof address !== 'string' || address.length === 0) return undefined;
    urls.push(`${protocol}//${address}`);
  }
  return urls;
}

/** Where a node serves its Prometheus metrics (DGate v0.11: on the admin port, unless `disable_metrics`). */
export const metricsPath = '/metrics';
