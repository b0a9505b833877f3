import { readFile } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import { executeApply } from '../apply/execute.js';
import { createApplyContext } from '../cli/apply-context.js';
import { ClusterCommand } from '../cli/cluster-command.js';
import { readCheckedConfig, type CheckedConfig } from '../cli/config-input.js';
import { chooseTargets, connectionOf, connectTarget, evaluationInstant } from '../cli/target-choice.js';
import { nextScheduledChange, type Target } from '../select/targets.js';
import { ExitCode } from '../cli/exit-codes.js';
import { pklEnvOption, pklOptionsFrom, pklTimeoutOption } from '../cli/pkl-flags.js';
import { parseFlagDuration } from '../cli/flag-duration.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import { keepSensitiveValues, makePlan, sourcesOfConfig } from '../cli/make-plan.js';
import { ageRecipientsFrom } from '../io/age-keys.js';
import { configSettings } from '../load/assemble.js';
import { toolVersion } from '../cli/tool-version.js';
import type { AdminClient } from '../cluster/client.js';
import type { HeldLock } from '../cluster/lock.js';
import { currentActor, defaultReleasesKept, pruneReleases, reserveRelease } from '../cluster/releases.js';
import { releaseStep, voidedNote } from '../cli/release-step.js';
import { interruptedAndRolledBack } from '../cli/interrupts.js';
import { compileTarget } from '../compile/compile.js';
import { DgateError } from '../errors/dgate-error.js';
import { unreadableNotes } from '../diff/diff.js';
import { plural } from '../errors/render.js';
import { readGitInfo, type GitInfo } from '../io/git.js';
import { kinds } from '../model/registry.js';
import { planFormat, type Plan, type SavedPlan } from '../plan/plan.js';
import { renderPlanHuman } from '../report/plan-render.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import { valueNamed } from '../cli/value-names.js';

export class ApplyCommand extends ClusterCommand {
  static override paths = [['apply']];
  static override usage = Command.Usage({
    description: 'Apply a config (or a saved plan) to a cluster, all or nothing',
    details: `
      Shows the plan, asks for confirmation on a terminal (\`--auto-approve\` in CI), then makes
      the changes in dependency order, each recorded in a journal under .dgate-cli/ before it is
      sent. The cluster is read back and compared with the desired state. If any step fails, or
      the read-back differs, the changes already made are undone in reverse, the cluster is read
      again, and the command says whether it now equals its state before (exit 1). SIGINT
      (Ctrl-C) or SIGTERM does the same: no new step is sent, the ones under way finish, and what
      was done is undone (exit 130); a second one stops at once, leaving the apply for
      \`dgate-cli recover\`.

      Given a plan saved with \`plan --out\`, applies exactly that plan, and refuses if the
      cluster or the config changed since it was made. If an earlier apply was interrupted (the
      process killed), apply refuses until \`dgate-cli recover\` has dealt with it.

      When the config declares \`targets:\`, name them with \`--target\` (repeatable) or
      \`--all-targets\` (needed when there are several). Targets are applied one after another,
      each as its own transaction under its own lock; if one fails, it is rolled back, the ones
      before it stay applied, and the rest are not tried.
    `,
    examples: [
      ['Apply the current directory, confirming on the terminal', '$0 apply'],
      ['In CI', '$0 apply examples/shop --auto-approve'],
      ['Apply a reviewed plan', '$0 plan --out plan.json && $0 apply plan.json --auto-approve'],
      [
        'Staging first, then production',
        '$0 apply examples/regions --target eu-staging --target eu-prod --auto-approve',
      ],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  autoApprove = Option.Boolean('--auto-approve', false, {
    description: 'Apply without asking (required when not on a terminal)',
  });
  selectTag = valueNamed(
    'TAG',
    Option.Array('--select-tag', [], { description: 'Manage only resources carrying this tag (repeatable)' }),
  );
  lockTimeout = valueNamed(
    'DURATION',
    Option.String('--lock-timeout', '0s', {
      description: 'How long to wait for another apply to this cluster to finish (default 0s: fail at once)',
    }),
  );
  keepReleases = valueNamed(
    'N',
    Option.String('--keep-releases', String(defaultReleasesKept), {
      description: `How many releases the cluster keeps in its history (default ${defaultReleasesKept})`,
    }),
  );
  target = valueNamed(
    'NAME',
    Option.Array('--target', [], { description: 'Apply to this declared target (repeatable)' }),
  );
  allTargets = Option.Boolean('--all-targets', false, {
    description: 'Apply to every declared target, one after another',
  });
  at = valueNamed(
    'TIME',
    Option.String('--at', { description: 'Evaluate time-qualified tags at this RFC 3339 instant instead of now' }),
  );
  refreshSecrets = Option.Boolean('--refresh-secrets', false, {
    description: 'Send secret values that cannot be compared (no $DGATE_CLI_HASH_KEY) again',
  });
  refresh = Option.Boolean('--refresh', false, {
    description:
      'Write again what cannot be compared: secret values, and documents of private collections (which DGate never returns)',
  });
  pklEnv = pklEnvOption();
  pklTimeout = pklTimeoutOption();

  protected async run(): Promise<number> {
    const source = this.configPath ?? '.';
    const saved = source.endsWith('.json') ? await readSavedPlan(source) : undefined;
    const configSource = saved ? saved.configPath : source;
    const checked = await readCheckedConfig(configSource, undefined, pklOptionsFrom(this.pklEnv, this.pklTimeout));
    if (this.reportDiagnostics(checked.diagnostics, configSource, 'applied')) return ExitCode.ERROR;
    const flags = { target: this.target, allTargets: this.allTargets };
    if (saved?.target) {
      if (this.target.length > 0 && !this.target.includes(saved.target.name)) {
        throw new DgateError({
          code: 'DG1707',
          message: `the saved plan is for target '${saved.target.name}', not ${this.target.join(', ')}`,
          hint: 'leave out --target when applying a saved plan',
        });
      }
      flags.target = [saved.target.name];
      flags.allTargets = false;
    }
    const targets = chooseTargets(checked.config, flags, 'write');
    // A saved plan is applied as it was reviewed: its selectors are judged at the instant it was made.
    const savedAt = saved?.desiredState.target?.evaluatedAt;
    const at = savedAt ? Date.parse(savedAt) : evaluationInstant(this.at);
    const lockTimeoutMs = parseFlagDuration(this.lockTimeout, '--lock-timeout');
    const done: string[] = [];
    for (const [i, target] of targets.entries()) {
      if (targets.length > 1)
        this.context.stdout.write(`${i > 0 ? '\n' : ''}${this.style.bold(`── target ${target.name} ──`)}\n`);
      let code: number;
      try {
        const client = await connectTarget(
          target,
          connectionOf(target, this.connectionFlags(), checked.input.root, process.env, targets.length),
        );
        code = await this.underApplyLock(
          `apply ${source}`,
          lockTimeoutMs,
          (c, lock, interrupt) => this.applyTarget(c, lock, { checked, configSource, saved, target, at, interrupt }),
          { client },
        );
      } catch (err) {
        if (targets.length > 1) this.reportProgress(done, target, targets.slice(i + 1));
        throw err;
      }
      if (code !== ExitCode.OK) {
        if (targets.length > 1) this.reportProgress(done, target, targets.slice(i + 1));
        return code;
      }
      done.push(target.name);
    }
    if (targets.length > 1)
      this.context.stdout.write(`\n${this.style.green('All targets applied:')} ${done.join(', ')}.\n`);
    return ExitCode.OK;
  }

  /** After a target failed: which targets were applied, and which were not tried. Each target is its own transaction. */
  private reportProgress(done: string[], failed: Target, rest: Target[]): void {
    const parts = [
      done.length > 0 ? `applied to ${done.join(', ')} (kept)` : 'no target applied',
      `${failed.name} failed`,
      ...(rest.length > 0 ? [`not attempted: ${rest.map((t) => t.name).join(', ')}`] : []),
    ];
    this.context.stderr.write(`${this.errStyle.yellow('targets:')} ${parts.join('; ')}\n`);
  }

  /** Plans and applies one target under its lock (shared with `reconcile`, which follows a branch). */
  protected async applyTarget(client: AdminClient, lock: HeldLock, job: ApplyJob): Promise<number> {
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
    if (this.reportDiagnostics(compiled.diagnostics, configSource, 'applied') || !compiled.state) return ExitCode.ERROR;
    const desired = compiled.state;
    const sources = sourcesOfConfig(checked, await this.ageIdentities());
    const made = await makePlan({
      sources,
      desired,
      client,
      selectTags: saved ? saved.scope.selectTags : this.selectTag,
      namespaces: checked.config.namespaces.map((n) => n.name),
      refreshSecrets:
        this.refreshSecrets || this.refresh || saved?.changes.some((c) => c.fields.some((f) => f.refresh)),
      refreshDocuments:
        this.refresh || saved?.changes.some((c) => c.fields.some((f) => f.unreadable === unreadableNotes.refresh)),
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
    if (plan.changes.length > 0 || !job.quietWhenInSync)
      this.context.stdout.write(renderPlanHuman(plan, this.style, configSource));
    if (plan.changes.length === 0) return ExitCode.OK;
    // Resolved and encrypted before the first write: a value that cannot be kept stops the apply here.
    const recipients = ageRecipientsFrom(configSettings(checked.config).ageRecipients ?? [], process.env);
    const secretValues = recipients.length > 0 ? await keepSensitiveValues(desired, sources, recipients) : undefined;
    if (!this.autoApprove) {
      const approved = await this.confirm(plan);
      if (!approved) {
        this.context.stdout.write('Apply cancelled; nothing changed.\n');
        return ExitCode.ERROR;
      }
    }
    const ctx = createApplyContext({
      client,
      journal,
      namespaces: plan.scope.namespaces,
      sources,
      desiredDigests: made.desiredDigests,
      onEvent: this.printApplyEvent,
      warn: (line) => this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`),
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
      ...(secretValues ? { secretValues, secretRecipients: recipients } : {}),
    });
    ctx.release = releaseStep(client, release);
    const result = await executeApply(
      { desired: made.desired, scope: plan.scope, changes: plan.changes, pre: { read: made.read, live: made.live } },
      ctx,
    );
    if (result.outcome === 'applied') {
      await journal.archive();
      this.context.stdout.write(
        `${this.style.green('Apply complete:')} ${s.create} created, ${s.update} updated, ${s.delete} deleted. The cluster matches ${desired.version} (release ${release.number}).\n`,
      );
      for (const problem of await pruneReleases(client, Number(this.keepReleases)))
        this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${problem}\n`);
      if (result.foreignWrites) {
        this.context.stderr.write(
          `${this.errStyle.yellow('warning:')} ${plural(result.foreignWrites, 'write')} by another client reached ${client.baseUrl} while this apply ran (its change log grew by more than this apply's writes); run \`dgate-cli plan\` to see whether they touched managed resources\n`,
        );
      }
      return ExitCode.OK;
    }
    await journal.archive();
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

  private async confirm(plan: Plan): Promise<boolean> {
    const stdin = process.stdin;
    if (!stdin.isTTY) {
      throw new DgateError({
        code: 'DG3001',
        message: 'apply needs confirmation, and there is no terminal to ask on',
        hint: 'review the plan above, then run again with --auto-approve (as CI does)',
      });
    }
    const s = plan.summary;
    this.context.stdout.write(
      `\nApply ${plural(s.create + s.update + s.delete, 'change')} to ${plan.cluster.adminUrl}? Only 'yes' applies: `,
    );
    const answer = await new Promise<string>((resolve) => {
      stdin.setEncoding('utf8');
      stdin.once('data', (d) => resolve(String(d).trim()));
    });
    stdin.pause();
    return answer === 'yes';
  }
}

interface LoadedSavedPlan extends SavedPlan {
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
}

async function readSavedPlan(file: string): Promise<LoadedSavedPlan> {
  let saved: LoadedSavedPlan;
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as LoadedSavedPlan;
  } catch (err) {
    throw new DgateError({
      code: 'DG0006',
      message: `cannot read the saved plan '${file}': ${(err as Error).message}`,
      hint: 'save one with `dgate-cli plan --out FILE`',
    });
  }
  if (saved.format !== planFormat || !saved.desiredState || typeof saved.configPath !== 'string') {
    throw new DgateError({
      code: 'DG0006',
      message: `'${file}' is not a plan saved by this version of dgate-cli`,
      hint: 'save one with `dgate-cli plan --out FILE`',
    });
  }
  return saved;
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
