import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ClusterCommand } from '../cli/cluster-command.js';
import { readCheckedConfig } from '../cli/config-input.js';
import { ExitCode } from '../cli/exit-codes.js';
import { journalRefusingInterrupted } from '../cli/interrupted.js';
import { makePlan, sourcesOfConfig, startLiveRead } from '../cli/make-plan.js';
import type { LiveRead } from '../cluster/api-types.js';
import type { AdminClient } from '../cluster/client.js';
import { toolVersion } from '../cli/tool-version.js';
import { compileConfig } from '../compile/compile.js';
import { DgateError } from '../errors/dgate-error.js';
import { readGitInfo } from '../io/git.js';
import { hasChanges, type SavedPlan } from '../plan/plan.js';
import { renderPlanHuman, renderPlanMarkdown } from '../report/plan-render.js';
import { canonicalJson } from '../state/canonical-json.js';

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
    `,
    examples: [
      ['Plan the current directory against the local admin API', '$0 plan'],
      ['Plan against another cluster', '$0 plan examples/shop --admin http://dgate.internal:9080'],
      ['A pull-request comment', '$0 plan --format markdown > plan.md'],
      ['In CI: fail the job on error, flag changes', '$0 plan --detailed-exitcode --out plan.json'],
      ['Only the resources one team owns', '$0 plan --select-tag team:checkout'],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  format = Option.String('--format', 'human', { description: 'human (default), json (schema/plan.schema.json) or markdown', validator: t.isEnum(['human', 'json', 'markdown']) });
  detailedExitcode = Option.Boolean('--detailed-exitcode', false, { description: 'Exit 0 when there are no changes, 2 when there are, 1 on error' });
  out = Option.String('--out,-o', { description: 'Save the plan (with its desired state, no secret values) for `apply FILE`' });
  selectTag = Option.Array('--select-tag', [], { description: 'Manage only resources carrying this tag (repeatable; all must match), e.g. team:checkout' });

  protected async run(): Promise<number> {
    const source = this.configPath ?? '.';
    const client = this.createClient();
    try {
      return await this.planWith(client, source);
    } finally {
      await client.close();
    }
  }

  private async planWith(client: AdminClient, source: string): Promise<number> {
    await journalRefusingInterrupted(client.baseUrl);
    let liveRead: Promise<LiveRead> | undefined;
    const checked = await readCheckedConfig(source, (config) => (liveRead = startLiveRead(client, config)));
    if (this.reportDiagnostics(checked.diagnostics, source, 'planned')) return ExitCode.ERROR;
    const desired = compileConfig(checked.config, checked.files, { tool: { name: 'dgate-cli', version: toolVersion() }, git: await readGitInfo(checked.input.root) });
    const { plan } = await makePlan({ sources: sourcesOfConfig(checked), desired, client, selectTags: this.selectTag, liveRead });
    if (this.out) {
      const saved: SavedPlan = { ...plan, desiredState: desired, configPath: source };
      try {
        await writeFile(this.out, canonicalJson(saved, 2) + '\n');
      } catch (err) {
        throw new DgateError({ code: 'DG0005', message: `cannot write '${this.out}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`, hint: 'check that the directory exists and is writable', cause: err });
      }
    }
    if (this.format === 'json') this.context.stdout.write(canonicalJson(plan, 2) + '\n');
    else if (this.format === 'markdown') this.context.stdout.write(renderPlanMarkdown(plan, source));
    else this.context.stdout.write(renderPlanHuman(plan, this.style, source));
    if (this.out && this.format === 'human') this.context.stderr.write(`Saved the plan to ${this.out}; apply it with: dgate-cli apply ${this.out}\n`);
    return this.detailedExitcode && hasChanges(plan) ? ExitCode.CHANGES : ExitCode.OK;
  }
}
