import type { Document, Node } from 'yaml';
import { positionedYaml } from './positioned-yaml.js';

/**
 * How many values aliases may add to one YAML document. An alias repeats its whole anchored
 * value, so anchors that alias each other multiply: ten levels of nine aliases ("billion laughs")
 * parse into a few kilobytes that compile would write out as gigabytes. Repeating a template
 * across a few hundred resources stays far below this.
 */
export const MAX_ALIAS_EXPANSION = 100_000;

/** Why a document's aliases are refused. */
export type AliasProblem = { kind: 'too-many' } | { kind: 'cycle' | 'unknown'; anchor: string };

/**
 * Whether `text` can hold an alias at all: one needs an anchor (`&name`) and a reference
 * (`*name`). Most configs have neither, and skip the walk.
 */
export function mayHaveAliases(text: string): boolean {
  return text.includes('&') && text.includes('*');
}

/**
 * The problem with the aliases of a value parsed by js-yaml, if any. js-yaml gives every use of
 * an anchor the same object, so the value is a graph: a second arrival at an object is an alias,
 * and it adds that object's expanded size. A value that contains itself is a cycle.
 */
export function aliasProblemInValue(value: unknown): AliasProblem | undefined {
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  let added = 0;
  const expandedSize = (node: unknown): number => {
    if (node === null || typeof node !== 'object') return 1;
    const known = sizes.get(node);
    if (known !== undefined) {
      added += known;
      if (added > MAX_ALIAS_EXPANSION) throw new AliasRefusal({ kind: 'too-many' }, 0);
      return known;
    }
    // js-yaml keeps no anchor names; the positioned walk names the anchor.
    if (open.has(node)) throw new AliasRefusal({ kind: 'cycle', anchor: '' }, 0);
    open.add(node);
    let size = 1;
    for (const child of Array.isArray(node) ? node : Object.values(node)) size += expandedSize(child);
    open.delete(node);
    sizes.set(node, size);
    return size;
  };
  try {
    expandedSize(value);
    return undefined;
  } catch (thrown) {
    if (thrown instanceof AliasRefusal) return thrown.problem;
    throw thrown;
  }
}

/**
 * The alias at which a positioned document's aliases go wrong, walking in document order: the
 * one that takes the added values past the limit, the one inside the value it refers to, or one
 * with no anchor before it (which the `yaml` package parses without an error).
 * Counts as aliasProblemInValue does, so it finds the alias that one refused.
 */
export function aliasProblemInDocument(doc: Document.Parsed): { problem: AliasProblem; offset: number } | undefined {
  const { isAlias, isMap, isPair, isScalar, isSeq } = positionedYaml();
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let added = 0;
  const expandedSize = (node: unknown): number => {
    if (isAlias(node)) {
      const target = anchors.get(node.source);
      if (!target) throw new AliasRefusal({ kind: 'unknown', anchor: node.source }, node.range?.[0] ?? 0);
      if (open.has(target)) throw new AliasRefusal({ kind: 'cycle', anchor: node.source }, node.range?.[0] ?? 0);
      // js-yaml copies an aliased scalar, which adds nothing to the graph the other walk counts.
      if (!isMap(target) && !isSeq(target)) return 1;
      const size = sizes.get(target) ?? 1;
      added += size;
      if (added > MAX_ALIAS_EXPANSION) throw new AliasRefusal({ kind: 'too-many' }, node.range?.[0] ?? 0);
      return size;
    }
    if (!isMap(node) && !isSeq(node)) {
      if (isScalar(node) && node.anchor) anchors.set(node.anchor, node);
      return 1;
    }
    // An anchor names its node from where it starts, so an alias inside it refers to it.
    if (node.anchor) anchors.set(node.anchor, node);
    open.add(node);
    let size = 1;
    for (const item of node.items) {
      if (isPair(item)) {
        if (isScalar(item.key) && item.key.anchor) anchors.set(item.key.anchor, item.key);
        size += expandedSize(item.value);
      } else {
        size += expandedSize(item);
      }
    }
    open.delete(node);
    sizes.set(node, size);
    return size;
  };
  try {
    expandedSize(doc.contents);
    return undefined;
  } catch (thrown) {
    if (thrown instanceof AliasRefusal) return { problem: thrown.problem, offset: thrown.offset };
    throw thrown;
  }
}

/** Ends a walk at the first problem; `offset` is the alias's place in the text, when known. */
class AliasRefusal {
  constructor(
    readonly problem: AliasProblem,
    readonly offset: number,
  ) {}
}
