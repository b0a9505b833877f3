import { instantOf, selectorText, type Selector, type ServerTag } from './tags.js';

/** One selector's verdict on one target, with the reason in words (for `explain` and errors). */
export interface Verdict {
  selector: string;
  ok: boolean;
  reason: string;
}

/** The tags a target has at an instant: its plain tags, and its time tags that have taken effect. */
export function activeTags(tags: readonly ServerTag[], at: number): Set<string> {
  const active = new Set<string>();
  for (const t of tags) {
    if (t.kind === 'plain') active.add(t.tag);
    else if (t.kind === 'timed' && instantOf(t.from) <= at) active.add(t.tag);
  }
  return active;
}

/**
 * Whether a target with the `active` tags satisfies one selector at `at`. A time-qualified
 * selector does not apply before its instant (it is satisfied), and applies from it on.
 */
export function evaluateSelector(selector: Selector, active: ReadonlySet<string>, at: number): Verdict {
  const text = selectorText(selector);
  if (selector.from !== null && at < instantOf(selector.from)) {
    return { selector: text, ok: true, reason: `not in force until ${selector.from}` };
  }
  switch (selector.op) {
    case 'require':
      return active.has(selector.tag)
        ? { selector: text, ok: true, reason: `has ${selector.tag}` }
        : { selector: text, ok: false, reason: `does not have ${selector.tag}` };
    case 'forbid':
      return active.has(selector.tag)
        ? { selector: text, ok: false, reason: `has ${selector.tag}` }
        : { selector: text, ok: true, reason: `does not have ${selector.tag}` };
    case 'anyOf':
    case 'exactlyOne': {
      const wanted = selector.values.map((v) => `${selector.key}:${v}`);
      const has = wanted.filter((t) => active.has(t));
      if (selector.op === 'anyOf') {
        return has.length > 0
          ? { selector: text, ok: true, reason: `has ${has.join(', ')}` }
          : { selector: text, ok: false, reason: `has none of ${wanted.join(', ')}` };
      }
      if (has.length === 1) return { selector: text, ok: true, reason: `has exactly one of them: ${has[0]}` };
      return has.length === 0
        ? { selector: text, ok: false, reason: `has none of ${wanted.join(', ')}` }
        : { selector: text, ok: false, reason: `has ${has.length} of them (${has.join(', ')}), not exactly one` };
    }
  }
}

/** Every selector must hold. An empty list selects every target. */
export function evaluateSelectors(
  selectors: readonly Selector[],
  tags: readonly ServerTag[],
  at: number,
): { selected: boolean; verdicts: Verdict[] } {
  const active = activeTags(tags, at);
  const verdicts = selectors.map((s) => evaluateSelector(s, active, at));
  return { selected: verdicts.every((v) => v.ok), verdicts };
}

/** The instants at which a verdict over these selectors and tags can change, ascending, de-duplicated. */
export function changeInstants(selectors: readonly Selector[], tags: readonly ServerTag[]): number[] {
  const out = new Set<number>();
  for (const s of selectors) if (s.from !== null) out.add(instantOf(s.from));
  for (const t of tags) if (t.kind === 'timed') out.add(instantOf(t.from));
  return [...out].sort((a, b) => a - b);
}
