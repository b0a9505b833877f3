import type { ApiCollection } from './kinds/collections.js';
import type { ApiDocument } from './kinds/documents.js';
import type { ApiDomainDetail } from './kinds/domains.js';
import type { ApiModule } from './kinds/modules.js';
import type { ApiNamespace } from './kinds/namespaces.js';
import type { ApiRoute } from './kinds/routes.js';
import type { ApiSecret } from './kinds/secrets.js';
import type { ApiService } from './kinds/services.js';

export type { ApiCollection, ApiDocument, ApiModule, ApiNamespace, ApiRoute, ApiSecret, ApiService, ApiDomainDetail };
export type { ApiDomain } from './kinds/domains.js';

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
