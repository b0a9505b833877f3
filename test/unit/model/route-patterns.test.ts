import { describe, expect, it } from 'vitest';
import { chiPatternKey, routeCollisions } from '../../../src/model/route-patterns.js';

describe("route patterns as DGate's router files them", () => {
  it('drops parameter names and keeps their regular expressions', () => {
    expect(chiPatternKey('/a/{x}')).toBe(chiPatternKey('/a/{y}'));
    expect(chiPatternKey('/a/{x:[0-9]+}/b')).toBe(chiPatternKey('/a/{y:[0-9]+}/b'));
    expect(chiPatternKey('/a/{x}')).not.toBe(chiPatternKey('/a/{x:[0-9]+}'));
    expect(chiPatternKey('/a/*')).toBe('/a/*');
  });

  it('finds two routes on one method and pattern, and pairs where one serves every method', () => {
    const found = routeCollisions([
      { name: 'a', paths: ['/x', '/items/{id}'], methods: ['GET', 'POST'] },
      { name: 'b', paths: ['/items/{sku}'], methods: ['GET'] },
      { name: 'c', paths: ['/items/{n}'], methods: ['PUT'] },
      { name: 'd', paths: ['/items/{id:[0-9]+}'], methods: ['GET'] },
      { name: 'e', paths: ['/x'], methods: ['*'] },
    ]);
    expect(found).toEqual([
      {
        first: 'a',
        second: 'b',
        pathIndex: 0,
        path: '/items/{sku}',
        firstPath: '/items/{id}',
        method: 'GET',
        kind: 'method',
      },
      { first: 'a', second: 'e', pathIndex: 0, path: '/x', firstPath: '/x', method: '*', kind: 'any' },
    ]);
  });
});
