import { describe, expect, it } from 'vitest';
import type { Change } from '../../../src/diff/diff.js';
import { guardRefusal, evaluateGuards } from '../../../src/guards/guards.js';
import { deleteLimit, findMassDelete, managedCount, maxDeletesSetting } from '../../../src/guards/mass-delete.js';
import { loadConfig } from '../../../src/load/assemble.js';
import { liveStateOf } from '../builders.js';
import { sourcesOf } from '../compile/build.js';

const deletes = (n: number): Change[] =>
  Array.from({ length: n }, (_, i) => ({
    action: 'delete',
    kind: 'routes',
    id: `shop/r${i}`,
    namespace: 'shop',
    name: `r${i}`,
    fields: [],
  }));

const configWith = (settings: string) =>
  loadConfig(sourcesOf({ 'gw.yaml': `version: v1\n${settings}namespaces:\n  - name: shop\n` })).config;

describe('mass-delete guard', () => {
  it('a percentage is of the managed resources, rounded down, and never below 5', () => {
    expect(deleteLimit('25%', 100)).toBe(25);
    expect(deleteLimit('25%', 10)).toBe(5);
    expect(deleteLimit('25%', 2)).toBe(5);
    expect(deleteLimit('50%', 13)).toBe(6);
    expect(deleteLimit(0, 100)).toBe(0);
    expect(deleteLimit(7, 1)).toBe(7);
  });

  it('small configs: deleting 1 of 2, or 5 of 6, is not a mass delete; 6 of 8 is', () => {
    const setting = { value: '25%' };
    expect(findMassDelete(deletes(1), 2, setting)).toBeUndefined();
    expect(findMassDelete(deletes(5), 6, setting)).toBeUndefined();
    expect(findMassDelete(deletes(6), 8, setting)).toMatchObject({ deletes: 6, limit: 5, managed: 8 });
    expect(findMassDelete(deletes(26), 100, setting)).toMatchObject({ deletes: 26, limit: 25 });
    expect(findMassDelete(deletes(25), 100, setting)).toBeUndefined();
  });

  it('reads settings.maxDeletes with its location, else the default 25%', () => {
    expect(maxDeletesSetting(configWith(''))).toEqual({ value: '25%' });
    expect(maxDeletesSetting(configWith('settings:\n  maxDeletes: 2\n'))).toEqual({
      value: 2,
      location: { file: 'gw.yaml', line: 3, col: 15 },
    });
    const refusal = guardRefusal(
      evaluateGuards({ changes: deletes(3), config: configWith('settings:\n  maxDeletes: 2\n'), managed: 50, at: 0 }),
      { checkMassDelete: true },
    );
    expect(refusal?.code).toBe('DG3014');
    expect(refusal?.location?.line).toBe(3);
    expect(refusal?.message).toBe(
      'the plan deletes 3 of 50 managed resources, more than one apply may without --allow-mass-delete: settings.maxDeletes is 2; nothing was changed',
    );
    const report = evaluateGuards({
      changes: deletes(3),
      config: configWith('settings:\n  maxDeletes: 2\n'),
      managed: 50,
      at: 0,
    });
    expect(guardRefusal(report, { massDelete: true, checkMassDelete: true })).toBeUndefined();
    expect(guardRefusal(report, { checkMassDelete: false })).toBeUndefined();
  });

  it('counts the managed resources in scope: its namespaces and selected tags, tombstones aside', () => {
    const live = liveStateOf({
      namespaces: [{ name: 'shop' }, { name: 'other' }],
      services: [
        { name: 'a', namespace: 'shop', urls: ['http://x/'], tags: ['team:a'] } as never,
        { name: 'b', namespace: 'shop', urls: ['http://x/'] } as never,
        { name: 'c', namespace: 'other', urls: ['http://x/'], tags: ['team:a'] } as never,
        { name: 't', namespace: 'shop', urls: ['http://x/'], tags: ['team:a', 'dgate-cli.tombstone'] } as never,
      ],
    });
    expect(managedCount(live, { namespaces: ['shop'], selectTags: [] })).toBe(3);
    expect(managedCount(live, { namespaces: ['shop'], selectTags: ['team:a'] })).toBe(1);
  });
});
