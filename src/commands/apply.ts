import { readFile } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import { executeApply } from '../apply/execute.js';
import { createApplyContext } from '../cli/apply-context.js';
import { ClusterCommand } from '../cli/cluster-command.js';
import { readCheckedConfig } from '../cli/config-input.js';
import { ExitCode } from '../cli/exit-codes.js';
import { parseFlagDuration } from '../cli/flag-duration.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import { makePlan, sourcesOfConfig, startLiveRead } from '../cli/make-plan.js';
import { toolVersion } from '../cli/tool-version.js';
import type { LiveRead } from '../cluster/api-types.js';
import type { AdminClient } from '../cluster/client.js';
import type { HeldLock } from '../cluster/lock.js';
import { currentActor, defaultReleasesKept, recordRelease } from '../cluster/releases.js';
import { compileConfig } from '../compile/compile.js';
import { DgateError } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { readGitInfo } from '../io/git.js';
import { kinds } from '../model/registry.js';
import { planFormat, type Plan, type SavedPlan } from '../plan/plan.js';
import { renderPlanHuman } from '../report/plan-render.js';
import type { DesiredState } from '../schema/generated/desired-state.js';

export class ApplyCommand extends ClusterCommand {
  static override paths = [['apply']];
  static override usage = Command.Usage({
    description: 'Apply a config (or a saved plan) to a cluster, all or nothing',
    details: `
      Shows the plan, asks for confirmation on a terminal (\`--auto-approve\` in CI), then makes
      the changes in dependency order, each recorded in a journal under .dgate-cli/ before it is
      sent. The cluster is read back and compared with the desired state. If any step fails, or
      the read-back differs, the changes already made are undone in reverse, the cluster is read
      again, and the command says whether it now equals its state before (exit 1).

      Given a plan saved with \`plan --out\`, applies exactly that plan, and refuses if the
      cluster or the config changed since it was made. If an earlier apply was interrupted (the
      process killed), apply refuses until \`dgate-cli recover\` has dealt with it.
    `,
    examples: [
      ['Apply the current directory, confirming on the terminal', '$0 apply'],
      ['In CI', '$0 apply examples/shop --auto-approve'],
      ['Apply a reviewed plan', '$0 plan --out plan.json && $0 apply plan.json --auto-approve'],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  autoApprove = Option.Boolean('--auto-approve', false, { description: 'Apply without asking (required when not on a terminal)' });
  selectTag = Option.Array('--select-tag', [], { description: 'Manage only resources carrying this tag (repeatable)' });
  lockTimeout = Option.String('--lock-timeout', '0s', { description: 'How long to wait for another apply to this cluster to finish (default 0s: fail at once)' });
  keepReleases = Option.String('--keep-releases', String(defaultReleasesKept), { description: `How many releases the cluster keeps in its history (default ${defaultReleasesKept})` });

  protected async run(): Promise<number> {
    const source = this.configPath ?? '.';
    return this.underApplyLock(`apply ${source}`, parseFlagDuration(this.lockTimeout, '--lock-timeout'), (client, lock) => this.applyWith(client, source, lock));
  }

  private async applyWith(client: AdminClient, source: string, lock: HeldLock): Promise<number> {
    const journal = new JournalStore(stateDirectory(), client.baseUrl);
    const saved = source.endsWith('.json') ? await readSavedPlan(source) : undefined;
    const configSource = saved ? saved.configPath : source;
    let liveRead: Promise<LiveRead> | undefined;
    const checked = await readCheckedConfig(configSource, (config) => (liveRead = startLiveRead(client, config)));
    if (this.reportDiagnostics(checked.diagnostics, configSource, 'applied')) return ExitCode.ERROR;
    const desired = compileConfig(checked.config, checked.files, { tool: { name: 'dgate-cli', version: toolVersion() }, git: await readGitInfo(checked.input.root) });
    const made = await makePlan({ sources: sourcesOfConfig(checked), desired, client, selectTags: saved ? saved.scope.selectTags : this.selectTag, liveRead });
    if (saved) refuseStale(saved, made.plan, desired, configSource);
    const plan = made.plan;
    this.context.stdout.write(renderPlanHuman(plan, this.style, configSource));
    if (plan.changes.length === 0) return ExitCode.OK;
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
      sources: sourcesOfConfig(checked),
      desiredDigests: made.desiredDigests,
      onEvent: this.printApplyEvent,
    });
    ctx.ownWritesElsewhere = lock.renewals;
    const result = await executeApply({ desired, scope: plan.scope, changes: plan.changes, pre: { read: made.read, live: made.live } }, ctx);
    if (result.outcome === 'applied') {
      await journal.archive();
      const s = plan.summary;
      const release = await recordRelease(
        client,
        { kind: 'apply', desiredVersion: desired.version, git: desired.metadata.git, appliedBy: currentActor(process.env), appliedAt: new Date().toISOString(), summary: s, desiredState: desired, configRoot: checked.input.root },
        Number(this.keepReleases),
      );
      this.context.stdout.write(`${this.style.green('Apply complete:')} ${s.create} created, ${s.update} updated, ${s.delete} deleted. The cluster matches ${desired.version} (release ${release.number}).\n`);
      if (result.foreignWrites) {
        this.context.stderr.write(
          `${this.errStyle.yellow('warning:')} ${plural(result.foreignWrites, 'write')} by another client reached ${client.baseUrl} while this apply ran (its change log grew by more than this apply's writes); run \`dgate-cli plan\` to see whether they touched managed resources\n`,
        );
      }
      return ExitCode.OK;
    }
    await journal.archive();
    const restored = result.restore.equal
      ? 'the cluster now equals its state before the apply.'
      : `the cluster still differs from its state before the apply:\n${result.restore.differences.map((d) => `    ${d}`).join('\n')}`;
    throw new DgateError({
      code: result.restore.equal ? 'DG3003' : 'DG3004',
      message: `apply failed: ${result.failure}\n  rolled back: ${restored}`,
      hint: result.restore.equal ? 'fix the cause above and apply again' : 'inspect the resources listed; `dgate-cli plan` shows what remains to be done',
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
    this.context.stdout.write(`\nApply ${plural(s.create + s.update + s.delete, 'change')} to ${plan.cluster.adminUrl}? Only 'yes' applies: `);
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

async function readSavedPlan(file: string): Promise<LoadedSavedPlan> {
  let saved: LoadedSavedPlan;
  try {
    saved = JSON.parse(await readFile(file, 'utf8')) as LoadedSavedPlan;
  } catch (err) {
    throw new DgateError({ code: 'DG0006', message: `cannot read the saved plan '${file}': ${(err as Error).message}`, hint: 'save one with `dgate-cli plan --out FILE`' });
  }
  if (saved.format !== planFormat || !saved.desiredState || typeof saved.configPath !== 'string') {
    throw new DgateError({ code: 'DG0006', message: `'${file}' is not a plan saved by this version of dgate-cli`, hint: 'save one with `dgate-cli plan --out FILE`' });
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

