import type { Kind } from '../kind.js';
import type { Shape } from '../wire-shape.js';
import type { CollectionSpec } from '../../schema/generated/config.js';
import { reversible } from './shared.js';

/** What the admin API returns for one document (the wire form). */
export interface ApiDocument {
  id: string;
  namespace: string;
  collection: string;
  data: unknown;
}

/** The answer's shape, checked before it is read (DG2003 names a field of another shape). */
const wireShape: Shape = { id: 'string', namespace: 'string', collection: 'string', data: 'any' };

/**
 * A document in a collection. Declared inside its collection; addressed by id within namespace
 * and collection; carries no tags, so it has no tombstone. DGate v0.11.1 also returns
 * `createdAt` and `updatedAt`: it sets them itself and ignores them on a write, so they are
 * neither read (ApiDocument leaves them out) nor compared. Every field DGate v0.11.1 takes on a
 * write (pkg/spec/external_resources.go) is supported by one of the kind files here.
 */
export const documents: Kind<'documents'> = {
  key: 'documents',
  singular: 'document',
  short: 'doc',
  identity: (r) => [r.namespace, r.collection, r.id],
  identityFields: ['id', 'namespace', 'collection'],
  unreadable: [],
  sensitive: [],
  irreversible: reversible,
  containedIn: 'collections',
  namespaceOf: (r) => r.namespace,
  compiledFrom: 'collections',
  compile: ({ spec }, tools) => {
    const c = spec as CollectionSpec;
    return (c.documents ?? []).map((doc) => ({
      id: doc.id,
      namespace: tools.namespace,
      collection: c.name,
      data: doc.data,
    }));
  },
  normalize: (wire) => ({ id: wire.id, namespace: wire.namespace, collection: wire.collection, data: wire.data }),
  wireShape,
  wire: { path: 'document', putBy: 'path', deleteBy: 'path' },
  putBody: (r) => r.data,
  // Written inside its collection by a dump; alone (get), with the collection it belongs to.
  dump: (live) => ({ id: live.id, collection: live.collection, data: live.data }),
};
