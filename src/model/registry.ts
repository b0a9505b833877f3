import type { Resources } from '../schema/generated/desired-state.js';
import { type AnyResource, type Kind, type KindKey, kindOrder, type SpecKey } from './kind.js';
import { collections } from './kinds/collections.js';
import { documents } from './kinds/documents.js';
import { domains } from './kinds/domains.js';
import { modules } from './kinds/modules.js';
import { namespaces } from './kinds/namespaces.js';
import { routes } from './kinds/routes.js';
import { secrets } from './kinds/secrets.js';
import { services } from './kinds/services.js';

export type { AnyResource, Kind, KindKey, LiveOf, ResourceOf, SpecKey, WireOf } from './kind.js';
export { kindOrder } from './kind.js';

/** Everything dgate-cli knows about a kind, by kind: the one place loops over kinds ask. */
export const kinds: Record<KindKey, Kind> = {
  namespaces,
  secrets,
  modules,
  services,
  collections,
  domains,
  routes,
  documents,
};

/**
 * The resource lists a namespace declaration holds, in the order a config (and a dump) writes
 * them. Documents are written inside their collection.
 */
export const specOrder: readonly SpecKey[] = ['services', 'modules', 'routes', 'domains', 'collections', 'secrets'];

/** The resource lists a namespace declaration holds, in apply order (each compiles into its own kind). */
export const specKinds: readonly SpecKey[] = kindOrder.filter((k): k is SpecKey => kinds[k].compiledFrom === k);

/** The kinds that live in a namespace (all but namespaces themselves). */
export const namespacedKinds = kindOrder.filter((k) => k !== 'namespaces');

export function emptyResources(): Resources {
  return Object.fromEntries(kindOrder.map((k) => [k, []])) as unknown as Resources;
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
  return kindOrder.find((k) => k === a || kinds[k].singular === a || kinds[k].short === a);
}

/**
 * Sorts resources of one kind by identity, in place: the order every state and diff uses. Each
 * key is made once (a comparator that made them would make 2 n log n of them).
 */
export function sortByIdentity(kind: KindKey, list: AnyResource[]): void {
  const identity = (r: AnyResource) => kinds[kind].identity(r);
  const keyed = list.map((r) => ({ key: identity(r).join('\u0000'), r }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) list[i] = keyed[i]!.r;
}
