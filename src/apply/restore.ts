import { type Change, type DiffInput, type DiffResult, diffResources } from '../diff/diff.js';
import type { LiveRead } from '../model/api-types.js';
import { waveOf } from '../model/order.js';
import { type AnyResource, type KindKey, kinds, namespacedKinds } from '../model/registry.js';
import { isTombstone, tombstoneBody } from '../model/tombstones.js';
import type { ExecutablePlan } from '../plan/plan.js';
import type { Resources } from '../schema/generated/desired-state.js';
import type { LiveResources } from '../state/live-state.js';
import { buildSteps, type Step, wavesOf } from './steps.js';

/**
 * Compensation planning, pure: what a failed apply must send to put the cluster back as it was.
 * apply/execute.ts reads the cluster, asks these functions what to do, and does it; recover does
 * the same from a journal. The real-server fault suites are the proof that it works.
 */

export type Touched = readonly { kind: KindKey; id: string }[];

const identityOf = (kind: KindKey, r: AnyResource) => kinds[kind].identity(r).join('/');

/** Resources by kind and id, indexed on first use of each kind. */
export function indexResources(
  resources: Resources | LiveResources,
): (kind: KindKey, id: string) => AnyResource | undefined {
  const maps = new Map<KindKey, Map<string, AnyResource>>();
  return (kind, id) => {
    let m = maps.get(kind);
    if (!m) {
      m = new Map((resources[kind] as unknown as AnyResource[]).map((r) => [identityOf(kind, r), r]));
      maps.set(kind, m);
    }
    return m.get(id);
  };
}

/** The modules `before` links that `after` does not name: what a PUT of `after` would leave linked. */
export function lostModules(before: AnyResource | undefined, after: AnyResource | undefined): string[] {
  const kept = new Set((after as { modules?: string[] } | undefined)?.modules ?? []);
  return ((before as { modules?: string[] } | undefined)?.modules ?? [])
    .filter((m) => !kept.has(m))
    .map((m) => `module ${m}`);
}

/** The diff a read-back after applying is checked with: the plan's desired state against the cluster now. */
export function verifyDiffInput(planned: ExecutablePlan, read: LiveRead, live: LiveResources): DiffInput {
  return {
    desired: planned.desired.resources,
    live,
    scope: planned.plan.scope,
    desiredDigests: planned.desiredDigests,
    unreadableDocumentCollections: read.unreadableDocumentCollections,
    liveNamespaceNames: read.allNamespaces.map((n) => n.name),
    raft: read.raft,
  };
}

/** The diff that says what differs from the state before: the pre-state as desired, over every namespace either side has. */
export function restoreDiffInput(pre: LiveResources, read: LiveRead, live: LiveResources): DiffInput {
  return {
    desired: pre as unknown as Resources,
    live,
    scope: {
      namespaces: [...new Set([...pre.namespaces.map((n) => n.name), ...live.namespaces.map((n) => n.name)])],
      selectTags: [],
    },
    // Only domain keys can be compared: DGate gives back a digest of the key, never a secret's value.
    desiredDigests: new Map(
      pre.domains.filter((d) => d.key).map((d) => [`domains:${d.namespace}/${d.name}:key`, d.key!.digest]),
    ),
    unreadableDocumentCollections: read.unreadableDocumentCollections,
    liveNamespaceNames: read.allNamespaces.map((n) => n.name),
    raft: read.raft,
  };
}

/** How the touched resources compare with the state before the apply, from one read of the cluster. */
export interface RestoreComparison {
  /** Changes that would return touched resources to the pre-state. */
  changes: Change[];
  live: LiveResources;
  /** Namespaces the apply created (a diff never deletes namespaces, so they are listed apart). */
  createdNamespaces: LiveResources['namespaces'];
  /** Touched resources whose delete cannot be sent (a collection; anything on raft). */
  stuck: DiffResult['blocked'];
  /** Touched resources that are tombstones now. */
  tombstones: DiffResult['tombstones'];
  raft: boolean;
}

export function compareWithPre(
  pre: LiveResources,
  read: LiveRead,
  live: LiveResources,
  touched: Touched,
): RestoreComparison {
  const touchedSet = new Set(touched.map((t) => `${t.kind}:${t.id}`));
  const diff = diffResources(restoreDiffInput(pre, read, live));
  const preNamespaces = new Set(pre.namespaces.map((n) => n.name));
  return {
    changes: diff.changes.filter((c) => touchedSet.has(`${c.kind}:${c.id}`)),
    live,
    createdNamespaces: live.namespaces.filter(
      (n) => !preNamespaces.has(n.name) && touchedSet.has(`namespaces:${n.name}`),
    ),
    stuck: diff.blocked.filter((b) => touched.some((t) => `${kinds[t.kind].singular} ${t.id}` === b.resource)),
    tombstones: diff.tombstones.filter((t) => touchedSet.has(`${t.kind}:${t.id}`)),
    raft: read.raft,
  };
}

/** A resource put again as its tombstone, because raft cannot delete it. */
export interface TombstoneWrite {
  kind: KindKey;
  id: string;
  body: Record<string, unknown>;
}

/** What undoing an apply sends, wave by wave, and what it already knows it cannot put back. */
export interface UndoPlan {
  /** Each step with the change it undoes (sensitive fields still as references: the executor fills them in). */
  waves: { step: Step; change: Change }[][];
  /** Tombstones to write after the undo (raft only), routes before what they use. */
  tombstones: TombstoneWrite[];
  /** Resources known not to come back exactly, each with why. */
  unrestorable: string[];
}

/**
 * Plans the undo: the changes that return each touched resource to its pre-state, as steps. On
 * raft, where no delete can be sent, a route that must lose a module is only put again (its link
 * stays, and is named), and what the apply created becomes a tombstone.
 */
export function planUndo(pre: LiveResources, compared: RestoreComparison, touched: Touched): UndoPlan {
  const preOf = indexResources(pre);
  const liveOf = indexResources(compared.live);
  const unrestorable: string[] = [];
  const steps = buildSteps(compared.changes, preOf, liveOf);
  const waves = wavesOf(steps).map((wave) =>
    wave.map((step) => {
      const change = compared.changes[step.index]!;
      if (!compared.raft || step.action !== 'recreate') return { step, change };
      // The delete would wedge the raft leader: the put alone restores all but the module links.
      const kept = lostModules(liveOf(step.kind, step.id), preOf(step.kind, step.id));
      if (kept.length > 0)
        unrestorable.push(
          `route ${step.id}: keeps its link to ${kept.join(', ')}, which DGate removes only by deleting the route, and raft leaders break on deletes`,
        );
      return { step: { ...step, requests: step.requests.filter((r) => r.method !== 'DELETE') }, change };
    }),
  );
  const tombstones = compared.raft
    ? createdOnRaft(touched, preOf, liveOf).flatMap(({ kind, id, live }) => {
        const body = tombstoneBody(kind, live);
        return body ? [{ kind, id, body }] : [];
      })
    : [];
  return { waves, tombstones, unrestorable };
}

/**
 * What an apply created on a raft cluster and could not delete, in the order deletes would go
 * (routes before what they use): each a touched resource that is live, was not there before,
 * and is not a tombstone yet.
 */
function createdOnRaft(
  touched: Touched,
  preOf: (kind: KindKey, id: string) => AnyResource | undefined,
  liveOf: (kind: KindKey, id: string) => AnyResource | undefined,
): { kind: KindKey; id: string; live: AnyResource }[] {
  const out: { kind: KindKey; id: string; live: AnyResource }[] = [];
  for (const t of touched) {
    const live = liveOf(t.kind, t.id);
    if (live && !preOf(t.kind, t.id) && !isTombstone(live) && !out.some((o) => o.kind === t.kind && o.id === t.id))
      out.push({ kind: t.kind, id: t.id, live });
  }
  return out.sort((a, b) => waveOf('delete', a.kind) - waveOf('delete', b.kind));
}

/**
 * Created namespaces that can be deleted now: empty ones. DGate refuses (inside the node, which
 * wedges it) to delete a namespace that still holds anything, and a collection the apply created
 * cannot be deleted, so its namespace stays too. Nothing is deleted on raft.
 */
export function namespacesToDelete(compared: Pick<RestoreComparison, 'createdNamespaces' | 'live' | 'raft'>): {
  delete: string[];
  stay: string[];
} {
  if (compared.raft) return { delete: [], stay: [] };
  const out = { delete: [] as string[], stay: [] as string[] };
  for (const ns of compared.createdNamespaces) {
    const holds = namespacedKinds.some((k) =>
      (compared.live[k] as unknown as AnyResource[]).some((r) => kinds[k].namespaceOf(r) === ns.name),
    );
    (holds ? out.stay : out.delete).push(ns.name);
  }
  return out;
}
