import { describe, expect, it } from 'vitest';
import { canonicalJson, contentVersion } from '../../../src/state/canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('writes what JSON.stringify writes, with sorted keys', () => {
    const value = { s: 'q"uote\\n\u2028', n: -1.5e-7, t: true, u: undefined, arr: [undefined, 'x'], e: {}, ea: [] };
    expect(canonicalJson(value)).toBe(JSON.stringify({ arr: [null, 'x'], e: {}, ea: [], n: -1.5e-7, s: 'q"uote\\n\u2028', t: true }));
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
