/** Small pieces several kind files share: how tags and names are read and written. */

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

/** Go's url.String() lower-cases the scheme; doing the same keeps plans free of spurious changes. */
export function normalizeUrl(url: string): string {
  return url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, (scheme) => scheme.toLowerCase());
}

export const reversible = { create: false, update: false, delete: false };
