import { Command, Option } from 'clipanion';
import { ClusterCommand } from '../../cli/cluster-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { parseFlagDuration } from '../../cli/flag-duration.js';
import { lockTimeoutOption } from '../../cli/apply-flags.js';
import { rolloutOf, runRollout } from '../../pipeline/canary-rollout.js';

export class CanaryPromoteCommand extends ClusterCommand {
  static override paths = [['canary', 'promote']];
  static override usage = Command.Usage({
    description: 'Promote a canary now, skipping its remaining steps and checks',
    details: `
      Sets the canary's weight to 100% (every request to the canary) as a release of its own,
      and records it promoted. To finish, make the canary the route's service and drop the
      canary block from the config.
    `,
    examples: [['Promote the checkout canary', '$0 canary promote shop/checkout']],
  });

  route = Option.String({ name: 'namespace/route' });
  lockTimeout = lockTimeoutOption();

  protected async run(): Promise<number> {
    return this.underApplyLock(
      'canary promote',
      parseFlagDuration(this.lockTimeout, '--lock-timeout'),
      async (client, _lock, signal) => {
        const record = await rolloutOf(client, this.route);
        if (record.status !== 'progressing') {
          this.context.stdout.write(`canary ${this.route} is already ${record.status}: nothing to promote.\n`);
          return ExitCode.OK;
        }
        const io = { ...this.applyIo(), identities: await this.ageIdentities(), signal };
        // Past the last step, a run promotes.
        const { outcome } = await runRollout(client, [client], { ...record, step: record.steps.length }, io);
        return outcome === 'promoted' ? ExitCode.OK : ExitCode.ERROR;
      },
    );
  }
}
