import { kindOrder, kinds, sortByIdentity, type AnyResource } from '../model/registry.js';
import type { LiveRead } from '../model/api-types.js';
import type { LiveResources } from '../state/live-state.js';

export { secretHashTagPrefix } from '../model/kinds/secrets.js';

/**
 * Turns what the admin API returned into the canonical form `compile` produces, so that equal
 * means equal: each kind's `normalize` (model/kinds/) writes defaults out, drops empty tags and
 * reduces sensitive values to digests; then everything is sorted as compile sorts it. Pure.
 */
export function normalizeLive(read: LiveRead): LiveResources {
  const out = {} as Record<string, AnyResource[]>;
  for (const kind of kindOrder) {
    const list = (read[kind] as unknown[]).map((wire) => kinds[kind].normalize(wire as never) as AnyResource);
    sortByIdentity(kind, list);
    out[kind] = list;
  }
  return out as unknown as LiveResources;
}
