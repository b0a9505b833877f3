import { describe, expect, it } from 'vitest';
import { scanPkl } from '../../../src/load/scan-pkl.js';

const shown = (text: string) =>
  scanPkl(text).tokens.map((t) => (t.kind === 'string' ? `"${t.value ?? '(interpolated)'}"` : t.text));

describe('scanPkl', () => {
  it('gives identifiers, whole strings and single characters, with line, col and brace depth', () => {
    const { tokens } = scanPkl('a {\n  `b c` = "x"\n}');
    expect(tokens.map(({ kind, text, line, col, depth }) => [kind, text, line, col, depth])).toEqual([
      ['ident', 'a', 1, 1, 0],
      ['punct', '{', 1, 3, 0],
      ['ident', 'b c', 2, 3, 1],
      ['punct', '=', 2, 9, 1],
      ['string', '"', 2, 11, 1],
      ['punct', '}', 3, 1, 1],
    ]);
  });

  it('skips nested block comments whole and reports them apart', () => {
    const text = '/* a /* b */ c = 1 */ d = 2 // e\nf';
    const { tokens, comments } = scanPkl(text);
    expect(tokens.map((t) => t.text)).toEqual(['d', '=', '2', 'f']);
    expect(comments.map((c) => text.slice(c.offset, c.end))).toEqual(['/* a /* b */ c = 1 */', '// e']);
  });

  it('reads string values and their escapes, raw strings and multi-line strings', () => {
    expect(shown(String.raw`a = "x\ty\"\u{1F600}"`)).toEqual(['a', '=', '"x\ty"😀"']);
    expect(shown(String.raw`a = #"x\n "q" \#t"#`)).toEqual(['a', '=', '"x\\n "q" \t"']);
    expect(shown('a = """\n  one " two\n  """ b')).toEqual(['a', '=', '"\n  one " two\n  "', 'b']);
  });

  it('takes an interpolation as part of its string, whatever quotes, parentheses or comment markers it holds', () => {
    const text = String.raw`a = "x \(List("a)", "/*", #")"#).join("")) y" b = "\(f(/* ) " */ 1)) //" c`;
    expect(shown(text)).toEqual(['a', '=', '"(interpolated)"', 'b', '=', '"(interpolated)"', 'c']);
    // A raw string interpolates only with its own number of #.
    expect(shown(String.raw`a = #"\(x) \#("q)")"# b`)).toEqual(['a', '=', '"(interpolated)"', 'b']);
    expect(shown(String.raw`a = #"\(x)"# b`)).toEqual(['a', '=', '"\\(x)"', 'b']);
  });

  it('ends an unterminated single-line string at its line, and an unclosed comment at the end', () => {
    expect(shown('a = "open\nb = 1 /* never closed')).toEqual(['a', '=', '"open"', 'b', '=', '1']);
  });
});
