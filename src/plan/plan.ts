import type { Change, DiffResult, Scope } from '../diff/diff.js';
import type { LiveRead } from '../model/api-types.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { LiveResources } from '../state/live-state.js';
import type { PlanDocument } from '../schema/generated/plan.js';

export const planFormat = 'dgate-cli/plan@1';

/**
 * A plan is a value: what would change, against which desired version and which observed
 * cluster state. Renderers turn it into text; `apply` (with a saved plan) refuses it when the
 * cluster no longer has `cluster.liveVersion`. Documented by schema/plan.schema.json.
 */
export interface Plan {
  format: typeof planFormat;
  /** The target, when the config declares targets. */
  target?: PlanDocument['target'];
  /** Bundle instances and the resources they produced. */
  bundles?: PlanDocument['bundles'];
  desired: { version: string; git: DesiredState['metadata']['git'] };
  cluster: { adminUrl: string; liveVersion: string };
  scope: Scope;
  summary: { create: number; update: number; delete: number };
  leftAlone: DiffResult['leftAlone'];
  blocked: DiffResult['blocked'];
  unverifiable: DiffResult['unverifiable'];
  /**
   * Tombstones a failed apply on raft left, which the config does not have: listed, never changed.
   * Absent in a plan saved before tombstones existed.
   */
  tombstones?: DiffResult['tombstones'];
  changes: Change[];
  /** With `--try`: the desired state tried on a scratch DGate first (pipeline/try-step.ts). */
  try?: PlanDocument['try'];
  /** What the guards say of the plan, when one has something to say (guards/guards.ts guardsOfPlan). */
  guards?: PlanDocument['guards'];
}

/**
 * A plan with everything applying it needs: the value `plan` shows is the value `apply` executes,
 * verifies against and compensates from (apply/execute.ts `applyPlan`).
 */
export interface ExecutablePlan {
  plan: Plan;
  /** The desired state the plan was made from, with secret version copies added (references only). */
  desired: DesiredState;
  /** The cluster as read for the plan: the state a failed apply returns it to. */
  pre: { read: LiveRead; live: LiveResources };
  /** Digests of the desired sensitive values, for comparing a read-back (memory only, never saved). */
  desiredDigests: ReadonlyMap<string, string>;
}

/** A plan saved with `plan --out`: the plan plus the desired state it was made from (references, no secret values). */
export interface SavedPlan extends Plan {
  desiredState: DesiredState;
  /** The config the plan was made from, as given to `plan`: apply re-reads it to resolve secrets. */
  configPath: string;
}

export function buildPlan(desired: DesiredState, diff: DiffResult, cluster: Plan['cluster'], scope: Scope): Plan {
  const count = (action: Change['action']) => diff.changes.filter((c) => c.action === action).length;
  return {
    format: planFormat,
    ...(desired.bundles ? { bundles: desired.bundles } : {}),
    desired: { version: desired.version, git: desired.metadata.git },
    cluster,
    scope,
    summary: { create: count('create'), update: count('update'), delete: count('delete') },
    leftAlone: diff.leftAlone,
    blocked: diff.blocked,
    unverifiable: diff.unverifiable,
    tombstones: diff.tombstones,
    changes: diff.changes,
  };
}

export function hasChanges(plan: Plan): boolean {
  return plan.changes.length > 0;
}
