import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, contentVersion, sameJson } from '../../../src/state/canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('writes what JSON.stringify writes, with sorted keys', () => {
    const value = { s: 'q"uote\\n\u2028', n: -1.5e-7, t: true, u: undefined, arr: [undefined, 'x'], e: {}, ea: [] };
    expect(canonicalJson(value)).toBe(
      JSON.stringify({ arr: [null, 'x'], e: {}, ea: [], n: -1.5e-7, s: 'q"uote\\n\u2028', t: true }),
    );
  });

  it('pretty-prints the same data when asked', () => {
    expect(JSON.parse(canonicalJson({ b: 1, a: 2 }, 2))).toEqual({ a: 2, b: 1 });
    expect(canonicalJson({ b: 1, a: 2 }, 2)).toBe('{\n  "a": 2,\n  "b": 1\n}');
  });

  it('gives equal versions for equal data in any key order', () => {
    expect(contentVersion({ a: 1, b: [1, 2] })).toBe(contentVersion({ b: [1, 2], a: 1 }));
    expect(contentVersion({ a: 1 })).not.toBe(contentVersion({ a: 2 }));
  });
});

describe('sameJson', () => {
  // JSON-like values with the awkward parts: undefined (in objects and arrays), null, -0, NaN,
  // shuffled keys, and small vocabularies so that equal values come up often.
  const leaf = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.boolean(),
    fc.constantFrom(0, -0, 1, 1.5, Number.NaN, Infinity),
    fc.constantFrom('', 'a', 'b'),
  );
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      leaf,
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b', 'c'), tie('value'), { maxKeys: 3 }),
    ),
  }));
  /** The same value with every object's keys in another order. */
  const reordered = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(reordered);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .reverse()
          .map(([k, x]) => [k, reordered(x)]),
      );
    return v;
  };

  it('says exactly what comparing canonical JSON says', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(sameJson(a, b)).toBe(canonicalJson(a) === canonicalJson(b));
        expect(sameJson(a, reordered(a))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('treats a property set to undefined as absent, and undefined in an array as null', () => {
    expect(sameJson({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameJson({ a: null }, {})).toBe(false);
    expect(sameJson([undefined], [null])).toBe(true);
    expect(sameJson({ a: [1, 2] }, { a: [1, 2, 3] })).toBe(false);
    expect(sameJson([], {})).toBe(false);
  });
});
