import { readFile, writeFile } from 'node:fs/promises';
import { canonicalJson } from '../state/canonical-json.js';
import type { PlanDocument } from '../schema/generated/plan.js';
import { Command, Option } from 'clipanion';
import { valueNamed } from '../cli/value-names.js';
import { clientOptionsFrom } from '../cluster/client.js';
import * as t from 'typanion';
import type { TryUpstreams } from '../smoke/try-report.js';
import { ClusterCommand } from '../cli/cluster-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { parseFlagDuration } from '../cli/flag-duration.js';
import { pklEnvOption, pklOptionsFrom, pklTimeoutOption } from '../cli/pkl-flags.js';
import {
  selectTagOption,
  lockTimeoutOption,
  keepReleasesOption,
  targetOption,
  allTargetsOption,
  atOption,
  refreshSecretsOption,
  refreshOption,
  allowProtectedOption,
  allowMassDeleteOption,
  overrideWindowOption,
} from '../cli/apply-flags.js';
import { DgateError } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { planFormat, type Plan } from '../plan/plan.js';
import { inWaves, type Target } from '../select/targets.js';
import {
  type AppliedTarget,
  type ApplyIo,
  applyTarget,
  type ApplyOptions,
  type LoadedSavedPlan,
} from '../pipeline/apply-target.js';
import type { CheckedConfig } from '../pipeline/read-config.js';
import { stoppedBetweenTargets, watchBetweenTargets } from '../cli/interrupts.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { chooseTargets, connectionOf, connectTarget, evaluationInstant } from '../pipeline/target-choice.js';
import type { AdminClient } from '../cluster/client.js';
import { effectiveReleases, readReleases } from '../cluster/releases.js';
import { canaryVersion, formatWeight } from '../model/canary.js';
import {
  type DeclaredRollout,
  declaredRollouts,
  metricsNodes,
  needsMetrics,
  recordStarted,
  requireMetrics,
  requireProbeProxies,
  requirePrometheus,
  rolloutsToRun,
  runRollout,
} from '../pipeline/canary-rollout.js';

/** The number of the cluster's latest release, before an apply: what a canary it starts returns to on abort. */
async function latestReleaseNumber(client: AdminClient): Promise<number | undefined> {
  return effectiveReleases(await readReleases(client)).at(-1)?.number;
}

/** Which targets an apply of several has done, and whether one holds its lock now. */
interface TargetProgress {
  done: string[];
  inTarget: boolean;
}

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

      After the apply, every node of the cluster is read (the target's \`admin:\` URLs, else the
      raft cluster's list) until it holds the applied state, within \`--converge-timeout\`, and
      each route's \`checks:\` are sent through every node's proxy. A node that lags or fails a
      check is named with what differs, and apply exits 3 (DG3201) without rolling back: the
      change is applied. \`--no-converge\` skips this (docs/try-and-converge.md).

      \`--try\` first puts the desired state on a throwaway dgate-server on loopback and sends the
      routes' checks through it; when DGate refuses it or a check fails, apply stops there (DG3202)
      and the cluster is not touched.
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
  selectTag = selectTagOption();
  lockTimeout = lockTimeoutOption();
  keepReleases = keepReleasesOption();
  target = targetOption();
  allTargets = allTargetsOption();
  at = atOption();
  refreshSecrets = refreshSecretsOption();
  refresh = refreshOption();
  allowProtected = allowProtectedOption();
  allowMassDelete = allowMassDeleteOption();
  overrideWindow = overrideWindowOption();
  pklEnv = pklEnvOption();
  pklTimeout = pklTimeoutOption();
  noWait = Option.Boolean('--no-wait', false, {
    description: 'Start canaries with steps and leave the rest of their steps to `dgate-cli canary resume`',
  });
  converge = Option.Boolean('--converge', true, {
    description:
      "After applying, read every node until it holds the applied state and send the routes' checks through each proxy (default; --no-converge skips it)",
  });
  convergeTimeout = valueNamed(
    'DURATION',
    Option.String('--converge-timeout', '30s', {
      description: 'How long every node has to hold the applied state before it is reported as lagging (exit 3)',
    }),
  );
  try = Option.Boolean('--try', false, {
    description:
      "Try the change first on a throwaway dgate-server on loopback, with the routes' checks; a failed check stops the apply before the cluster is touched",
  });
  tryUpstreams = valueNamed(
    'echo|real',
    Option.String('--try-upstreams', 'echo', {
      description:
        "With --try: point every service at dgate-cli's echo upstream (echo, the default), or keep their URLs (real)",
      validator: t.isEnum(['echo', 'real']),
    }),
  );
  report = valueNamed(
    'FILE',
    Option.String('--report', {
      description:
        'Write what was applied as JSON (schema/plan.schema.json: each plan with its release and convergence), also when a node did not converge',
    }),
  );
  proxy = valueNamed(
    'URL',
    Option.String('--proxy', {
      description:
        "Proxy URL of the node applied to, for the routes' checks after the apply (a declared target lists its nodes' proxy: URLs instead)",
    }),
  );

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
    const chosen = chooseTargets(checked.config, flags, 'write');
    // Fleet waves: with canaries that have steps, the canary targets go first, and the rest only
    // after their canaries are promoted (an abort stops the apply there); with --no-wait, the
    // canary wave alone.
    const stepped = declaredRollouts(checked.config).length > 0;
    const waves = inWaves(chosen);
    const targets = stepped && chosen.length > 1 && waves.canary.length > 0 ? [...waves.canary, ...waves.rest] : chosen;
    if (targets !== chosen) {
      this.context.stdout.write(
        `${this.style.bold('Waves:')} canary targets ${waves.canary.map((t) => t.name).join(', ')} first${waves.rest.length > 0 ? `; then ${waves.rest.map((t) => t.name).join(', ')}, once their canaries are promoted` : ''}.\n`,
      );
      if (this.noWait && waves.rest.length > 0) {
        targets.splice(waves.canary.length);
        this.context.stdout.write(
          `--no-wait: applying the canary wave only; apply again for ${waves.rest.map((t) => t.name).join(', ')} once \`dgate-cli canary status\` shows its canaries promoted.\n`,
        );
      }
    }
    // A saved plan is applied as it was reviewed: its selectors are judged at the instant it was made.
    const savedAt = saved?.desiredState.target?.evaluatedAt;
    const at = savedAt ? Date.parse(savedAt) : evaluationInstant(this.at);
    const lockTimeoutMs = parseFlagDuration(this.lockTimeout, '--lock-timeout');
    const options: ApplyOptions = {
      selectTags: this.selectTag,
      refreshSecrets: this.refreshSecrets,
      refresh: this.refresh,
      allowProtected: this.allowProtected,
      allowMassDelete: this.allowMassDelete,
      ...(this.overrideWindow !== undefined ? { overrideWindow: this.overrideWindow } : {}),
      keepReleases: Number(this.keepReleases),
      identities: () => this.ageIdentities(),
      ...(this.autoApprove ? {} : { confirm: (plan: Plan) => this.confirm(plan) }),
      ...(this.try ? { try: { upstreams: this.tryUpstreams as TryUpstreams } } : {}),
      converge: {
        enabled: this.converge,
        timeoutMs: parseFlagDuration(this.convergeTimeout, '--converge-timeout'),
        // --proxy belongs to the node --admin names, which need not be the leader apply writes through.
        ...(this.proxy !== undefined
          ? { proxyUrl: this.proxy, proxyAdminUrl: clientOptionsFrom({ admin: this.admin }, process.env).baseUrl }
          : {}),
      },
    };
    // Where the loop over targets stands: a signal outside a target's lock is answered with it.
    const progress: TargetProgress = { done: [], inTarget: false };
    const between = watchBetweenTargets({
      inside: () => progress.inTarget,
      progress: () => ({ done: progress.done, rest: targets.slice(progress.done.length).map((t) => t.name) }),
      stop: (err) => this.fail(err),
    });
    try {
      const code = await this.applyEach(targets, progress, {
        checked,
        configSource,
        saved,
        source,
        at,
        lockTimeoutMs,
        options,
      });
      // Under GitHub Actions, what was applied goes to the step summary and outputs: also when a
      // later target failed, since what was applied to the others is kept.
      if (this.ciMode === 'github') {
        const github = await import('../cli/github-plan-report.js');
        await github.writeGithubApplyFiles(this.applied, source, process.env, (line) =>
          this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`),
        );
      }
      return code;
    } finally {
      between.dispose();
      if (this.report) await this.writeReport(this.report, targets.length > 1 || this.allTargets);
    }
  }

  /**
   * `--report FILE`: the plans applied, each with the release that records it and what reading
   * every node found, as `plan --format json` prints plans (a plan set for several targets).
   */
  private async writeReport(file: string, several: boolean): Promise<void> {
    const plans: PlanDocument[] = this.applied.map((a) => ({
      ...a.plan,
      release: a.release,
      ...(a.converge ? { converge: a.converge } : {}),
    }));
    const doc = several ? { format: 'dgate-cli/plan-set@1', plans } : (plans[0] ?? null);
    try {
      await writeFile(file, `${canonicalJson(doc, 2)}\n`);
    } catch (err) {
      this.context.stderr.write(
        `${this.errStyle.yellow('warning:')} --report: cannot write '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`,
      );
    }
  }

  /**
   * After the apply: records the canaries with steps it started, and (unless --no-wait) runs
   * each through its steps (pipeline/canary-rollout.ts). An abort exits 1 (DG3018).
   */
  private async runCanaries(
    client: AdminClient,
    declared: DeclaredRollout[],
    start: { baseRelease: number | undefined; proxies: string[] },
    interrupt: AbortSignal,
  ): Promise<number> {
    const applied = this.applied.at(-1);
    const running = await recordStarted(
      client,
      declared,
      { desiredVersion: applied?.plan.desired.version ?? '', ...start },
      new Date(),
    );
    if (running.length === 0) return ExitCode.OK;
    if (this.noWait) {
      for (const r of running)
        this.context.stdout.write(
          `canary ${r.namespace}/${r.route} → ${canaryVersion(r)} is at ${formatWeight(r.weight)}, step ${Math.min(r.step + 1, r.steps.length)} of ${r.steps.length}; \`dgate-cli canary resume\` runs the rest.\n`,
        );
      return ExitCode.OK;
    }
    const io = { ...this.applyIo(), identities: await this.ageIdentities(), signal: interrupt };
    for (const record of running) {
      const { outcome, record: end } = await runRollout(client, await metricsNodes(client), record, io);
      if (outcome === 'aborted')
        throw new DgateError({
          code: 'DG3018',
          message: `canary ${end.namespace}/${end.route} → ${canaryVersion(end)} was aborted: ${end.reason}`,
          hint: `the cluster is back at ${end.returnedTo !== undefined ? `release ${end.returnedTo}` : 'the canary at 0%'}; \`dgate-cli canary status\` shows every check; a changed canary (service, steps or checks) starts a new rollout when applied`,
        });
      if (outcome === 'stopped') return ExitCode.INTERRUPTED;
      if (outcome === 'failed') return ExitCode.ERROR;
    }
    return ExitCode.OK;
  }

  /** The targets this run changed, as they were applied. */
  private readonly applied: AppliedTarget[] = [];

  protected override applyIo(): ApplyIo {
    return { ...super.applyIo(), onApplied: (a) => this.applied.push(a) };
  }

  /** Applies each target in turn, each its own transaction under its own lock; reports progress when one fails. */
  private async applyEach(
    targets: Target[],
    progress: TargetProgress,
    job: {
      checked: CheckedConfig;
      configSource: string;
      saved: LoadedSavedPlan | undefined;
      source: string;
      at: number;
      lockTimeoutMs: number;
      options: ApplyOptions;
    },
  ): Promise<number> {
    const done = progress.done;
    const { checked, configSource, saved, source, at, lockTimeoutMs, options } = job;
    for (const [i, target] of targets.entries()) {
      if (targets.length > 1)
        this.context.stdout.write(`${i > 0 ? '\n' : ''}${this.style.bold(`── target ${target.name} ──`)}\n`);
      let code: number;
      try {
        const client = await connectTarget(
          target,
          connectionOf(target, this.connectionFlags(), checked.input.root, process.env, targets.length),
        );
        progress.inTarget = true;
        try {
          code = await this.underApplyLock(
            `apply ${source}`,
            lockTimeoutMs,
            async (c, lock, interrupt) => {
              const canaries = declaredRollouts(checked.config);
              const wait = canaries.length > 0 && !this.noWait;
              // Checks need the node's metrics: refused before anything is written.
              if (wait && needsMetrics(canaries)) await requireMetrics(await metricsNodes(c));
              const proxies = target.spec?.proxy ?? (this.proxy !== undefined ? [this.proxy] : []);
              requireProbeProxies(canaries, proxies);
              // Prometheus queries are asked once: refused before anything is written when unanswered.
              if (wait && canaries.some((d) => d.rules.prometheus !== undefined))
                await requirePrometheus(await rolloutsToRun(c, canaries));
              const baseRelease = canaries.length > 0 ? await latestReleaseNumber(c) : undefined;
              const code = await applyTarget(
                c,
                lock,
                { checked, configSource, saved, target, at, windowAt: evaluationInstant(this.at), interrupt },
                options,
                this.applyIo(),
              );
              if (code !== ExitCode.OK || canaries.length === 0) return code;
              return this.runCanaries(c, canaries, { baseRelease, proxies }, interrupt);
            },
            {
              client,
              beforeAnyChange: (sig) =>
                stoppedBetweenTargets(
                  sig,
                  done,
                  targets.slice(i).map((t) => t.name),
                ),
            },
          );
        } finally {
          progress.inTarget = false;
        }
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
