import { Command, Option } from 'clipanion';
import { ClusterCommand } from '../../cli/cluster-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { parseFlagDuration } from '../../cli/flag-duration.js';
import { lockTimeoutOption } from '../../cli/apply-flags.js';
import { valueNamed } from '../../cli/value-names.js';
import { currentActor } from '../../cluster/releases.js';
import { abortByHand, rolloutOf } from '../../pipeline/canary-rollout.js';

export class CanaryAbortCommand extends ClusterCommand {
  static override paths = [['canary', 'abort']];
  static override usage = Command.Usage({
    description: 'Abort a canary: every request back on stable, the cluster back at the release before it',
    details: `
      Does what a failed check does: records the canary as aborted (with the reason given), and
      returns the cluster to the release from before the canary started, in one transaction
      (or, without one, sets the canary's weight to 0%). A reconciler following the branch holds
      at that rollback, as after \`dgate-cli rollback\`.
    `,
    examples: [['Abort the checkout canary', '$0 canary abort shop/checkout --reason "latency on EU nodes"']],
  });

  route = Option.String({ name: 'namespace/route' });
  reason = valueNamed(
    'TEXT',
    Option.String('--reason', { description: 'Why: kept in the canary record and the release' }),
  );
  lockTimeout = lockTimeoutOption();

  protected async run(): Promise<number> {
    return this.underApplyLock(
      'canary abort',
      parseFlagDuration(this.lockTimeout, '--lock-timeout'),
      async (client, _lock, signal) => {
        const record = await rolloutOf(client, this.route);
        if (record.status !== 'progressing') {
          this.context.stdout.write(`canary ${this.route} is already ${record.status}: nothing to abort.\n`);
          return ExitCode.OK;
        }
        const io = { ...this.applyIo(), identities: await this.ageIdentities(), signal };
        await abortByHand(
          client,
          record,
          `by ${currentActor(process.env)}${this.reason ? `: ${this.reason}` : ''}`,
          io,
        );
        return ExitCode.OK;
      },
    );
  }
}
