import type { ReleaseRecord } from '../cluster/releases.js';

/**
 * A rollback made by hand that a reconciler must not undo: who made it, when, and to which
 * release. The loop heals drift towards `rolledBackTo` and applies no commit it had seen before.
 */
export interface RollbackHold {
  /** The release the rollback recorded. */
  release: number;
  rolledBackTo: number;
  by: string;
  at: string;
}

/**
 * Whether the cluster's history holds a reconciler following `head`: its newest release is a
 * rollback (or a drift heal made while holding for one, `heldFor`), not resumed, and `head` is a
 * commit released before that rollback (the commit rolled back from, or older). A commit never
 * released before is new: it ends the hold, as `reconcile --resume` does. Pure.
 */
export function findRollbackHold(releases: readonly ReleaseRecord[], head: string): RollbackHold | undefined {
  const effective = releases.filter((r) => !r.voided);
  const latest = effective.at(-1);
  if (latest?.kind !== 'rollback') return undefined;
  const manual = latest.heldFor !== undefined ? (effective.find((r) => r.number === latest.heldFor) ?? latest) : latest;
  if (manual.resumed || manual.rolledBackTo === undefined) return undefined;
  const seenBefore = effective.some((r) => r.number < manual.number && r.git?.commit === head);
  if (!seenBefore) return undefined;
  return { release: manual.number, rolledBackTo: manual.rolledBackTo, by: manual.appliedBy, at: manual.appliedAt };
}

/** The hold in one line, for the log and /status. */
export function describeRollbackHold(hold: RollbackHold): string {
  return `${hold.by} rolled back to release ${hold.rolledBackTo} at ${hold.at} (release ${hold.release})`;
}
