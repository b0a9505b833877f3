import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ClusterCommand } from '../cli/cluster-command.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { pklEnvOption, pklOptionsFrom, pklTimeoutOption } from '../cli/pkl-flags.js';
import { journalRefusingInterrupted } from '../pipeline/interrupted.js';
import { followRollouts, makePlan, sourcesOfConfig } from '../pipeline/make-plan.js';
import { chooseTargets, evaluationInstant } from '../pipeline/target-choice.js';
import { TargetSessions } from '../pipeline/target-sessions.js';
import { toolVersion } from '../cli/tool-version.js';
import { compileTarget } from '../compile/compile.js';
import { nextScheduledChange } from '../select/schedule.js';
import { DgateError } from '../errors/dgate-error.js';
import { hasChanges, type Plan, type SavedPlan } from '../plan/plan.js';
import { canonicalJson } from '../state/canonical-json.js';
import { valueNamed } from '../cli/value-names.js';
import { allowMassDeleteOption, allowProtectedOption } from '../cli/apply-flags.js';
import { guardRefusal, guardsOfPlan, type GuardReport } from '../guards/guards.js';
import { describeMassDelete } from '../guards/mass-delete.js';
import { describeWindowStatus } from '../guards/windows.js';
import { renderDiagnostic } from '../errors/render.js';
import { checkGuards } from '../pipeline/guard-step.js';
import { tryOnScratch } from '../pipeline/try-step.js';
import { routeChecks } from '../smoke/smoke-check.js';
import { renderTryLines, type TryUpstreams, tryFailure } from '../smoke/try-report.js';

export class PlanCommand extends ClusterCommand {
  static override paths = [['plan']];
  static override usage = Command.Usage({
    description: 'Show what applying a config would change on a live cluster',
    details: `
      Compiles the config, reads the namespaces it declares from the cluster, and lists every
      change field by field, in the order apply would make them: \`+\` create, \`~\` update (old →
      new; module sources as a unified diff), \`-\` delete. Namespaces the config does not declare
      are never touched, and the plan says how many it left alone. Sensitive values are masked.

      With \`--detailed-exitcode\` the exit code is 0 for no changes, 2 for changes, 1 for an
      error, so a CI step can branch on it. \`--out\` saves the plan for \`apply plan.json\`, which
      refuses to apply it if the cluster changed in the meantime.

      When the config declares \`targets:\`, every target is planned (or those named with
      \`--target\`), each against its own cluster with the resources its tags select; a
      namespace a target does not get is emptied there. Each plan says when time tags will next
      change what the target gets. An unreachable target is reported and the others still
      planned (exit 1).
    `,
    examples: [
      ['Plan the current directory against the local admin API', '$0 plan'],
      ['Plan against another cluster', '$0 plan examples/shop --admin http://dgate.internal:9080'],
      ['A pull-request comment', '$0 plan --format markdown > plan.md'],
      ['In CI: fail the job on error, flag changes', '$0 plan --detailed-exitcode --out plan.json'],
      ['Only the resources one team owns', '$0 plan --select-tag team:checkout'],
      ['One target of a multi-cluster config', '$0 plan examples/regions --target eu-prod'],
      ['In a GitHub Actions job of a pull request: the plan as one comment, kept up to date', '$0 plan --comment'],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'human', {
      description: 'human (default), json (schema/plan.schema.json) or markdown',
      validator: t.isEnum(['human', 'json', 'markdown']),
    }),
  );
  detailedExitcode = Option.Boolean('--detailed-exitcode', false, {
    description: 'Exit 0 when there are no changes, 2 when there are, 1 on error',
  });
  out = valueNamed(
    'FILE',
    Option.String('--out,-o', {
      description: 'Save the plan (with its desired state, no secret values) for `apply FILE` (one target)',
    }),
  );
  selectTag = valueNamed(
    'TAG',
    Option.Array('--select-tag', [], {
      description: 'Manage only resources carrying this tag (repeatable; all must match), e.g. team:checkout',
    }),
  );
  target = valueNamed(
    'NAME',
    Option.Array('--target', [], { description: 'Plan this declared target (repeatable; default: every target)' }),
  );
  allTargets = Option.Boolean('--all-targets', false, { description: 'Plan every declared target (the default)' });
  at = valueNamed(
    'TIME',
    Option.String('--at', { description: 'Evaluate time-qualified tags at this RFC 3339 instant instead of now' }),
  );
  refreshSecrets = Option.Boolean('--refresh-secrets', false, {
    description: 'Plan to send secret values that cannot be compared (no $DGATE_CLI_HASH_KEY) again',
  });
  allowProtected = allowProtectedOption();
  allowMassDelete = allowMassDeleteOption();
  refresh = Option.Boolean('--refresh', false, {
    description:
      'Plan to write again what cannot be compared: secret values, and documents of private collections (which DGate never returns)',
  });
  pklEnv = pklEnvOption();
  pklTimeout = pklTimeoutOption();
  try = Option.Boolean('--try', false, {
    description:
      "Try the change first on a throwaway dgate-server on loopback ($DGATE_SERVER_BIN, else the Go bin directory or PATH): put the desired state there and send the routes' checks through it; a failed check fails the plan",
  });
  tryUpstreams = valueNamed(
    'echo|real',
    Option.String('--try-upstreams', 'echo', {
      description:
        "With --try: point every service at dgate-cli's echo upstream (echo, the default: nothing leaves the machine), or keep their URLs (real)",
      validator: t.isEnum(['echo', 'real']),
    }),
  );
  comment = Option.Boolean('--comment', false, {
    description:
      'Write the plan as a comment on the pull request ($GITHUB_TOKEN, $GITHUB_REPOSITORY, $GITHUB_EVENT_PATH), updating the one an earlier run wrote',
  });

  protected async run(): Promise<number> {
    const source = this.configPath ?? '.';
    const sessions = new TargetSessions(
      { target: this.target, allTargets: this.allTargets, ...this.connectionFlags() },
      'read',
    );
    try {
      return await this.planWith(sessions, source);
    } finally {
      await sessions.close();
    }
  }

  private async planWith(sessions: TargetSessions, source: string): Promise<number> {
    // What is needed only once the cluster read is under way (git for the commit, the diff
    // library that renders a plan) is loaded after it starts, not before the first request.
    const loadRest = () => Promise.all([import('../io/git.js'), import('../report/plan-render.js')]);
    let rest: ReturnType<typeof loadRest> | undefined;
    const checked = await readCheckedConfig(
      source,
      (config, root) => {
        sessions.start(config, root);
        rest = loadRest();
        rest.catch(() => undefined);
      },
      pklOptionsFrom(this.pklEnv, this.pklTimeout),
    );
    const later = rest ?? loadRest();
    if (this.reportDiagnostics(checked.diagnostics, source, 'planned')) return ExitCode.ERROR;
    const at = evaluationInstant(this.at);
    const targets = chooseTargets(checked.config, { target: this.target, allTargets: this.allTargets }, 'read');
    if (this.out && targets.length > 1) {
      throw new DgateError({
        code: 'DG1708',
        message: `a saved plan is for one target, and ${targets.length} are chosen`,
        hint: 'add --target NAME (one saved plan per target)',
      });
    }
    const metadata = {
      tool: { name: 'dgate-cli' as const, version: toolVersion() },
      git: await (await later)[0].readGitInfo(checked.input.root),
    };
    const namespaces = checked.config.namespaces.map((n) => n.name);
    const { renderPlanHuman, renderPlanMarkdown } = (await later)[1];
    const plans: Plan[] = [];
    let failed = 0;
    for (const target of targets) {
      const compiled = compileTarget(checked.config, checked.files, metadata, target, at, checked.bundles);
      if (this.reportDiagnostics(compiled.diagnostics, source, 'planned') || !compiled.state) return ExitCode.ERROR;
      const desired = compiled.state;
      let plan: Plan;
      let guards: GuardReport;
      try {
        const session = sessions.get(target, checked.config, checked.input.root, targets.length);
        const client = await session.client;
        const made = await makePlan({
          sources: sourcesOfConfig(checked, await this.ageIdentities()),
          desired: await followRollouts(client, desired),
          client,
          selectTags: this.selectTag,
          liveRead: session.liveRead,
          namespaces,
          refreshSecrets: this.refreshSecrets || this.refresh,
          refreshDocuments: this.refresh,
        });
        plan = made.plan;
        guards = await checkGuards(client, made, checked.config, at);
        const said = guardsOfPlan(guards);
        if (said) plan.guards = said;
        // After the read (already under way): a cluster that does not answer is reported as such first.
        await journalRefusingInterrupted(client, false);
      } catch (err) {
        // One unreachable target does not hide the plans of the others; the exit code says it failed.
        if (!(err instanceof DgateError) || targets.length === 1) throw err;
        failed++;
        this.reportError(err, `target ${target.name}`);
        continue;
      }
      if (target.spec) {
        const next = nextScheduledChange(checked.config, target, at);
        plan.target = {
          name: target.name,
          ...(desired.target?.evaluatedAt ? { evaluatedAt: desired.target.evaluatedAt } : {}),
          nextChange: next,
        };
      }
      if (this.try) {
        plan.try = await tryOnScratch(desired, routeChecks(checked.config, desired.resources), {
          upstreams: this.tryUpstreams as TryUpstreams,
          log: (line) => this.context.stderr.write(`${line}\n`),
        });
      }
      plans.push(plan);
      if (this.out) {
        const saved: SavedPlan = { ...plan, desiredState: desired, configPath: source };
        try {
          await writeFile(this.out, `${canonicalJson(saved, 2)}\n`);
        } catch (err) {
          throw new DgateError({
            code: 'DG0005',
            message: `cannot write '${this.out}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
            hint: 'check that the directory exists and is writable',
            cause: err,
          });
        }
      }
      if (this.format === 'markdown')
        this.context.stdout.write((plans.length > 1 ? '\n' : '') + renderPlanMarkdown(plan, source));
      else if (this.format === 'human')
        this.context.stdout.write((plans.length > 1 ? '\n' : '') + renderPlanHuman(plan, this.style, source));
      if (plan.try && this.format !== 'json')
        this.context.stdout.write(
          this.format === 'markdown'
            ? `\n\`\`\`\n${renderTryLines(plan.try).join('\n')}\n\`\`\`\n`
            : `${renderTryLines(plan.try).join('\n')}\n`,
        );
      if (plan.try?.status === 'failed') {
        failed++;
        if (targets.length > 1) this.reportError(tryFailure(plan.try, 'plan'), `target ${target.name}`);
        else this.fail(tryFailure(plan.try, 'plan'));
      }
      if (this.reportGuards(guards, targets.length > 1 ? target.name : undefined)) failed++;
    }
    if (this.format === 'json') {
      const single = targets.length === 1 && !this.allTargets;
      this.context.stdout.write(`${canonicalJson(single ? plans[0] : { format: 'dgate-cli/plan-set@1', plans }, 2)}\n`);
    }
    if (this.out && this.format === 'human')
      this.context.stderr.write(`Saved the plan to ${this.out}; apply it with: dgate-cli apply ${this.out}\n`);
    if (this.ciMode === 'github' || this.comment) {
      const github = await import('../cli/github-plan-report.js');
      const made = { plans, source, targets: this.target, savedPlan: this.out };
      const warn = (line: string) => this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`);
      if (this.ciMode === 'github') await github.writeGithubStepFiles(made, process.env, warn);
      if (this.comment) this.context.stderr.write(`${await github.commentPlanOnPullRequest(made, process.env)}\n`);
    }
    if (failed > 0) return ExitCode.ERROR;
    return this.detailedExitcode && plans.some(hasChanges) ? ExitCode.CHANGES : ExitCode.OK;
  }

  /**
   * What the guards say of a plan: a protected resource it would delete or recreate is an error
   * (as apply would refuse it); a mass delete, which apply and reconcile refuse, a warning.
   * Returns true when plan is to fail.
   */
  private reportGuards(guards: GuardReport, target: string | undefined): boolean {
    const on = target ? `target ${target}: ` : '';
    if (guards.window && this.format === 'human')
      this.context.stdout.write(`Change windows: ${on}${describeWindowStatus(guards.window)}.\n`);
    if (guards.massDelete && !this.allowMassDelete)
      this.context.stderr.write(
        `${renderDiagnostic(
          {
            code: 'DG3014',
            severity: 'warning',
            message: `${on}${describeMassDelete(guards.massDelete)}; apply and reconcile will refuse it`,
            ...(guards.massDelete.setting.location ? { location: guards.massDelete.setting.location } : {}),
            hint: 'give them --allow-mass-delete if these deletes are meant',
          },
          this.errStyle,
        )}\n`,
      );
    const refusal = guardRefusal(guards, { protected: this.allowProtected, checkMassDelete: false });
    if (!refusal) return false;
    this.fail(refusal);
    return true;
  }
}
