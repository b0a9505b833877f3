import type { Change } from '../diff/diff.js';
import { kindOrder, kinds, type AnyResource, type KindKey } from '../model/registry.js';

/** One admin-API write. Sensitive fields hold a reference until the executor fills them in memory. */
export interface AdminRequest {
  method: 'PUT' | 'DELETE';
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

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

/** The write that puts `r` into the cluster, exactly as the admin API takes it. */
export function putRequest(kind: KindKey, r: AnyResource): AdminRequest {
  const rec = r as unknown as Record<string, unknown>;
  if (kind === 'documents') {
    return {
      method: 'PUT',
      path: `/api/v1/document/${encodeURIComponent(String(rec.id))}`,
      query: { namespace: String(rec.namespace), collection: String(rec.collection) },
      body: rec.data,
    };
  }
  const local = kinds[kind].local ?? [];
  return {
    method: 'PUT',
    path: `/api/v1/${kinds[kind].singular}`,
    body: local.length ? Object.fromEntries(Object.entries(rec).filter(([k]) => !local.includes(k))) : rec,
  };
}

/** The write that removes `r`. Collections and documents are addressed by path, the rest by body. */
export function deleteRequest(kind: KindKey, r: AnyResource): AdminRequest {
  const rec = r as unknown as Record<string, unknown>;
  if (kind === 'documents') {
    return {
      method: 'DELETE',
      path: `/api/v1/document/${encodeURIComponent(String(rec.id))}`,
      query: { namespace: String(rec.namespace), collection: String(rec.collection) },
    };
  }
  if (kind === 'collections')
    return {
      method: 'DELETE',
      path: `/api/v1/collection/${encodeURIComponent(String(rec.name))}`,
      query: { namespace: String(rec.namespace) },
    };
  return {
    method: 'DELETE',
    path: `/api/v1/${kinds[kind].singular}`,
    body: { name: rec.name, namespace: rec.namespace },
  };
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

/** The wave of a change: creates and updates by kind order, then deletes in reverse kind order. */
export function waveOf(action: 'create' | 'update' | 'delete', kind: KindKey): number {
  const k = kindOrder.indexOf(kind);
  return action === 'delete' ? kindOrder.length + (kindOrder.length - 1 - k) : k;
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
  for (const s of steps) byWave.set(s.wave, [...(byWave.get(s.wave) ?? []), s]);
  return [...byWave.entries()].sort(([a], [b]) => a - b).map(([, list]) => list);
}
