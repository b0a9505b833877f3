import { describe, expect, it } from 'vitest';
import { printableName, printableText } from '../../../src/report/printable.js';

describe('printable', () => {
  it('leaves ordinary names alone, unicode included', () => {
    expect(printableName('catalog-v2.ünïcödé')).toBe('catalog-v2.ünïcödé');
  });

  it('quotes a name holding anything a terminal acts on, with those characters escaped as JSON does', () => {
    expect(printableName('\u001b[31mred')).toBe('"\\u001b[31mred"');
    expect(printableName('\u009b2J')).toBe('"\\u009b2J"');
    expect(printableName('a\nb\t"c"')).toBe('"a\\u000ab\\u0009\\"c\\""');
    // A right-to-left override shows a name other than the real one.
    expect(printableName('abc\u202egpj.exe')).toBe('"abc\\u202egpj.exe"');
  });

  it('keeps the layout of multi-line text and escapes only the controls', () => {
    expect(printableText('line 1\n\tline 2 \u001b[2J\u007f')).toBe('line 1\n\tline 2 \\u001b[2J\\u007f');
  });
});
