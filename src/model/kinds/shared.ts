/** Small pieces several kind files share: how tags and names are read and written. */

import { formatGoUrl } from '../go-url.js';

/** Empty tag lists are omitted: DGate drops them too, and equal must mean equal. */
export function withTags<T extends object>(
  resource: T,
  tags: readonly string[] | null | undefined,
): T & { tags?: [string, ...string[]] } {
  return tags && tags.length > 0 ? { ...resource, tags: [...tags] as [string, ...string[]] } : resource;
}

/**
 * A config tag that starts with one of these is a selector (select/tags.ts): dgate-cli's own,
 * evaluated against targets and never sent to DGate.
 */
const selectorStart = /^[#!?@]/;

/** Whether a tag, as a config writes it, is a selector rather than a plain label. */
export function isSelectorText(tag: string): boolean {
  return selectorStart.test(tag);
}

/**
 * The escape that lets a config hold any label DGate stores: a tag starting with `\` is a plain
 * label with that one backslash removed (`\#team` is the label `#team`, `\\x` the label `\x`).
 * DGate stores any string as a tag, and a label starting like a selector would otherwise be read
 * as one.
 */
const labelEscape = '\\';

/** The label a config's plain tag stands for: what compile sends to DGate. */
export function labelOf(tag: string): string {
  return tag.startsWith(labelEscape) ? tag.slice(1) : tag;
}

/** A label as a config must write it to mean that label: escaped when it starts like a selector or with `\`. */
export function tagForLabel(label: string): string {
  return isSelectorText(label) || label.startsWith(labelEscape) ? `${labelEscape}${label}` : label;
}

/** The labels a declaration's tags send to DGate (its selectors were stripped when its target was chosen). */
export function labelsOfSpec(tags: readonly string[] | undefined): string[] | undefined {
  return tags?.map(labelOf);
}

/** Tags as a config writes them: absent when there are none, each live label escaped where it must be. */
export function specTags(tags: readonly string[] | undefined): { tags?: string[] } {
  return tags && tags.length > 0 ? { tags: tags.map(tagForLabel) } : {};
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
