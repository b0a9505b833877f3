import { Command, Option } from 'clipanion';
import { ClusterCommand } from '../../cli/cluster-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { parseFlagDuration } from '../../cli/flag-duration.js';
import { lockTimeoutOption } from '../../cli/apply-flags.js';
import { readRollouts } from '../../cluster/canary-store.js';
import type { AdminClient } from '../../cluster/client.js';
import { DgateError } from '../../errors/dgate-error.js';
import { canaryVersion } from '../../model/canary.js';
import {
  metricsNodes,
  requireMetrics,
  requirePrometheus,
  rolloutOf,
  runRollout,
} from '../../pipeline/canary-rollout.js';

export class CanaryResumeCommand extends ClusterCommand {
  static override paths = [['canary', 'resume']];
  static override usage = Command.Usage({
    description: 'Go on with canaries from where their records say they stand',
    details: `
      Runs each canary in progress on the cluster (or the one named) through the rest of its
      steps, as apply does: after \`apply --no-wait\`, or after a run was stopped. The steps and
      checks come from the canary's record in the cluster, so no config is needed.
    `,
    examples: [
      ['Every canary in progress', '$0 canary resume'],
      ['One route', '$0 canary resume shop/checkout'],
    ],
  });

  route = Option.String({ required: false, name: 'namespace/route' });
  lockTimeout = lockTimeoutOption();

  protected async run(): Promise<number> {
    return this.underApplyLock(
      'canary resume',
      parseFlagDuration(this.lockTimeout, '--lock-timeout'),
      (client, _lock, signal) => this.resume(client, signal),
    );
  }

  private async resume(client: AdminClient, signal: AbortSignal): Promise<number> {
    const records = this.route
      ? [await rolloutOf(client, this.route)]
      : (await readRollouts(client)).filter((r) => r.status === 'progressing');
    if (records.length === 0) {
      this.context.stdout.write(`No canary is in progress on ${client.baseUrl}.\n`);
      return ExitCode.OK;
    }
    const io = { ...this.applyIo(), identities: await this.ageIdentities(), signal };
    if (records.some((r) => r.rules.enabled)) await requireMetrics(await metricsNodes(client));
    await requirePrometheus(records.filter((r) => r.status === 'progressing'));
    for (const record of records) {
      if (record.status !== 'progressing') {
        this.context.stdout.write(
          `canary ${record.namespace}/${record.route} is ${record.status}: nothing to resume.\n`,
        );
        continue;
      }
      const { outcome, record: end } = await runRollout(client, await metricsNodes(client), record, io);
      if (outcome === 'aborted')
        throw new DgateError({
          code: 'DG3018',
          message: `canary ${end.namespace}/${end.route} → ${canaryVersion(end)} was aborted: ${end.reason}`,
          hint: '`dgate-cli canary status` shows every check; a changed canary (service, steps or checks) starts a new rollout when applied',
        });
      if (outcome === 'stopped') return ExitCode.INTERRUPTED;
      if (outcome === 'failed') return ExitCode.ERROR;
    }
    return ExitCode.OK;
  }
}
