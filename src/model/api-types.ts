/**
 * What the DGate v0.11 admin API returns, kind by kind (the wire form). normalize.ts turns these
 * into the canonical form compile produces. Shapes from ../shared/docs/dgate-admin-api.md §3.
 */
export interface ApiNamespace {
  name: string;
  tags?: string[] | null;
}

export interface ApiService {
  name: string;
  namespace: string;
  urls: string[] | null;
  retries: number;
  retryTimeout: number;
  connectTimeout: number;
  requestTimeout: number;
  tlsSkipVerify: boolean;
  http2Only: boolean;
  tags?: string[] | null;
}

export interface ApiModule {
  name: string;
  namespace: string;
  payload: string;
  tags?: string[] | null;
}

export interface ApiRoute {
  name: string;
  namespace: string;
  paths: string[] | null;
  methods: string[] | null;
  preserveHost: boolean;
  stripPath: boolean;
  service?: string;
  modules?: string[] | null;
  tags?: string[] | null;
}

/** `GET /domain/{name}`: the only read that carries the real priority (the list says 0). */
export interface ApiDomainDetail {
  name: string;
  namespace: { name: string; tags?: string[] | null };
  pattern: string[] | null;
  priority: number;
  cert: string;
  key: string;
  tags?: string[] | null;
}

export interface ApiDomain {
  name: string;
  namespace: string;
}

export interface ApiCollection {
  name: string;
  namespace: string;
  schema: unknown;
  visibility: string;
  type: string;
  tags?: string[] | null;
}

export interface ApiSecret {
  name: string;
  namespace: string;
  data: string;
  tags?: string[] | null;
}

export interface ApiDocument {
  id: string;
  namespace: string;
  collection: string;
  data: unknown;
}

/** Everything read from a cluster for the managed namespaces, before normalizing. */
export interface LiveRead {
  adminUrl: string;
  /** Every namespace on the cluster, managed or not. */
  allNamespaces: ApiNamespace[];
  /** The managed namespaces that exist on the cluster. */
  namespaces: ApiNamespace[];
  services: ApiService[];
  modules: ApiModule[];
  routes: ApiRoute[];
  domains: ApiDomainDetail[];
  collections: ApiCollection[];
  secrets: ApiSecret[];
  documents: ApiDocument[];
  /** Collections whose documents DGate refuses to list (private ones), as `namespace/collection`. */
  unreadableDocumentCollections: string[];
  /** The node is part of a raft cluster (its /readyz names a raft state). */
  raft: boolean;
}
