/** Small pieces several kind files share: how tags and names are read and written. */

import { formatGoUrl } from '../go-url.js';

/** Empty tag lists are omitted: DGate drops them too, and equal must mean equal. */
export function withTags<T extends object>(
  resource: T,
  tags: readonly string[] | null | undefined,
): T & { tags?: [string, ...string[]] } {
  return tags && tags.length > 0 ? { ...resource, tags: [...tags] as [string, ...string[]] } : resource;
}

/** Tags as a config writes them: absent when there are none. */
export function specTags(tags: readonly string[] | undefined): { tags?: string[] } {
  return tags && tags.length > 0 ? { tags: [...tags] } : {};
}

/** The identity of a resource that lives in a namespace: namespace, then name. */
export const byNamespaceName = (r: { namespace: string; name: string }): string[] => [r.namespace, r.name];

/** The fields that name a namespaced resource. */
export const namespacedIdentity = ['name', 'namespace'];

/**
 * An upstream URL as DGate stores it: DGate parses it with Go's url.Parse and returns
 * `u.String()`, which lower-cases the scheme and %-escapes what Go escapes (a space in the path
 * becomes `%20`). Compile and normalize both use this, so plans show no change that DGate would
 * undo. A URL Go cannot parse is left as written (validate refuses it, DG1106).
 */
export function normalizeUrl(url: string): string {
  return formatGoUrl(url) ?? url;
}

export const reversible = { create: false, update: false, delete: false };
