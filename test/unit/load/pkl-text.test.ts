import { describe, expect, it } from 'vitest';
import { freeFormDefaultMembers, withoutCommentsAndStrings } from '../../../src/load/pkl-text.js';

const found = (text: string) =>
  freeFormDefaultMembers('f.pkl', text).map(
    (d) => `${d.location!.line}:${d.location!.col} ${d.message.split(' is ')[0]}`,
  );

describe('freeFormDefaultMembers', () => {
  it('finds `default` members inside free-form JSON blocks, however the block is opened', () => {
    const text = [
      'schema {', //                                  1
      '  properties { n { default = 1 } }', //          2
      '}',
      'data = new Dynamic { `default` { "x" } }', //  4
      'with = new { default=2 }', //                  5
      'parameters { properties { p { type = "string"; default = "a" } } }', // 6
    ].join('\n');
    expect(found(text)).toEqual([
      "2:20 'default' inside schema.properties.n",
      "4:22 '`default`' inside data",
      "5:14 'default' inside with",
      "6:48 'default' inside parameters.properties.p",
    ]);
  });

  it("leaves alone Pkl's default member elsewhere, entries, and the word in strings and comments", () => {
    const text = [
      'routes { default { stripPath = true } }',
      'schema {',
      '  ["default"] = 1',
      '  description = "default = 2" // default = 3',
      '  /* default { } */ defaults = 4',
      '  x = my.default',
      '}',
    ].join('\n');
    expect(found(text)).toEqual([]);
  });

  it('stops looking when the free-form block closes', () => {
    expect(found('schema { a = 1 }\nroutes { default { stripPath = true } }')).toEqual([]);
  });
});

describe('withoutCommentsAndStrings', () => {
  it("blanks comments and strings of every kind, keeping each character's place", () => {
    const text = 'a = "x // y" // c\n/* b\n c */ d = #"raw "q""# + """\nmulti\n"""\ne = 1';
    const out = withoutCommentsAndStrings(text);
    expect(out.length).toBe(text.length);
    expect(out.split('\n').length).toBe(text.split('\n').length);
    expect(out.replace(/\s+/g, ' ').trim()).toBe('a = d = + e = 1');
  });

  it('blanks a nested block comment whole, up to the */ that closes the outer one', () => {
    const text = 'a = 1\n/* outer /* inner */ still = comment */ b = 2';
    const out = withoutCommentsAndStrings(text);
    expect(out.length).toBe(text.length);
    expect(out.replace(/\s+/g, ' ').trim()).toBe('a = 1 b = 2');
  });

  it('blanks a string whole when its interpolation holds quotes, parentheses and comment markers', () => {
    // Each string below is what `pkl eval` reads as one literal (checked with pkl 0.28).
    const text = [
      String.raw`a = "x \(List("a)", "/*").join("")) y" // c`,
      String.raw`b = #"raw \#("q" + ")") \(not) "#`,
      'c = """',
      String.raw`  m \("\"\"\"" + "*/") n`,
      '  """',
      String.raw`d = "\(f(/* ) " */ 1)) //"`,
      'e = 5',
    ].join('\n');
    const out = withoutCommentsAndStrings(text);
    expect(out.length).toBe(text.length);
    expect(out.split('\n').length).toBe(text.split('\n').length);
    expect(out.replace(/\s+/g, ' ').trim()).toBe('a = b = c = d = e = 5');
  });
});

describe('freeFormDefaultMembers past what the lexer skips', () => {
  it('sees past a nested comment and an interpolation that holds a brace, a quote and //', () => {
    const text = [
      '/* schema { /* } */ default = 0 } */',
      'schema {',
      String.raw`  description = "\(if (x) "}\"" else "//") {"`,
      '  n { default = 1 }',
      '}',
      'routes { default { stripPath = true } }',
    ].join('\n');
    expect(found(text)).toEqual(["4:7 'default' inside schema.n"]);
  });
});
