import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../../src/errors/suggest.js';

describe('closestMatch', () => {
  it('prefers the same word in another case', () => {
    expect(closestMatch('Catalog', ['catalogs', 'catalog'])).toBe('catalog');
  });

  it('finds the candidate fewest edits away', () => {
    expect(closestMatch('aply', ['plan', 'apply', 'reconcile'])).toBe('apply');
    expect(closestMatch('catalg', ['orders', 'catalog'])).toBe('catalog');
    expect(closestMatch('retry_timeout', ['retries', 'retryTimeout'])).toBe('retryTimeout');
  });

  it('suggests nothing far-fetched', () => {
    expect(closestMatch('audit', ['auth'])).toBeUndefined();
    expect(closestMatch('xyzzy', ['plan', 'apply'])).toBeUndefined();
    expect(closestMatch('anything', [])).toBeUndefined();
  });

  it('counts edits as Levenshtein does', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
