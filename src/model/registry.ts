import type { Resources } from '../schema/generated/desired-state.js';

/** The kinds of DGate resource, in apply order: a kind may only depend on kinds before it. */
export const kindOrder = [
  'namespaces',
  'secrets',
  'modules',
  'services',
  'collections',
  'domains',
  'routes',
  'documents',
] as const;

export type KindKey = (typeof kindOrder)[number];
export type ResourceOf<K extends KindKey> = Resources[K][number];
export type AnyResource = ResourceOf<KindKey>;

export interface KindInfo {
  key: KindKey;
  /** Singular name used in messages and in the admin API path (`/api/v1/<api>`). */
  singular: string;
  /** Sorting and identity: the fields that name one resource of this kind. */
  identity: (r: AnyResource) => string[];
  /** Fields that name the resource rather than describe it: never diffed. */
  identityFields: string[];
  /** Fields DGate accepts but never returns, so a plan cannot compare them. */
  unreadable: string[];
  /** Fields whose values are secret: compared by digest, always masked. */
  sensitive: string[];
  /** Fields that are dgate-cli's own settings, not DGate's: never sent, never compared. */
  local?: string[];
  /**
   * DGate cannot delete this kind without breaking: v0.11.1's collection delete fails inside the
   * node and wedges it (test/server/dgate-quirks.test.ts). Such deletes are never sent, and
   * creating one cannot be undone.
   */
  undeletable?: boolean;
}

const byNamespaceName = (r: AnyResource): string[] =>
  'namespace' in r ? [r.namespace, (r as { name: string }).name] : [(r as { name: string }).name];

const named = {
  identity: byNamespaceName,
  identityFields: ['name', 'namespace'],
  unreadable: [] as string[],
  sensitive: [] as string[],
};

export const kinds: Record<KindKey, KindInfo> = {
  namespaces: { ...named, key: 'namespaces', singular: 'namespace' },
  // DGate never returns a secret's value; it is compared by the keyed hash dgate-cli tags it with.
  secrets: { ...named, key: 'secrets', singular: 'secret', sensitive: ['data'], local: ['keepVersions'] },
  modules: { ...named, key: 'modules', singular: 'module', unreadable: ['moduleType'] },
  services: { ...named, key: 'services', singular: 'service', unreadable: ['hideDGateHeaders', 'disableQueryParams'] },
  collections: { ...named, key: 'collections', singular: 'collection', unreadable: ['type'], undeletable: true },
  domains: { ...named, key: 'domains', singular: 'domain', sensitive: ['key'] },
  routes: { ...named, key: 'routes', singular: 'route' },
  documents: {
    key: 'documents',
    singular: 'document',
    identityFields: ['id', 'namespace', 'collection'],
    unreadable: [],
    sensitive: [],
    identity: (r) => {
      const d = r as ResourceOf<'documents'>;
      return [d.namespace, d.collection, d.id];
    },
  },
};

export function emptyResources(): Resources {
  return {
    namespaces: [],
    secrets: [],
    modules: [],
    services: [],
    collections: [],
    domains: [],
    routes: [],
    documents: [],
  };
}

/** A stable id for messages and maps: `shop/catalog`, `shop/links/home`. */
export function resourceId(kind: KindKey, r: AnyResource): string {
  return kinds[kind].identity(r).join('/');
}

/**
 * The namespace dgate-cli keeps its own records in (the apply lock, the release history). A config
 * may not declare it; plan, dump and get leave it out.
 */
export const systemNamespace = 'dgate-cli';

/** The names a user may give a kind on the command line: singular, plural and short forms. */
export function kindFromAlias(alias: string): KindKey | undefined {
  const a = alias.toLowerCase();
  const short: Record<string, KindKey> = {
    ns: 'namespaces',
    svc: 'services',
    mod: 'modules',
    rt: 'routes',
    dom: 'domains',
    col: 'collections',
    doc: 'documents',
    sec: 'secrets',
  };
  if (short[a]) return short[a];
  return kindOrder.find((k) => k === a || kinds[k].singular === a);
}

/**
 * Sorts resources of one kind by identity, in place: the order every state and diff uses. Each
 * key is made once (a comparator that made them would make 2 n log n of them).
 */
export function sortByIdentity(kind: KindKey, list: AnyResource[]): void {
  const keyed = list.map((r) => ({ key: kinds[kind].identity(r).join('\u0000'), r }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) list[i] = keyed[i]!.r;
}
