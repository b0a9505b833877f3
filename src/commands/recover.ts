import { Command, Option } from 'clipanion';
import { applyPlan } from '../apply/execute.js';
import { rollBackInterrupted } from '../pipeline/interrupted.js';
import { markApplyFinished, readApplyMarker } from '../cluster/apply-marker.js';
import { interruptedAndRolledBack } from '../cli/interrupts.js';
import { summarizeJournal } from '../apply/journal.js';
import { createApplyContext } from '../pipeline/apply-context.js';
import { ClusterCommand } from '../cli/cluster-command.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { makePlan, sourcesOfConfig } from '../pipeline/make-plan.js';
import { toolVersion } from '../cli/tool-version.js';
import type { AdminClient } from '../cluster/client.js';
import { compileConfig } from '../compile/compile.js';
import { DgateError, errorsIn } from '../errors/dgate-error.js';
import { readGitInfo } from '../io/git.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import { renderDiagnosticsReport } from '../report/diagnostics.js';

export class RecoverCommand extends ClusterCommand {
  static override paths = [['recover']];
  static override usage = Command.Usage({
    description: 'Deal with an apply that was interrupted: roll it back, or finish it',
    details: `
      When dgate-cli is killed in the middle of an apply, its journal (under .dgate-cli/) says what
      it was doing. \`recover\` reads the cluster and returns every resource that apply touched to
      its state before the apply, then checks that it did. With \`--resume\`, it finishes the
      apply instead: PATH must compile to the same desired state the interrupted apply had.
      apply, plan and rollback refuse to run while an interrupted apply waits here.
    `,
    examples: [
      ['Roll back an interrupted apply', '$0 recover'],
      ['Finish it instead', '$0 recover --resume examples/shop'],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  resume = Option.Boolean('--resume', false, {
    description: 'Finish the interrupted apply instead of rolling it back (needs its config)',
  });
  abandon = Option.Boolean('--abandon', false, {
    description:
      'Forget the interrupted apply without changing any resource (after DG3011, once the cluster is as you want it)',
  });

  protected async run(): Promise<number> {
    return this.underApplyLock(
      'recover',
      0,
      (client, _lock, interrupt) =>
        this.recoverWith(client, new JournalStore(stateDirectory(), client.baseUrl), interrupt),
      {
        recovering: true,
      },
    );
  }

  private async recoverWith(client: AdminClient, journal: JournalStore, interrupt: AbortSignal): Promise<number> {
    const local = summarizeJournal(await journal.read());
    const marker = await readApplyMarker(client);
    const open = marker && !marker.finished ? marker : undefined;
    if ((!local || local.finished) && !open) {
      throw new DgateError({
        code: 'DG3008',
        message: `no interrupted apply to ${client.baseUrl} is recorded, in ${journal.file} or in the cluster`,
        hint: 'recover is only needed after an apply was killed; plan shows the current state',
      });
    }
    const summary = local && !local.finished ? local : undefined;
    const begin = summary?.begin ?? open!.begin;
    this.context.stdout.write(
      summary
        ? `Interrupted apply ${begin.applyId} (started ${begin.startedAt}, ${begin.steps.length} steps; ${summary.done.length} done, ${summary.uncertain.length} with unknown outcome).\n`
        : `Interrupted apply ${begin.applyId} by ${open!.by} on ${open!.host} (started ${begin.startedAt}, ${begin.steps.length} steps), from the record it left in the cluster.\n`,
    );
    if (this.abandon) {
      // The escape hatch after DG3011: someone has moved the cluster on, and it is as they want it.
      if (summary) {
        await journal.append({ type: 'end', outcome: 'recovered', note: 'abandoned: no resource changed' });
        await journal.archive();
      }
      if (open) await markApplyFinished(client, open, 'recovered', new Date());
      this.context.stdout.write(
        `${this.style.green('Abandoned:')} apply ${begin.applyId} is no longer marked interrupted; no resource was changed. \`dgate-cli plan\` shows where the cluster stands.\n`,
      );
      return ExitCode.OK;
    }
    const onEvent = this.printApplyEvent;
    if (this.resume) {
      const checked = await readCheckedConfig(this.configPath ?? '.');
      if (errorsIn(checked.diagnostics).length > 0) {
        const report = {
          diagnostics: checked.diagnostics,
          subject: this.configPath ?? '.',
          after: '; nothing resumed',
        };
        this.context.stderr.write(renderDiagnosticsReport(report, this.errStyle));
        return ExitCode.ERROR;
      }
      const desired = compileConfig(checked.config, checked.files, {
        tool: { name: 'dgate-cli', version: toolVersion() },
        git: await readGitInfo(checked.input.root),
      });
      if (desired.version !== begin.desiredVersion) {
        throw new DgateError({
          code: 'DG3005',
          message: `'${this.configPath ?? '.'}' compiles to ${desired.version.slice(0, 19)}, but the interrupted apply had ${begin.desiredVersion.slice(0, 19)}`,
          hint: 'check out the config the apply was made from, or run `dgate-cli recover` without --resume to roll it back',
        });
      }
      const made = await makePlan({
        sources: sourcesOfConfig(checked, await this.ageIdentities()),
        desired,
        client,
        selectTags: begin.scope.selectTags,
      });
      const ctx = createApplyContext({
        client,
        journal,
        namespaces: begin.scope.namespaces,
        sources: sourcesOfConfig(checked, await this.ageIdentities()),
        onEvent,
      });
      // Stopped before resuming, the interrupted apply stays in the journal for the next recover.
      if (interrupt.aborted) {
        throw new DgateError({
          code: 'DG3012',
          message: `${String(interrupt.reason)} before resuming: nothing was changed, and the earlier apply is still interrupted`,
          hint: 'run `dgate-cli recover` (or `dgate-cli recover --resume PATH`) again',
          exitCode: ExitCode.INTERRUPTED,
        });
      }
      ctx.signal = interrupt;
      await journal.append({ type: 'end', outcome: 'resumed', note: 'continued by a new apply' });
      const result = await applyPlan(made, ctx);
      await journal.archive();
      if (result.outcome === 'applied') {
        this.context.stdout.write(`${this.style.green('Resumed:')} the cluster matches ${desired.version}.\n`);
        return ExitCode.OK;
      }
      // The resuming apply is undone; what the interrupted one made before stays.
      if (result.interrupted) {
        throw interruptedAndRolledBack(
          'resume',
          result.failure,
          result.restore,
          '',
          'what the interrupted apply made before stays, and its journal is closed: run `dgate-cli apply PATH` to finish it, or `dgate-cli plan PATH` to see where it stands',
        );
      }
      throw new DgateError({
        code: result.restore.equal ? 'DG3003' : 'DG3004',
        message: `resuming failed: ${result.failure}`,
        hint: 'run `dgate-cli plan` to see where the cluster stands',
      });
    }
    const restore = (await rollBackInterrupted(client, journal, onEvent))!;
    if (restore.completed !== undefined) {
      this.context.stdout.write(
        `${this.style.green('Nothing to undo:')} the apply finished (release ${restore.completed}) and only its mark in the cluster was left; it is cleared.\n`,
      );
      return ExitCode.OK;
    }
    if (restore.equal) {
      this.context.stdout.write(
        `${this.style.green('Recovered:')} the cluster equals its state before the interrupted apply.\n`,
      );
      return ExitCode.OK;
    }
    throw new DgateError({
      code: 'DG3004',
      message: `recovered, but the cluster still differs from its state before the interrupted apply:\n${restore.differences.map((d) => `    ${d}`).join('\n')}`,
      hint: 'these could not be put back automatically; `dgate-cli plan` shows them',
    });
  }
}
