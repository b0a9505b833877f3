import type { Kind } from '../kind.js';
import { type Shape, tagsShape } from '../wire-shape.js';
import type { CollectionSpec } from '../../schema/generated/config.js';
import { byNamespaceName, namespacedIdentity, labelsOfSpec, specTags, withTags } from './shared.js';

/** What the admin API returns for one collection (the wire form). */
export interface ApiCollection {
  name: string;
  namespace: string;
  schema: unknown;
  visibility: string;
  type: string;
  tags?: string[] | null;
}

/** The answer's shape, checked before it is read (DG2003 names a field of another shape). */
const wireShape: Shape = {
  name: 'string',
  namespace: 'string',
  schema: 'any',
  visibility: 'string?',
  type: 'string?',
  tags: tagsShape,
};

/** A collection of documents, optionally checked against a JSON schema. DGate cannot delete one. */
export const collections: Kind<'collections'> = {
  key: 'collections',
  singular: 'collection',
  short: 'col',
  identity: byNamespaceName,
  identityFields: namespacedIdentity,
  unreadable: ['type'],
  sensitive: [],
  undeletable: true,
  // Created last, after the rest is verified: a collection cannot be deleted again.
  irreversible: { create: true, update: false, delete: false },
  namespaceOf: (r) => r.namespace,
  compiledFrom: 'collections',
  compile: ({ spec }, tools) => {
    const c = spec as CollectionSpec;
    return [
      withTags(
        {
          name: c.name,
          namespace: tools.namespace,
          schema: (c.schema as Record<string, unknown> | undefined) ?? null,
          visibility: c.visibility ?? 'public',
          type: c.type ?? 'document',
        },
        labelsOfSpec(c.tags),
      ),
    ];
  },
  normalize: (wire) =>
    withTags(
      {
        name: wire.name,
        namespace: wire.namespace,
        schema: (wire.schema as Record<string, unknown> | null) ?? null,
        // DGate stores visibility as sent, any string; an omitted one (""), like any but 'private',
        // behaves as public. Kept as stored, so a config that says 'secret' compares equal.
        visibility: wire.visibility || 'public',
      },
      wire.tags,
    ),
  wireShape,
  wire: { path: 'collection', putBy: 'body', deleteBy: 'path' },
  putBody: (r) => r,
  dump: (live, tools): CollectionSpec => {
    const documents = tools.documentsOf(live.namespace, live.name);
    return {
      name: live.name,
      ...(live.visibility !== 'public' ? { visibility: live.visibility } : {}),
      ...(live.schema ? { schema: live.schema } : {}),
      ...(documents.length > 0
        ? {
            documents: documents.map((d) => ({
              id: d.id,
              data: d.data as NonNullable<CollectionSpec['documents']>[number]['data'],
            })),
          }
        : {}),
      ...specTags(live.tags),
    };
  },
};
