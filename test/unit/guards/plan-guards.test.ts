import { describe, expect, it } from 'vitest';
import { guardsOfPlan } from '../../../src/guards/guards.js';
import { guardLines } from '../../../src/report/plan-render.js';

describe('what the guards say in the plan document and the markdown plan', () => {
  it('is nothing when no guard has anything to say', () => {
    expect(guardsOfPlan({ protected: [] })).toBeUndefined();
    expect(guardLines(undefined)).toEqual([]);
  });

  it('carries protected changes, a mass delete and the windows, without locations', () => {
    const said = guardsOfPlan({
      protected: [
        {
          kind: 'routes',
          id: 'shop/home',
          action: 'recreate',
          rule: 'protect: true',
          location: { file: 'a.yaml', line: 1, col: 1 },
        },
      ],
      massDelete: { deletes: 6, limit: 5, managed: 8, setting: { limit: 5, text: '25%' } as never },
      window: {
        inside: false,
        timeZone: 'Europe/Paris',
        nextOpen: '2026-11-30T08:00:00.000Z',
        location: { file: 'a.yaml', line: 2, col: 1 },
      },
    });
    expect(said).toEqual({
      protected: [{ kind: 'routes', id: 'shop/home', action: 'recreate', rule: 'protect: true' }],
      massDelete: { deletes: 6, limit: 5, managed: 8 },
      window: { inside: false, timeZone: 'Europe/Paris', nextOpen: '2026-11-30T08:00:00.000Z' },
    });
    expect(guardLines(said)).toEqual([
      '**Protected:** recreate of route `shop/home` (protect: true): apply refuses it without `--allow-protected` (DG3013).',
      '**Mass delete:** 6 of 8 managed resources deleted, more than the limit of 5: apply and reconcile refuse it without `--allow-mass-delete` (DG3014).',
      '**Change windows:** outside every window (Europe/Paris): apply refuses without `--override-window` (DG3015); the next opens 2026-11-30T08:00:00.000Z.',
    ]);
  });
});
