import type { Change } from '../diff/diff.js';
import { type AdminRequest, deleteRequest, putRequest } from '../cluster/admin-api.js';
import { waveOf } from '../model/order.js';
import type { AnyResource, KindKey } from '../model/registry.js';

export type StepAction = 'create' | 'update' | 'delete' | 'recreate';

/**
 * One change made real: one or more requests sent in order. Steps of the same wave do not depend
 * on each other and may run concurrently; waves run one after another.
 */
export interface Step {
  index: number;
  action: StepAction;
  kind: KindKey;
  id: string;
  wave: number;
  requests: AdminRequest[];
  /** The desired resource (create, update, recreate), with sensitive fields still as references. */
  resource?: AnyResource;
}

/**
 * DGate v0.11 never unlinks a module from a route on PUT, nor a service when the new body names
 * none; the stale link then blocks deleting the module or service. Such a route is deleted and
 * put again (a moment of 404 for that route), as the admin API notes advise.
 */
export function needsRecreate(before: AnyResource, after: AnyResource): boolean {
  const b = before as { modules?: string[]; service?: string };
  const a = after as { modules?: string[]; service?: string };
  const lostModule = (b.modules ?? []).some((m) => !(a.modules ?? []).includes(m));
  const lostService = b.service !== undefined && a.service === undefined;
  return lostModule || lostService;
}

/**
 * Turns a plan's changes into steps. `desiredOf` and `liveOf` give the full resources by kind and
 * id (the change itself carries masked copies only).
 */
export function buildSteps(
  changes: readonly Change[],
  desiredOf: (kind: KindKey, id: string) => AnyResource | undefined,
  liveOf: (kind: KindKey, id: string) => AnyResource | undefined,
): Step[] {
  return changes.map((change, index) => {
    const wave = waveOf(change.action, change.kind);
    if (change.action === 'delete') {
      const have = liveOf(change.kind, change.id);
      if (!have) throw new Error(`no live ${change.kind} ${change.id} to delete`);
      return {
        index,
        action: 'delete',
        kind: change.kind,
        id: change.id,
        wave,
        requests: [deleteRequest(change.kind, have)],
      };
    }
    const want = desiredOf(change.kind, change.id);
    if (!want) throw new Error(`no desired ${change.kind} ${change.id}`);
    // A tombstone keeps the module links its route had (DGate never unlinks one on PUT): a create
    // over it is checked as an update would be.
    const have = change.action === 'update' || change.replacesTombstone ? liveOf(change.kind, change.id) : undefined;
    if (change.kind === 'routes' && have && needsRecreate(have, want)) {
      return {
        index,
        action: 'recreate',
        kind: change.kind,
        id: change.id,
        wave,
        requests: [deleteRequest(change.kind, have), putRequest(change.kind, want)],
        resource: want,
      };
    }
    return {
      index,
      action: change.action,
      kind: change.kind,
      id: change.id,
      wave,
      requests: [putRequest(change.kind, want)],
      resource: want,
    };
  });
}

/** Steps grouped by wave, waves in order. */
export function wavesOf(steps: readonly Step[]): Step[][] {
  const byWave = new Map<number, Step[]>();
  for (const s of steps) {
    const wave = byWave.get(s.wave);
    if (wave) wave.push(s);
    else byWave.set(s.wave, [s]);
  }
  return [...byWave.entries()].sort(([a], [b]) => a - b).map(([, list]) => list);
}
