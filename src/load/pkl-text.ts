import type { Diagnostic } from '../errors/dgate-error.js';
import { scanPkl } from './scan-pkl.js';

/**
 * Pkl text with comments and string literals blanked out (same length, same line breaks), as
 * scanPkl reads them: nested block comments, raw and multi-line strings, and interpolations with
 * strings and comment markers of their own are blanked whole.
 */
export function withoutCommentsAndStrings(text: string): string {
  const { tokens, comments } = scanPkl(text);
  const spans = [...comments, ...tokens.filter((t) => t.kind === 'string')].sort((a, b) => a.offset - b.offset);
  let out = '';
  let at = 0;
  for (const span of spans) {
    out += text.slice(at, span.offset) + text.slice(span.offset, span.end).replace(/[^\n]/g, ' ');
    at = span.end;
  }
  return out + text.slice(at);
}

/**
 * The properties of the dgate schemas that hold free-form JSON (Pkl `Dynamic`): a collection's
 * `schema`, a document's `data`, a bundle use's `with`, a bundle's `parameters`.
 */
export const freeFormProperties = ['schema', 'data', 'with', 'parameters'] as const;

/**
 * `default` written as a member (`default = 1`, `` `default` { ... } ``) inside a block of free-form
 * JSON. In a Pkl object that is Pkl's own member (the template for new elements), never rendered,
 * so a JSON Schema `default` written that way vanishes without a word. `["default"] = ...` is the
 * key. Elsewhere (`routes { default { ... } }`) the member is ordinary Pkl and is left alone.
 */
export function freeFormDefaultMembers(
  file: string,
  source: string,
  blocks: readonly string[] = freeFormProperties,
): Diagnostic[] {
  const text = withoutCommentsAndStrings(source);
  const out: Diagnostic[] = [];
  // The name of each open block: `schema {`, `schema = new Dynamic {`, `new {` (no name).
  const open: string[] = [];
  const member = /`?default`?\s*(=|\{)/y;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{') {
      open.push(blockName(text, i));
      continue;
    }
    if (ch === '}') {
      open.pop();
      continue;
    }
    if ((ch !== 'd' && ch !== '`') || !/[\s{;]/.test(text[i - 1] ?? '\n')) continue;
    member.lastIndex = i;
    const m = member.exec(text);
    if (!m || !open.some((name) => blocks.includes(name))) continue;
    const before = text.slice(0, i);
    out.push({
      code: 'DG1612',
      severity: 'error',
      message: `'${m[0].replace(/\s*(=|\{)$/, '')}' inside ${open.filter((n) => n).join('.')} is Pkl's own default member, not a JSON key: its value would be dropped`,
      location: { file, line: before.split('\n').length, col: i - before.lastIndexOf('\n') },
      hint: `write the key as an entry: ["default"] ${m[1] === '=' ? '= value' : '{ ... }'}`,
    });
  }
  return out;
}

/** The property a `{` at `at` opens: the identifier before it, past `= new Type`. */
function blockName(text: string, at: number): string {
  const before = text.slice(Math.max(0, at - 200), at);
  const m = /(`?[A-Za-z_$][\w$]*`?)\s*(?:=\s*new(?:\s+[A-Za-z_$][\w$.]*)?\s*)?$/.exec(before);
  if (!m) return '';
  const name = m[1]!.replace(/`/g, '');
  return name === 'new' || /^[A-Z]/.test(name) ? '' : name;
}
