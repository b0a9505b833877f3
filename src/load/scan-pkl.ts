/**
 * The one Pkl lexer of dgate-cli: it splits a module's text into the tokens the text-level checks
 * need (load/locate-pkl.ts, load/pkl-text.ts), and nothing more. Pkl itself evaluates modules;
 * this only has to agree with it on what is code, what is a comment and what is a string:
 * block comments nest, a string may be raw (`#"…"#`, any number of `#`) or multi-line (`"""`),
 * and an interpolation (`\(…)`, `\#(…)` in a raw string) holds code, strings and parentheses of
 * its own.
 */

export type PklTokenKind = 'ident' | 'string' | 'punct' | 'other';

/** One token: an identifier, a whole string literal, or a single character of code. */
export interface PklToken {
  kind: PklTokenKind;
  /** The identifier (without backquotes), `"` for a string literal, or the character. */
  text: string;
  /** The value of a string literal without interpolation; undefined for one with. */
  value?: string;
  /** Where the token starts and ends in the text (UTF-16 offsets, end exclusive). */
  offset: number;
  end: number;
  line: number;
  col: number;
  /** Brace depth before this token. */
  depth: number;
}

/** A stretch of text: a comment, as scanPkl reports them. */
export interface PklSpan {
  offset: number;
  end: number;
}

/** A module's tokens, with its comments apart (no token stands for a comment). */
export interface PklScan {
  tokens: PklToken[];
  comments: PklSpan[];
}

const identStart = /[A-Za-z_$]/;
const identPart = /[A-Za-z0-9_$]/;
const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r' };

/** Splits Pkl source into tokens, skipping white space and comments and taking each string literal whole. */
export function scanPkl(text: string): PklScan {
  const tokens: PklToken[] = [];
  const comments: PklSpan[] = [];
  const lineStarts = [0];
  for (let k = text.indexOf('\n'); k >= 0; k = text.indexOf('\n', k + 1)) lineStarts.push(k + 1);
  let line = 1;
  const positionOf = (offset: number): { line: number; col: number } => {
    // Tokens come in order, so the line only moves forward.
    while (line < lineStarts.length && lineStarts[line]! <= offset) line++;
    return { line, col: offset - lineStarts[line - 1]! + 1 };
  };

  /** The end of a block comment opening at `i` (they nest), or of the text. */
  const blockCommentEnd = (i: number): number => {
    let nest = 0;
    while (i < text.length) {
      if (text.startsWith('/*', i)) {
        nest++;
        i += 2;
      } else if (text.startsWith('*/', i)) {
        nest--;
        i += 2;
        if (nest === 0) return i;
      } else i++;
    }
    return text.length;
  };

  /** Where a comment at `i` ends, or -1 when none starts there. */
  const commentEnd = (i: number): number => {
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      return nl < 0 ? text.length : nl;
    }
    if (text.startsWith('/*', i)) return blockCommentEnd(i);
    return -1;
  };

  /**
   * The string literal at `i` (after any `#`): where it ends, and its value when it has no
   * interpolation. An unterminated single-line string ends at the end of its line.
   */
  const stringAt = (i: number): { end: number; value: string | undefined } => {
    let pounds = 0;
    while (text[i + pounds] === '#') pounds++;
    const multi = text.startsWith('"""', i + pounds);
    const hashes = '#'.repeat(pounds);
    const close = (multi ? '"""' : '"') + hashes;
    const escapeMark = `\\${hashes}`;
    let k = i + pounds + (multi ? 3 : 1);
    let value: string | undefined = '';
    while (k < text.length && !text.startsWith(close, k)) {
      if (text.startsWith(escapeMark, k)) {
        k += escapeMark.length;
        const c = text[k];
        if (c === '(') {
          value = undefined;
          k = codeEnd(k + 1);
          // codeEnd stops at the `)` that closes the interpolation.
          if (text[k] === ')') k++;
          continue;
        }
        if (c === 'u' && text[k + 1] === '{') {
          const closeBrace = text.indexOf('}', k);
          const code = closeBrace < 0 ? Number.NaN : Number.parseInt(text.slice(k + 2, closeBrace), 16);
          if (value !== undefined && Number.isInteger(code) && code <= 0x10ffff) {
            value += String.fromCodePoint(code);
            k = closeBrace + 1;
            continue;
          }
        }
        if (value !== undefined && c !== undefined) value += escapes[c] ?? c;
        k++;
        continue;
      }
      if (!multi && text[k] === '\n') return { end: k, value };
      if (value !== undefined) value += text[k];
      k++;
    }
    return { end: Math.min(text.length, k + close.length), value };
  };

  /** Whether a string literal starts at `i`: `"`, or `#`s then `"`. */
  const stringStarts = (i: number): boolean => {
    let k = i;
    while (text[k] === '#') k++;
    return text[k] === '"';
  };

  /**
   * Skips the code of an interpolation from `i` to the `)` that closes it (returned), stepping
   * over its strings, comments and parentheses; the end of the text when it is not closed.
   */
  function codeEnd(i: number): number {
    let parens = 0;
    while (i < text.length) {
      const ch = text[i]!;
      const comment = commentEnd(i);
      if (comment >= 0) i = comment;
      else if (stringStarts(i)) i = stringAt(i).end;
      else if (ch === '(') {
        parens++;
        i++;
      } else if (ch === ')') {
        if (parens === 0) return i;
        parens--;
        i++;
      } else i++;
    }
    return i;
  }

  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || /\s/.test(ch)) {
      i++;
      continue;
    }
    const comment = commentEnd(i);
    if (comment >= 0) {
      comments.push({ offset: i, end: comment });
      i = comment;
      continue;
    }
    const at = { offset: i, ...positionOf(i), depth };
    if (stringStarts(i)) {
      const { end, value } = stringAt(i);
      tokens.push({ kind: 'string', text: '"', value, ...at, end });
      i = end;
      continue;
    }
    if (ch === '`') {
      const close = text.indexOf('`', i + 1);
      const end = close < 0 ? text.length : close + 1;
      tokens.push({ kind: 'ident', text: text.slice(i + 1, close < 0 ? end : close), ...at, end });
      i = end;
      continue;
    }
    if (identStart.test(ch)) {
      let end = i + 1;
      while (end < text.length && identPart.test(text[end]!)) end++;
      tokens.push({ kind: 'ident', text: text.slice(i, end), ...at, end });
      i = end;
      continue;
    }
    if (ch === '{') depth++;
    if (ch === '}') depth = Math.max(0, depth - 1);
    tokens.push({ kind: ch === '{' || ch === '}' || ch === '=' ? 'punct' : 'other', text: ch, ...at, end: i + 1 });
    i++;
  }
  return { tokens, comments };
}
