import { isSelectorText } from '../model/kinds/shared.js';
import { parse, SyntaxError as PegSyntaxError } from './generated/tag-parser.js';

/**
 * A resource selector: a condition on a target's tags (DGate's roadmap syntax).
 * `from` is the ISO instant it applies from, or null for always.
 */
export type Selector =
  | { op: 'require'; tag: string; from: string | null }
  | { op: 'forbid'; tag: string; from: string | null }
  | { op: 'anyOf'; key: string; values: string[]; from: string | null }
  | { op: 'exactlyOne'; key: string; values: string[]; from: string | null };

/** A tag of a target (a DGate server or cluster). */
export type ServerTag =
  | { kind: 'plain'; tag: string }
  | { kind: 'timed'; from: string; tag: string }
  | { kind: 'canary'; percent: number; name: string };

/** Where in the tag text a parse failed (0-based), and what was expected there. */
export interface TagSyntaxError {
  offset: number;
  message: string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: TagSyntaxError };

/**
 * A resource tag is a selector when it starts with `#`, `!`, `?` or `@`; anything else is a plain
 * label (`\#team` is the label `#team`: model/kinds/shared.ts has the escape).
 */
export function isSelectorTag(tag: string): boolean {
  return isSelectorText(tag);
}

export function parseSelector(text: string): Parsed<Selector> {
  const parsed = run<Selector>(text, 'ResourceSelector');
  if (!parsed.ok) return parsed;
  const checked = checkInstant(parsed.value.from, text);
  if (checked) return { ok: false, error: checked };
  if (parsed.value.op === 'anyOf' || parsed.value.op === 'exactlyOne') {
    const seen = new Set<string>();
    let offset = text.indexOf(':', text.indexOf('?')) + 1;
    for (const value of parsed.value.values) {
      if (seen.has(value)) return { ok: false, error: { offset, message: `value '${value}' is listed twice` } };
      seen.add(value);
      offset += value.length + 1;
    }
  }
  return parsed;
}

export function parseServerTag(text: string): Parsed<ServerTag> {
  const parsed = run<ServerTag>(text, 'ServerTag');
  if (!parsed.ok) return parsed;
  const tag = parsed.value;
  if (tag.kind === 'timed') {
    const checked = checkInstant(tag.from, text);
    if (checked) return { ok: false, error: checked };
  }
  if (tag.kind === 'canary' && !(tag.percent > 0 && tag.percent <= 100)) {
    return {
      ok: false,
      error: {
        offset: 'canary@'.length,
        message: `a canary share must be more than 0% and at most 100%, not ${tag.percent}%`,
      },
    };
  }
  return parsed;
}

/** The milliseconds since the epoch of an instant the grammar accepted. */
export function instantOf(stamp: string): number {
  return Date.parse(stamp);
}

/** The grammar checks the shape of a timestamp; this checks that it names a real instant. */
function checkInstant(stamp: string | null, text: string): TagSyntaxError | undefined {
  if (stamp === null) return undefined;
  const [date, time] = stamp.toUpperCase().split('T') as [string, string];
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi, s] = time.slice(0, 8).split(':').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, mo - 1, d));
  const realDate = day.getUTCFullYear() === y && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
  if (!realDate || h > 23 || mi > 59 || s > 60 || Number.isNaN(Date.parse(stamp))) {
    return { offset: text.indexOf('(') + 1, message: `'${stamp}' is not a real date and time` };
  }
  return undefined;
}

function run<T>(text: string, startRule: 'ResourceSelector' | 'ServerTag'): Parsed<T> {
  try {
    return { ok: true, value: parse(text, { startRule }) as T };
  } catch (err) {
    if (err instanceof PegSyntaxError) {
      const e = err as unknown as { message: string; location: { start: { offset: number } } };
      return { ok: false, error: { offset: e.location.start.offset, message: e.message } };
    }
    throw err;
  }
}

/** A selector written back in its source form, for messages. */
export function selectorText(s: Selector): string {
  const when = s.from ? `@(${s.from})` : '';
  switch (s.op) {
    case 'require':
      return `${when}#${s.tag}`;
    case 'forbid':
      return `${when}!${s.tag}`;
    case 'anyOf':
      return `${when}?${s.key}:${s.values.join(',')}`;
    case 'exactlyOne':
      return `${when}?*${s.key}:${s.values.join(',')}`;
  }
}
