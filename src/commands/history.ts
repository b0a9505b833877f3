import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ClusterCommand } from '../cli/cluster-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { readReleases, type ReleaseRecord } from '../cluster/releases.js';
import { formatWeight } from '../model/canary.js';
import { valueNamed } from '../cli/value-names.js';

/** A release's kind as the table shows it: apply, rollback to N, canary ns/route 10%. */
function kindOf(r: ReleaseRecord): string {
  if (r.kind === 'rollback') return `rollback to ${r.rolledBackTo}`;
  if (r.kind === 'canary' && r.canary)
    return `canary ${r.canary.namespace}/${r.canary.route} ${formatWeight(r.canary.weight)}${r.canary.status === 'promoted' ? ' (promoted)' : ''}`;
  return r.kind;
}

export class HistoryCommand extends ClusterCommand {
  static override paths = [['history']];
  static override usage = Command.Usage({
    description: 'List the releases applied to a cluster',
    details: `
      Every successful apply (and rollback) is recorded as a release in the cluster itself, in the
      reserved namespace dgate-cli, so every CI runner sees the same history. Each has a number,
      the desired-state version, the git commit, who applied it and when, and what it changed.
      \`dgate-cli rollback --to N\` returns to one.
    `,
    examples: [
      ['The history of the local cluster', '$0 history'],
      ['As JSON', '$0 history --format json'],
    ],
  });

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
      const releases = await readReleases(client);
      if (this.format === 'json') {
        this.context.stdout.write(
          `${JSON.stringify(
            releases.map(({ desiredState: _, ...r }) => r),
            null,
            2,
          )}\n`,
        );
        return ExitCode.OK;
      }
      if (releases.length === 0) {
        this.context.stdout.write(`No releases recorded on ${client.baseUrl} yet: apply records one.\n`);
        return ExitCode.OK;
      }
      const rows = releases.map((r) => [
        String(r.number),
        `${kindOf(r)}${r.voided ? ' (voided)' : ''}`,
        r.desiredVersion.slice(0, 19),
        r.git?.commit ? `${r.git.commit.slice(0, 8)}${r.git.dirty ? '+dirty' : ''}` : '-',
        r.appliedBy,
        r.appliedAt.replace(/\.\d+Z$/, 'Z'),
        `+${r.summary.create} ~${r.summary.update} -${r.summary.delete}`,
      ]);
      const header = ['#', 'kind', 'version', 'commit', 'by', 'at', 'changes'];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (cells: string[]) =>
        cells
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd();
      this.context.stdout.write(`${[this.style.bold(line(header)), ...rows.map(line)].join('\n')}\n`);
      // A voided record is an apply that was rolled back after its record was written: say why.
      for (const r of releases.filter((x) => x.voided))
        this.context.stdout.write(
          `${r.number}: voided ${r.voided!.at.replace(/\.\d+Z$/, 'Z')}: the apply was rolled back (${r.voided!.reason})\n`,
        );
      // Guards a run was let past, and holds ended by hand: said under the table, as voided records are.
      for (const r of releases) {
        const o = r.overrides;
        const lifted = [
          ...(o?.allowedProtected ? [`--allow-protected (${o.allowedProtected.join(', ')})`] : []),
          ...(o?.allowedMassDelete
            ? [`--allow-mass-delete (${o.allowedMassDelete.deletes} deletes, limit ${o.allowedMassDelete.limit})`]
            : []),
          ...(o?.windowOverride !== undefined ? [`--override-window "${o.windowOverride}"`] : []),
        ];
        if (lifted.length > 0) this.context.stdout.write(`${r.number}: applied with ${lifted.join(', ')}\n`);
        if (r.reason) this.context.stdout.write(`${r.number}: ${r.reason}\n`);
        if (r.resumed)
          this.context.stdout.write(
            `${r.number}: reconcilers resumed by ${r.resumed.by} at ${r.resumed.at.replace(/\.\d+Z$/, 'Z')}\n`,
          );
      }
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  }
}
