/**
 * Points a JSON path of a Pkl module's output back into the module's text, so that a problem
 * found after evaluation (a duplicate name, a route naming a missing service) is reported at the
 * `file:line:col` the user wrote. Pkl has no source map for rendered values, so this follows the
 * text: a property is found as `name =` or `name {` inside the block of its parent, and a list
 * element as the block that sets its `name` (or `id`) to the element's value, else by counting
 * the `new { }` blocks of the listing. What is computed (an element stamped out by a function)
 * falls back to the nearest enclosing place written in the text, as YAML falls back to the
 * deepest node that exists.
 */

import { type PklToken, scanPkl } from './scan-pkl.js';

export interface TextPosition {
  line: number;
  col: number;
}

/** A run of tokens: the inside of a block (`{` ... `}`), or a whole module. */
interface Region {
  start: number;
  end: number;
  depth: number;
}

function blockAt(tokens: PklToken[], open: number): Region {
  const depth = tokens[open]!.depth + 1;
  let k = open + 1;
  while (k < tokens.length && !(tokens[k]!.text === '}' && tokens[k]!.depth === depth)) k++;
  return { start: open + 1, end: k, depth };
}

/** The token index of `name =` or `name {` written directly in the region. */
function findMember(tokens: PklToken[], region: Region, name: string): number {
  for (let k = region.start; k < region.end; k++) {
    const t = tokens[k]!;
    if (t.depth !== region.depth || t.kind !== 'ident' || t.text !== name) continue;
    const next = tokens[k + 1];
    const previous = tokens[k - 1];
    if (previous && previous.text === '.') continue;
    if (next && (next.text === '=' || next.text === '{')) return k;
  }
  return -1;
}

/** The first `{` that opens a block at the given depth, from `from` on, before the region ends. */
function nextBlock(tokens: PklToken[], from: number, region: Region): number {
  for (let k = from; k < region.end; k++) {
    const t = tokens[k]!;
    if (t.depth === region.depth && t.text === '{') return k;
    if (t.depth === region.depth && t.kind === 'ident' && tokens[k + 1]?.text === '=' && k > from) return -1;
  }
  return -1;
}

/** The blocks written as direct elements of a listing region (`new { }`, `new Type { }`). */
function elementBlocks(tokens: PklToken[], region: Region): number[] {
  const out: number[] = [];
  for (let k = region.start; k < region.end; k++) {
    const t = tokens[k]!;
    if (t.depth !== region.depth || t.text !== 'new') continue;
    const open = nextBlock(tokens, k + 1, region);
    if (open >= 0) out.push(open);
  }
  return out;
}

/** Where the element block opening at `open` starts: its `new` keyword, or the brace. */
function elementStart(tokens: PklToken[], open: number, region: Region): number {
  for (let k = open - 1; k >= region.start && k >= open - 4; k--) {
    if (tokens[k]!.text === 'new' && tokens[k]!.depth === tokens[open]!.depth) return k;
  }
  return open;
}

/** The innermost block of the region that contains token `at`, as the `{` index. */
function enclosingBlock(tokens: PklToken[], at: number, region: Region): number {
  let depth = tokens[at]!.depth;
  for (let k = at - 1; k >= region.start; k--) {
    const t = tokens[k]!;
    if (t.text === '{' && t.depth === depth - 1) {
      if (t.depth === region.depth) return k;
      depth = t.depth;
    }
  }
  return -1;
}

function identity(item: unknown): { field: string; value: string } | undefined {
  if (!item || typeof item !== 'object') return undefined;
  for (const field of ['name', 'id']) {
    const v = (item as Record<string, unknown>)[field];
    if (typeof v === 'string') return { field, value: v };
  }
  return undefined;
}

/**
 * The position in `text` (a Pkl module) of the value at `path` in `value` (its rendered
 * output), or of the property name with `key`. Falls back to the deepest part of the path
 * written in the text, and to the module's first line.
 */
export function locateInPkl(
  text: string,
  value: unknown,
  path: readonly (string | number)[],
  opts: { key?: boolean } = {},
): TextPosition {
  const { tokens } = scanPkl(text);
  let region: Region = { start: 0, end: tokens.length, depth: 0 };
  let best: PklToken | undefined;
  let current: unknown = value;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i]!;
    const last = i === path.length - 1;
    if (typeof segment === 'string') {
      const at = findMember(tokens, region, segment);
      if (at < 0) break;
      const op = tokens[at + 1]!;
      best = tokens[at];
      current = (current as Record<string, unknown> | null)?.[segment];
      if (last && opts.key) break;
      if (op.text === '{') {
        region = blockAt(tokens, at + 1);
        continue;
      }
      const valueToken = tokens[at + 2];
      if (!valueToken) break;
      if (!last || !opts.key) best = valueToken;
      const open = valueToken.text === 'new' ? nextBlock(tokens, at + 2, region) : -1;
      if (open < 0) {
        // A plain value (or an expression): nothing inside it to descend into.
        region = { start: at + 2, end: at + 2, depth: region.depth };
        continue;
      }
      region = blockAt(tokens, open);
      continue;
    }
    const items = Array.isArray(current) ? current : undefined;
    const item = items?.[segment];
    current = item;
    const id = identity(item);
    let open = -1;
    if (id) {
      for (let k = region.start; k < region.end - 2; k++) {
        const t = tokens[k]!;
        if (
          t.kind === 'ident' &&
          t.text === id.field &&
          tokens[k + 1]!.text === '=' &&
          tokens[k + 2]!.kind === 'string' &&
          tokens[k + 2]!.value === id.value
        ) {
          open = enclosingBlock(tokens, k, region);
          if (open >= 0) break;
        }
      }
    }
    if (open < 0) {
      const blocks = elementBlocks(tokens, region);
      // Counting blocks is right only when every element is written as one (or nothing is known).
      if (!items || blocks.length === items.length) open = blocks[segment] ?? -1;
    }
    if (open < 0) break;
    best = tokens[elementStart(tokens, open, region)];
    region = blockAt(tokens, open);
  }
  return best ? { line: best.line, col: best.col } : { line: 1, col: 1 };
}

/**
 * Where a module sets the property `name` at its top level (`name = ...`, `name { ... }`), not
 * inside any object or class; undefined when it does not. A `local` member of that name is the
 * module's own, not the property, and a name inside parentheses (`let (name = ...)`) is a binding.
 */
export function topLevelMember(text: string, name: string): TextPosition | undefined {
  const { tokens } = scanPkl(text);
  const found = tokens.find((t, k) => {
    if (t.depth !== 0 || t.kind !== 'ident' || t.text !== name) return false;
    const next = tokens[k + 1];
    const previous = tokens[k - 1];
    if (!next || (next.text !== '=' && next.text !== '{')) return false;
    return !previous || previous.line < t.line || previous.text === ';' || previous.text === '}';
  });
  return found ? { line: found.line, col: found.col } : undefined;
}

/** The module a module amends or extends, as its header writes it (`amends "base.pkl"`); undefined when it does neither. */
export function parentModuleOf(text: string): { keyword: 'amends' | 'extends'; uri: string } | undefined {
  const { tokens } = scanPkl(text);
  for (let k = 0; k + 1 < tokens.length; k++) {
    const t = tokens[k]!;
    const uri = tokens[k + 1]!;
    if (
      t.depth === 0 &&
      t.kind === 'ident' &&
      (t.text === 'amends' || t.text === 'extends') &&
      uri.kind === 'string' &&
      uri.value !== undefined
    ) {
      return { keyword: t.text, uri: uri.value };
    }
  }
  return undefined;
}
