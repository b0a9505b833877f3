import { Command, Option } from 'clipanion';
import { applyPlan } from '../apply/execute.js';
import { createApplyContext } from '../pipeline/apply-context.js';
import { ClusterCommand } from '../cli/cluster-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { parseFlagDuration } from '../cli/flag-duration.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import { makePlan, recordedValueKey, type SensitiveSources } from '../pipeline/make-plan.js';
import type { AdminClient } from '../cluster/client.js';
import { currentActor, effectiveReleases, pruneReleases, readReleases, reserveRelease } from '../cluster/releases.js';
import { releaseStep, voidedNote } from '../pipeline/release-step.js';
import { interruptedAndRolledBack } from '../cli/interrupts.js';
import { DgateError } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { renderPlanHuman } from '../report/plan-render.js';
import { valueNamed } from '../cli/value-names.js';

export class RollbackCommand extends ClusterCommand {
  static override paths = [['rollback']];
  static override usage = Command.Usage({
    description: 'Return a cluster to an earlier release',
    details: `
      Plans the return to release N (default: the one before the latest) from the desired state
      recorded with it, shows the plan, and applies it the way apply does: journaled, verified,
      rolled back itself on failure. The rollback is recorded as a new release, as Helm does.

      A release keeps references to secret values, never the values. When returning to a
      release would have to write a secret (one that is missing or whose tags differ), rollback
      names those secrets and stops before changing anything.
    `,
    examples: [
      ['Undo the latest release', '$0 rollback --auto-approve'],
      ['Return to release 3', '$0 rollback --to 3'],
    ],
  });

  to = valueNamed(
    'N',
    Option.String('--to', { description: 'The release number to return to (see `dgate-cli history`)' }),
  );
  autoApprove = Option.Boolean('--auto-approve', false, {
    description: 'Roll back without asking (required when not on a terminal)',
  });
  lockTimeout = valueNamed(
    'DURATION',
    Option.String('--lock-timeout', '0s', {
      description: 'How long to wait for another apply to this cluster to finish',
    }),
  );

  protected async run(): Promise<number> {
    return this.underApplyLock(
      'rollback',
      parseFlagDuration(this.lockTimeout, '--lock-timeout'),
      (client, _lock, interrupt) => this.rollbackWith(client, interrupt),
    );
  }

  private async rollbackWith(client: AdminClient, interrupt: AbortSignal): Promise<number> {
    const journal = new JournalStore(stateDirectory(), client.baseUrl);
    const releases = effectiveReleases(await readReleases(client));
    const latest = releases.at(-1);
    const wanted = this.to !== undefined ? Number(this.to) : latest ? latest.number - 1 : NaN;
    const target = releases.find((r) => r.number === wanted);
    if (!target) {
      throw new DgateError({
        code: 'DG3007',
        message:
          this.to !== undefined
            ? `release ${this.to} is not in the history of ${client.baseUrl}`
            : `${client.baseUrl} has no release before the latest to return to`,
        hint: releases.length
          ? `releases kept: ${releases.map((r) => r.number).join(', ')} (dgate-cli history)`
          : 'apply records releases; there are none yet',
      });
    }
    const desired = target.desiredState;
    // Secret values come back from the release's encrypted copies, when it kept them.
    const recorded = target.secretValues;
    const sources: SensitiveSources = {
      root: target.configRoot ?? process.cwd(),
      inline: () => undefined,
      identities: await this.ageIdentities(),
      recorded,
    };
    const made = await makePlan({ sources, desired, client, selectTags: [], refreshSecrets: recorded !== undefined });
    this.context.stdout.write(renderPlanHuman(made.plan, this.style, `release ${target.number}`));
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
    if (made.plan.changes.length === 0) return ExitCode.OK;
    if (!this.autoApprove) {
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
      onEvent: this.printApplyEvent,
      warn: (line) => this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`),
    });
    const release = await reserveRelease(client, {
      kind: 'rollback',
      rolledBackTo: target.number,
      desiredVersion: desired.version,
      git: desired.metadata.git,
      appliedBy: currentActor(process.env),
      appliedAt: new Date().toISOString(),
      summary: made.plan.summary,
      desiredState: desired,
      configRoot: sources.root,
      ...(recorded ? { secretValues: recorded, secretRecipients: target.secretRecipients ?? [] } : {}),
    });
    ctx.release = releaseStep(client, release);
    ctx.signal = interrupt;
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
    for (const problem of await pruneReleases(client))
      this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${problem}\n`);
    this.context.stdout.write(
      `${this.style.green('Rolled back')} to release ${target.number}: the cluster matches ${desired.version} (release ${release.number}).\n`,
    );
    return ExitCode.OK;
  }
}
