import { describe, expect, it } from 'vitest';
import type { ReleaseRecord } from '../../../src/cluster/releases.js';
import { describeRollbackHold, findRollbackHold } from '../../../src/guards/rollback-hold.js';

function release(number: number, commit: string, extra: Partial<ReleaseRecord> = {}): ReleaseRecord {
  return {
    number,
    kind: 'apply',
    desiredVersion: `sha256:${number}`,
    git: { commit, dirty: false },
    appliedBy: 'reconciler@host',
    appliedAt: `2026-11-29T10:0${number}:00.000Z`,
    summary: { create: 0, update: 0, delete: 0 },
    desiredState: {} as ReleaseRecord['desiredState'],
    ...extra,
  } as ReleaseRecord;
}

const rollback = (number: number, to: number, extra: Partial<ReleaseRecord> = {}) =>
  release(number, 'c1', { kind: 'rollback', rolledBackTo: to, appliedBy: 'alice@laptop', ...extra });

describe('a rollback by hand holds the reconciler', () => {
  const history = [release(1, 'c1'), release(2, 'c2'), rollback(3, 1)];

  it('holds at the commit rolled back from, and at any older one, naming who, when and where to', () => {
    const hold = findRollbackHold(history, 'c2');
    expect(hold).toEqual({ release: 3, rolledBackTo: 1, by: 'alice@laptop', at: '2026-11-29T10:03:00.000Z' });
    expect(findRollbackHold(history, 'c1')).toEqual(hold);
    expect(describeRollbackHold(hold!)).toBe(
      'alice@laptop rolled back to release 1 at 2026-11-29T10:03:00.000Z (release 3)',
    );
  });

  it('a commit never released before is new: no hold', () => {
    expect(findRollbackHold(history, 'c3')).toBeUndefined();
  });

  it('drift heals made while held keep the hold of the rollback they heal for', () => {
    const healed = [...history, rollback(4, 1, { heldFor: 3, appliedBy: 'reconciler@host' })];
    expect(findRollbackHold(healed, 'c2')).toMatchObject({ release: 3, by: 'alice@laptop' });
  });

  it('ends with --resume, or when the newest release is an apply; a voided rollback never held', () => {
    expect(
      findRollbackHold([...history.slice(0, 2), rollback(3, 1, { resumed: { by: 'bob', at: 'x' } })], 'c2'),
    ).toBeUndefined();
    expect(findRollbackHold([...history, release(4, 'c2')], 'c2')).toBeUndefined();
    expect(
      findRollbackHold([...history.slice(0, 2), rollback(3, 1, { voided: { reason: 'failed', at: 'x' } })], 'c2'),
    ).toBeUndefined();
  });
});
