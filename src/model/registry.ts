import type { Resources } from '../schema/generated/desired-state.js';

/** The kinds of DGate resource, in apply order: a kind may only depend on kinds before it. */
export const kindOrder = ['namespaces', 'secrets', 'modules', 'services', 'collections', 'domains', 'routes', 'documents'] as const;

export type KindKey = (typeof kindOrder)[number];
export type ResourceOf<K extends KindKey> = Resources[K][number];
export type AnyResource = ResourceOf<KindKey>;

export interface KindInfo {
  key: KindKey;
  /** Singular name used in messages and in the admin API path (`/api/v1/<api>`). */
  singular: string;
  /** Sorting and identity: the fields that name one resource of this kind. */
  identity: (r: AnyResource) => string[];
}

const byNamespaceName = (r: AnyResource): string[] =>
  'namespace' in r ? [r.namespace, (r as { name: string }).name] : [(r as { name: string }).name];

export const kinds: Record<KindKey, KindInfo> = {
  namespaces: { key: 'namespaces', singular: 'namespace', identity: byNamespaceName },
  secrets: { key: 'secrets', singular: 'secret', identity: byNamespaceName },
  modules: { key: 'modules', singular: 'module', identity: byNamespaceName },
  services: { key: 'services', singular: 'service', identity: byNamespaceName },
  collections: { key: 'collections', singular: 'collection', identity: byNamespaceName },
  domains: { key: 'domains', singular: 'domain', identity: byNamespaceName },
  routes: { key: 'routes', singular: 'route', identity: byNamespaceName },
  documents: {
    key: 'documents',
    singular: 'document',
    identity: (r) => {
      const d = r as ResourceOf<'documents'>;
      return [d.namespace, d.collection, d.id];
    },
  },
};

export function emptyResources(): Resources {
  return { namespaces: [], secrets: [], modules: [], services: [], collections: [], domains: [], routes: [], documents: [] };
}

/** A stable id for messages and maps: `shop/catalog`, `shop/links/home`. */
export function resourceId(kind: KindKey, r: AnyResource): string {
  return kinds[kind].identity(r).join('/');
}
