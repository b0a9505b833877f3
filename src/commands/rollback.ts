import { Command, Option } from 'clipanion';
import { ClusterCommand } from '../cli/cluster-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { parseFlagDuration } from '../cli/flag-duration.js';
import type { AdminClient } from '../cluster/client.js';
import { effectiveReleases, readReleases } from '../cluster/releases.js';
import { returnToRelease } from '../pipeline/return-to-release.js';
import { createNotifier } from '../pipeline/notify-step.js';
import { DgateError } from '../errors/dgate-error.js';
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
    const recorded = await returnToRelease(client, target, {
      identities: await this.ageIdentities(),
      interrupt,
      // Where it writes: the same as apply's (out, warn, style, progress).
      ...this.applyIo(),
      approved: () => this.autoApprove,
      // The webhooks of the release rolled back from (its config's settings.notify).
      notify: createNotifier(latest?.notify, {
        root: latest?.configRoot ?? process.cwd(),
        identities: () => this.ageIdentities(),
        warn: (line) => this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`),
      }),
    });
    if (recorded === undefined) return ExitCode.OK;
    this.context.stdout.write(
      `${this.style.green('Rolled back')} to release ${target.number}: the cluster matches ${target.desiredState.version} (release ${recorded}).\n`,
    );
    return ExitCode.OK;
  }
}
