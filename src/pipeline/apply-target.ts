import type { ApplyEvent } from '../apply/execute.js';
import { applyPlan } from '../apply/execute.js';
import type { AdminClient } from '../cluster/client.js';
import type { HeldLock } from '../cluster/lock.js';
import { currentActor, pruneReleases, reserveRelease } from '../cluster/releases.js';
import { compileTarget } from '../compile/compile.js';
import { unreadableNotes } from '../diff/diff.js';
import { DgateError, type Diagnostic } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { ageRecipientsFrom } from '../io/age-keys.js';
import { readGitInfo, type GitInfo } from '../io/git.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import { configSettings } from '../load/assemble.js';
import { kinds } from '../model/registry.js';
import type { Plan, SavedPlan } from '../plan/plan.js';
import { renderPlanHuman } from '../report/plan-render.js';
import type { Style } from '../report/style.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { Target } from '../select/targets.js';
import { nextScheduledChange } from '../select/schedule.js';
import { ExitCode } from '../cli/exit-codes.js';
import { interruptedAndRolledBack } from '../cli/interrupts.js';
import { toolVersion } from '../cli/tool-version.js';
import { guardRefusal, overridesOf } from '../guards/guards.js';
import { declaredProtectedKeys, protectionRules } from '../guards/protect.js';
import { notifyTargets } from '../notify/notice.js';
import { createApplyContext } from './apply-context.js';
import { createNotifier } from './notify-step.js';
import { checkGuards } from './guard-step.js';
import { followRollouts, keepSensitiveValues, makePlan, sourcesOfConfig } from './make-plan.js';
import type { CheckedConfig } from './read-config.js';
import { releaseStep, voidedNote } from './release-step.js';
import { checkConvergence, type ConvergeOptions } from './converge-step.js';
import { type ConvergeReport, describeNonConverged, renderConvergeLines } from '../converge/converge.js';
import { routeChecks } from '../smoke/smoke-check.js';
import { renderTryLines, type TryUpstreams, tryFailure } from '../smoke/try-report.js';
import { tryOnScratch } from './try-step.js';

/** How an apply behaves, from the command's flags. */
export interface ApplyOptions {
  /** `--select-tag`: manage only resources carrying every one of these. */
  selectTags: string[];
  refreshSecrets: boolean;
  refresh: boolean;
  /** How many releases the cluster keeps. */
  keepReleases: number;
  /** age identities, for encrypted secret values (read when first needed). */
  identities: () => Promise<string[]>;
  /** `--allow-protected`: delete or recreate protected resources this once (recorded in the release). */
  allowProtected?: boolean;
  /** `--allow-mass-delete`: delete more than settings.maxDeletes this once (recorded in the release). */
  allowMassDelete?: boolean;
  /** `--override-window REASON`: apply outside settings.windows this once (the reason is recorded in the release). */
  overrideWindow?: string;
  /** Asked before the first write; absent, the plan is applied without asking (`--auto-approve`). */
  confirm?: (plan: Plan) => Promise<boolean>;
  /** `--try`: try the desired state on a scratch DGate first, and stop before any write when it fails there. */
  try?: { upstreams: TryUpstreams };
  /** Read every node after applying (`--converge-timeout`, `--no-converge`); absent: not checked nor reported (reconcile). */
  converge?: ConvergeOptions;
}

/** Where the apply stage writes: the plan and results to `out`, warnings and problems to the command's stderr. */
export interface ApplyIo {
  out: (text: string) => void;
  warn: (line: string) => void;
  style: Style;
  /** Renders problems found in the config; true when one is an error. */
  reportDiagnostics: (diagnostics: readonly Diagnostic[], source: string, done: string) => boolean;
  onEvent: (event: ApplyEvent) => void;
  /** Told of each target applied: the plan it carried out and the release that records it. */
  onApplied?: (applied: AppliedTarget) => void;
}

/** A target an apply changed. */
export interface AppliedTarget {
  target: string | undefined;
  plan: Plan;
  release: number;
  /** What reading every node after the apply found (absent when not asked for). */
  converge?: ConvergeReport;
}

export interface LoadedSavedPlan extends SavedPlan {
  configPath: string;
}

/** One target to plan and apply. */
export interface ApplyJob {
  checked: CheckedConfig;
  configSource: string;
  saved?: LoadedSavedPlan;
  target: Target;
  at: number;
  /** The commit to record (reconcile knows it); absent: read from the config's directory. */
  git?: GitInfo | null;
  /** Print nothing when there is nothing to change (reconcile checks every interval). */
  quietWhenInSync?: boolean;
  /** Called with the plan before it is shown, when it has changes. */
  onChanges?: (plan: Plan) => void;
  /** Aborted when the apply is to stop and roll back (SIGINT, SIGTERM; see underApplyLock). */
  interrupt?: AbortSignal;
  /**
   * The instant the change windows are judged at: now, or --at (default: `at`). A saved plan's
   * selectors are judged when it was made; whether it may be applied, when it is applied.
   */
  windowAt?: number;
  /** The changes put back drift (reconcile, no new commit): notified as drift-found, then drift-healed. */
  drift?: boolean;
}

/**
 * The apply stage: compiles one target, plans it against the cluster, shows the plan, asks, and
 * applies it as one transaction recorded as a release, under the lock the caller holds. Shared by
 * `apply` and `reconcile` (which follows a branch); the caller renders what it returns or throws.
 */
export async function applyTarget(
  client: AdminClient,
  lock: HeldLock,
  job: ApplyJob,
  options: ApplyOptions,
  io: ApplyIo,
): Promise<number> {
  const { checked, configSource, saved, target } = job;
  const journal = new JournalStore(stateDirectory(), client.baseUrl);
  const git = job.git !== undefined ? job.git : await readGitInfo(checked.input.root);
  const compiled = compileTarget(
    checked.config,
    checked.files,
    { tool: { name: 'dgate-cli', version: toolVersion() }, git },
    target,
    job.at,
    checked.bundles,
  );
  if (io.reportDiagnostics(compiled.diagnostics, configSource, 'applied') || !compiled.state) return ExitCode.ERROR;
  // A canary with steps is planned at the weight its rollout stands at.
  const desired = await followRollouts(client, compiled.state);
  const sources = sourcesOfConfig(checked, await options.identities());
  const made = await makePlan({
    sources,
    desired,
    client,
    selectTags: saved ? saved.scope.selectTags : options.selectTags,
    namespaces: checked.config.namespaces.map((n) => n.name),
    refreshSecrets:
      options.refreshSecrets || options.refresh || saved?.changes.some((c) => c.fields.some((f) => f.refresh)),
    refreshDocuments:
      options.refresh || saved?.changes.some((c) => c.fields.some((f) => f.unreadable === unreadableNotes.refresh)),
  });
  if (saved) refuseStale(saved, made.plan, desired, configSource);
  const plan = made.plan;
  if (target.spec)
    plan.target = {
      name: target.name,
      ...(desired.target?.evaluatedAt ? { evaluatedAt: desired.target.evaluatedAt } : {}),
      nextChange: nextScheduledChange(checked.config, target, job.at),
    };
  if (plan.changes.length > 0) job.onChanges?.(plan);
  if (plan.changes.length > 0 || !job.quietWhenInSync) io.out(renderPlanHuman(plan, io.style, configSource));
  if (plan.changes.length === 0) return ExitCode.OK;
  // The guards, before anything is written (the release record included).
  const guards = await checkGuards(client, made, checked.config, job.windowAt ?? job.at);
  const allow = {
    protected: options.allowProtected,
    massDelete: options.allowMassDelete,
    windowOverride: options.overrideWindow,
  };
  const refusal = guardRefusal(guards, { ...allow, checkMassDelete: true, checkWindow: true });
  if (refusal) throw refusal;
  if (options.try) {
    // On a throwaway server, before the release record or any other write to the cluster.
    plan.try = await tryOnScratch(desired, routeChecks(checked.config, desired.resources), {
      upstreams: options.try.upstreams,
      log: io.warn,
    });
    io.out(`${renderTryLines(plan.try).join('\n')}\n`);
    if (plan.try.status === 'failed') throw tryFailure(plan.try, 'apply');
  }
  const overrides = overridesOf(guards, allow);
  const targets = notifyTargets(checked.config);
  const notify = createNotifier(targets, { root: checked.input.root, identities: options.identities, warn: io.warn });
  const about = {
    cluster: client.baseUrl,
    ...(target.spec ? { target: target.name } : {}),
    desiredVersion: desired.version,
    commit: desired.metadata.git?.commit ?? null,
    summary: plan.summary,
  };
  if (job.drift) await notify({ event: 'drift-found', ...about });
  // Resolved and encrypted before the first write: a value that cannot be kept stops the apply here.
  const recipients = ageRecipientsFrom(configSettings(checked.config).ageRecipients ?? [], process.env);
  const secretValues = recipients.length > 0 ? await keepSensitiveValues(desired, sources, recipients) : undefined;
  if (options.confirm) {
    const approved = await options.confirm(plan);
    if (!approved) {
      io.out('Apply cancelled; nothing changed.\n');
      return ExitCode.ERROR;
    }
  }
  const ctx = createApplyContext({
    client,
    journal,
    namespaces: plan.scope.namespaces,
    sources,
    onEvent: io.onEvent,
    warn: io.warn,
  });
  const markWrites = ctx.ownWritesElsewhere;
  ctx.ownWritesElsewhere = () => lock.renewals() + (markWrites?.() ?? 0);
  ctx.signal = job.interrupt;
  const s = plan.summary;
  const release = await reserveRelease(client, {
    kind: 'apply',
    desiredVersion: desired.version,
    git: desired.metadata.git,
    appliedBy: currentActor(process.env),
    appliedAt: new Date().toISOString(),
    summary: s,
    desiredState: desired,
    configRoot: checked.input.root,
    protected: declaredProtectedKeys(protectionRules(checked.config)),
    ...(targets.length > 0 ? { notify: targets } : {}),
    ...(overrides ? { overrides } : {}),
    ...(secretValues ? { secretValues, secretRecipients: recipients } : {}),
  });
  ctx.release = releaseStep(client, release);
  const result = await applyPlan(made, ctx);
  if (result.outcome === 'applied') {
    const appliedAt = Date.now();
    await journal.archive();
    io.out(
      `${io.style.green('Apply complete:')} ${s.create} created, ${s.update} updated, ${s.delete} deleted. The cluster matches ${desired.version} (release ${release.number}).\n`,
    );
    for (const problem of await pruneReleases(client, options.keepReleases)) io.warn(problem);
    await notify({ event: job.drift ? 'drift-healed' : 'applied', ...about, release: release.number });
    if (result.foreignWrites) {
      io.warn(
        `${plural(result.foreignWrites, 'write')} by another client reached ${client.baseUrl} while this apply ran (its change log grew by more than this apply's writes); run \`dgate-cli plan\` to see whether they touched managed resources`,
      );
    }
    if (!options.converge) {
      io.onApplied?.({ target: plan.target?.name, plan, release: release.number });
      return ExitCode.OK;
    }
    const converge = await checkConvergence({
      client,
      target,
      planned: made,
      checks: routeChecks(checked.config, desired.resources),
      options: options.converge,
      appliedAt,
    });
    io.onApplied?.({ target: plan.target?.name, plan, release: release.number, converge });
    // Quiet when nothing was left to check (one node the read-back verified, no checks); said when skipped on request.
    if (converge.status !== 'skipped' || !options.converge.enabled)
      io.out(`${renderConvergeLines(converge).join('\n')}\n`);
    const problems = describeNonConverged(converge);
    if (problems.length > 0) {
      throw new DgateError({
        code: 'DG3201',
        message: `the apply${target.spec ? ` to target ${target.name}` : ''} is complete (release ${release.number}), but not every node converged or passed its checks:\n${problems.map((p) => `    ${p}`).join('\n')}`,
        hint: 'nothing was rolled back (a raft cluster keeps the change in its log): bring the nodes named back, or fix what the failed checks show, and run `dgate-cli plan` against each',
        exitCode: ExitCode.NOT_CONVERGED,
      });
    }
    return ExitCode.OK;
  }
  await journal.archive();
  await notify({
    event: 'failed',
    ...about,
    error: { code: result.restore.equal ? 'DG3003' : 'DG3004', message: String(result.failure) },
  });
  if (result.interrupted)
    throw interruptedAndRolledBack(
      'apply',
      result.failure,
      result.restore,
      voidedNote(result.releaseVoided, release.number),
    );
  const restored = result.restore.equal
    ? 'the cluster now equals its state before the apply.'
    : `the cluster still differs from its state before the apply:\n${result.restore.differences.map((d) => `    ${d}`).join('\n')}`;
  throw new DgateError({
    code: result.restore.equal ? 'DG3003' : 'DG3004',
    message: `apply failed${target.spec ? ` on target ${target.name}` : ''}: ${result.failure}\n  rolled back: ${restored}${voidedNote(result.releaseVoided, release.number)}`,
    hint: result.restore.equal
      ? 'fix the cause above and apply again'
      : 'inspect the resources listed; `dgate-cli plan` shows what remains to be done',
  });
}

/** A saved plan applies only to the cluster and config it was made from: say what moved if not. */
function refuseStale(saved: LoadedSavedPlan, fresh: Plan, desired: DesiredState, configPath: string): void {
  if (saved.desiredState.version !== desired.version) {
    throw new DgateError({
      code: 'DG3005',
      message: `the config at '${configPath}' changed since the plan was made (it compiled to ${saved.desiredState.version.slice(0, 19)}, now ${desired.version.slice(0, 19)})`,
      hint: 'plan again and review the new plan',
    });
  }
  if (saved.cluster.liveVersion !== fresh.cluster.liveVersion) {
    const key = (c: Plan['changes'][number]) => `${c.action} ${kinds[c.kind].singular} ${c.id}`;
    const before = new Set(saved.changes.map(key));
    const now = new Set(fresh.changes.map(key));
    const added = [...now].filter((k) => !before.has(k));
    const gone = [...before].filter((k) => !now.has(k));
    const moved = [...added.map((k) => `now also: ${k}`), ...gone.map((k) => `no longer: ${k}`)];
    throw new DgateError({
      code: 'DG3005',
      message: `the cluster changed since the plan was made${moved.length ? `: ${moved.slice(0, 5).join('; ')}` : ' (the same changes, but the resources they touch differ)'}`,
      hint: 'plan again and review the new plan',
    });
  }
}
