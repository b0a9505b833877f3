import type { ApplyEvent } from '../apply/execute.js';
import { applyPlan } from '../apply/execute.js';
import type { AdminClient } from '../cluster/client.js';
import { currentActor, pruneReleases, type ReleaseRecord, reserveRelease } from '../cluster/releases.js';
import { DgateError } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { Plan } from '../plan/plan.js';
import { renderPlanHuman } from '../report/plan-render.js';
import type { Style } from '../report/style.js';
import { interruptedAndRolledBack } from '../cli/interrupts.js';
import { createApplyContext } from './apply-context.js';
import { makePlan, recordedValueKey, type SensitiveSources } from './make-plan.js';
import type { Notify } from './notify-step.js';
import { releaseStep, voidedNote } from './release-step.js';

/** How a return to a release runs, and where it reports. */
export interface ReturnOptions {
  identities: readonly string[];
  interrupt: AbortSignal;
  out: (text: string) => void;
  warn: (line: string) => void;
  style: Style;
  onEvent: (event: ApplyEvent) => void;
  /** Print nothing when there is nothing to change (a reconciler's drift heal). */
  quietWhenInSync?: boolean;
  /** Asked with the plan before the first write; false stops with DG3001 (rollback without --auto-approve). */
  approved: (plan: Plan) => boolean;
  /** A reconciler healing drift while a rollback holds it: the number of that rollback's release. */
  heldFor?: number;
  /** Called with the plan before it is shown, when it has changes. */
  onChanges?: (plan: Plan) => void;
  /** Told rolled-back (or drift-healed, for a heal while held) when it is done. */
  notify?: Notify;
  /**
   * A canary step: the release's desired state with the canary's weight changed
   * (pipeline/canary-rollout.ts). Recorded as kind canary, not as a rollback.
   */
  canaryStep?: { desired: DesiredState; canary: NonNullable<ReleaseRecord['canary']> };
  /** Why this return happens, when not by hand (a canary's failed checks): kept in the release. */
  reason?: string;
}

/**
 * Plans the return to a release from the desired state recorded with it and applies it as apply
 * does (journaled, verified, undone on failure), recorded as a rollback release. Shared by
 * `rollback` and by `reconcile`, which heals drift this way while a rollback holds it.
 * Returns the number of the release recorded, or undefined when nothing differed.
 */
export async function returnToRelease(
  client: AdminClient,
  target: ReleaseRecord,
  options: ReturnOptions,
): Promise<number | undefined> {
  const journal = new JournalStore(stateDirectory(), client.baseUrl);
  const desired = options.canaryStep?.desired ?? target.desiredState;
  // Secret values come back from the release's encrypted copies, when it kept them.
  const recorded = target.secretValues;
  const sources: SensitiveSources = {
    root: target.configRoot ?? process.cwd(),
    inline: () => undefined,
    identities: options.identities,
    recorded,
  };
  const made = await makePlan({ sources, desired, client, selectTags: [], refreshSecrets: recorded !== undefined });
  if (made.plan.changes.length > 0) options.onChanges?.(made.plan);
  if (made.plan.changes.length > 0 || !options.quietWhenInSync)
    options.out(
      renderPlanHuman(
        made.plan,
        options.style,
        options.canaryStep
          ? `canary ${options.canaryStep.canary.namespace}/${options.canaryStep.canary.route}`
          : `release ${target.number}`,
      ),
    );
  const lost = made.plan.changes.filter(
    (c) =>
      c.kind === 'secrets' &&
      c.action !== 'delete' &&
      recorded?.[recordedValueKey('secrets', c.namespace, c.name)] === undefined,
  );
  if (lost.length > 0) {
    throw new DgateError({
      code: 'DG3009',
      message: `returning to release ${target.number} would have to write ${plural(lost.length, 'secret')} (${lost.map((c) => c.id).join(', ')}), and the release kept no value for ${lost.length === 1 ? 'it' : 'them'}`,
      hint: "nothing was changed; set settings.ageRecipients so that releases keep secret values (encrypted), or put those secrets back with `dgate-cli apply` from the release's config",
    });
  }
  if (made.plan.changes.length === 0) return undefined;
  if (!options.approved(made.plan)) {
    throw new DgateError({
      code: 'DG3001',
      message: 'rollback needs confirmation',
      hint: 'review the plan above, then run again with --auto-approve',
    });
  }
  const ctx = createApplyContext({
    client,
    journal,
    namespaces: made.plan.scope.namespaces,
    sources,
    onEvent: options.onEvent,
    warn: options.warn,
  });
  const release = await reserveRelease(client, {
    ...(options.canaryStep
      ? { kind: 'canary' as const, canary: options.canaryStep.canary }
      : { kind: 'rollback' as const, rolledBackTo: target.number }),
    ...(options.reason !== undefined ? { reason: options.reason } : {}),
    ...(options.heldFor !== undefined ? { heldFor: options.heldFor } : {}),
    desiredVersion: desired.version,
    git: desired.metadata.git,
    appliedBy: currentActor(process.env),
    appliedAt: new Date().toISOString(),
    summary: made.plan.summary,
    desiredState: desired,
    configRoot: sources.root,
    ...(target.protected ? { protected: target.protected } : {}),
    ...(target.notify ? { notify: target.notify } : {}),
    ...(recorded ? { secretValues: recorded, secretRecipients: target.secretRecipients ?? [] } : {}),
  });
  ctx.release = releaseStep(client, release);
  ctx.signal = options.interrupt;
  const result = await applyPlan(made, ctx);
  await journal.archive();
  if (result.outcome !== 'applied' && result.interrupted)
    throw interruptedAndRolledBack(
      'rollback',
      result.failure,
      result.restore,
      voidedNote(result.releaseVoided, release.number),
    );
  if (result.outcome !== 'applied') {
    throw new DgateError({
      code: result.restore.equal ? 'DG3003' : 'DG3004',
      message: `rollback failed: ${result.failure}\n  ${result.restore.equal ? 'undone: the cluster equals its state before the rollback.' : `still differs: ${result.restore.differences.join('; ')}`}${voidedNote(result.releaseVoided, release.number)}`,
      hint: 'fix the cause above and try again',
    });
  }
  for (const problem of await pruneReleases(client)) options.warn(problem);
  if (options.canaryStep) return release.number;
  await options.notify?.({
    event: options.heldFor !== undefined ? 'drift-healed' : 'rolled-back',
    cluster: client.baseUrl,
    release: release.number,
    rolledBackTo: target.number,
    desiredVersion: desired.version,
    commit: desired.metadata.git?.commit ?? null,
    summary: made.plan.summary,
  });
  return release.number;
}
