import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ClusterCommand } from '../../cli/cluster-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { valueNamed } from '../../cli/value-names.js';
import { readRollouts } from '../../cluster/canary-store.js';
import { canaryVersion, formatWeight } from '../../model/canary.js';
import type { CanaryRollout, CheckResult } from '../../model/canary-rollout.js';
import { formatDuration } from '../../model/duration.js';

export class CanaryStatusCommand extends ClusterCommand {
  static override paths = [['canary', 'status']];
  static override usage = Command.Usage({
    description: 'Show where each canary with steps stands on a cluster',
    details: `
      Reads the canary records dgate-cli keeps in the cluster (beside the release history): for
      each route, the step it is on and since when, its weight, every check with its numbers and
      where they came from, and how it ended (promoted, or aborted and why).
    `,
    examples: [
      ['Every canary of the local cluster', '$0 canary status'],
      ['One route, as JSON', '$0 canary status shop/checkout --format json'],
    ],
  });

  route = Option.String({ required: false, name: 'namespace/route' });
  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'human', {
      description: 'human (default) or json',
      validator: t.isEnum(['human', 'json']),
    }),
  );

  protected async run(): Promise<number> {
    const client = this.createClient();
    try {
      const records = (await readRollouts(client)).filter(
        (r) => this.route === undefined || `${r.namespace}/${r.route}` === this.route,
      );
      if (this.format === 'json') {
        this.context.stdout.write(`${JSON.stringify(records.map(printable), null, 2)}\n`);
        return ExitCode.OK;
      }
      if (records.length === 0) {
        this.context.stdout.write(
          `No canary with steps has run on ${client.baseUrl}${this.route ? ` for route ${this.route}` : ''}.\n`,
        );
        return ExitCode.OK;
      }
      for (const r of records) this.context.stdout.write(this.describe(r));
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  }

  private describe(r: CanaryRollout): string {
    const s = this.style;
    const status =
      r.status === 'promoted'
        ? s.green('promoted')
        : r.status === 'aborted'
          ? s.red('aborted')
          : s.yellow(`at step ${Math.min(r.step + 1, r.steps.length)} of ${r.steps.length}`);
    const steps = r.steps
      .map((x, i) => {
        const text = 'weight' in x ? formatWeight(x.weight) : `pause ${formatDuration(x.pauseMs * 1e6)}`;
        return i === r.step && r.status === 'progressing' ? s.bold(`[${text}]`) : text;
      })
      .join(' → ');
    const lines = [
      `${s.bold(`canary ${r.namespace}/${r.route} → ${canaryVersion(r)}`)}: ${status}, weight ${formatWeight(r.weight)}`,
      `  steps: ${steps}`,
      `  checks: ${
        r.rules.enabled
          ? `success rate ≥ ${r.rules.successRate}%, p99 ≤ ${r.rules.latencyP99Ms}ms, at least ${r.rules.minRequests} requests, every ${formatDuration(r.rules.intervalMs * 1e6)}, ${r.rules.failureLimit} failed in a row abort`
          : 'off'
      }`,
      ...(r.rules.enabled && r.rules.prometheus
        ? [
            `  prometheus ${r.rules.prometheus.url}: ${r.rules.prometheus.queries
              .map((q) =>
                [q.name, q.min !== undefined ? `≥ ${q.min}` : undefined, q.max !== undefined ? `≤ ${q.max}` : undefined]
                  .filter(Boolean)
                  .join(' '),
              )
              .join(', ')}`,
          ]
        : []),
      `  started ${r.startedAt}; this step since ${r.stepStartedAt}${r.baseRelease !== undefined ? `; an abort returns to release ${r.baseRelease}` : ''}`,
      ...(r.reason ? [`  ${r.status === 'aborted' ? 'aborted' : 'note'}: ${r.reason}`] : []),
      ...(r.returnedTo !== undefined ? [`  returned to release ${r.returnedTo}`] : []),
      ...(r.checks.length > 0
        ? ['  checks run (latest last):', ...r.checks.slice(-10).map((c) => `    ${checkLine(c)}`)]
        : []),
      ...(r.checks.length > 0 ? [`  figures from ${r.checks.at(-1)!.source}`] : []),
      '',
    ];
    return `${lines.join('\n')}\n`;
  }
}

/**
 * A record as status shows it: without the metrics baseline (counters, not news), and with the
 * probes' request headers named, never shown: a check's headers may carry credentials (the
 * schema: "reports name them, never show their values").
 */
function printable({ baseline: _, ...r }: CanaryRollout): Record<string, unknown> {
  if (!r.probes) return r;
  return {
    ...r,
    probes: {
      proxies: r.probes.proxies,
      checks: r.probes.checks.map(({ check: { headers, ...check }, ...rc }) => ({
        ...rc,
        check: { ...check, ...(headers ? { headers: Object.keys(headers) } : {}) },
      })),
    },
  };
}

function checkLine(c: CheckResult): string {
  const stable =
    c.stable && c.stable.requests > 0
      ? `; stable ${c.stable.requests} requests, ${Number((c.stable.successRate ?? 0).toFixed(2))}% ok`
      : '';
  return `${c.at.replace(/\.\d+Z$/, 'Z')} step ${c.step + 1} ${c.verdict}: ${c.canary?.requests ?? 0} canary requests, ${c.reasons.join(', ')}${stable}`;
}
