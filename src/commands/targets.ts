import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { BaseCommand } from '../cli/base-command.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { evaluationInstant } from '../pipeline/target-choice.js';
import { compileTarget } from '../compile/compile.js';
import { plural } from '../errors/render.js';
import { kindOrder } from '../model/registry.js';
import { canariesOf, targetsOf } from '../select/targets.js';
import { describeScheduledChange, nextScheduledChange } from '../select/schedule.js';
import { valueNamed } from '../cli/value-names.js';

export class TargetsCommand extends BaseCommand {
  static override paths = [['targets']];
  static override usage = Command.Usage({
    description: 'List the targets a config declares, their tags, and what each one gets',
    details: `
      For every target: its admin URLs, where its credentials come from, its server tags, how
      many resources its tags select (at \`--at\`, default now) and the version of its desired
      state, its canaries, and the next time a time tag changes what it gets. Reads no cluster.
    `,
    examples: [
      ['The targets of the current directory', '$0 targets'],
      ['As they will be on launch day, as JSON', '$0 targets examples/regions --at 2026-12-01T00:00:00Z --format json'],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  at = valueNamed(
    'TIME',
    Option.String('--at', { description: 'Evaluate time-qualified tags at this RFC 3339 instant instead of now' }),
  );
  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'human', {
      description: 'human (default) or json',
      validator: t.isEnum(['human', 'json']),
    }),
  );

  protected async run(): Promise<number> {
    const source = this.configPath ?? '.';
    const checked = await readCheckedConfig(source);
    if (this.reportDiagnostics(checked.diagnostics, source, 'listed')) return ExitCode.ERROR;
    const at = evaluationInstant(this.at);
    const rows = [];
    for (const target of targetsOf(checked.config)) {
      const compiled = compileTarget(
        checked.config,
        checked.files,
        { tool: { name: 'dgate-cli', version: '' }, git: null },
        target,
        at,
        checked.bundles,
      );
      if (this.reportDiagnostics(compiled.diagnostics, source, 'listed') || !compiled.state) return ExitCode.ERROR;
      const resources = compiled.state.resources;
      const auth = target.spec?.auth;
      rows.push({
        name: target.name,
        description: target.spec?.description,
        admin: target.spec?.admin ?? ['(--admin or $DGATE_ADMIN_URL)'],
        credentials: auth?.keyEnv
          ? `key from $${auth.keyEnv}`
          : auth?.userEnv
            ? `basic auth from $${auth.userEnv} and $${auth.passwordEnv}`
            : target.spec
              ? 'none'
              : '$DGATE_ADMIN_KEY or $DGATE_ADMIN_USER/$DGATE_ADMIN_PASSWORD',
        tags: target.spec?.tags ?? [],
        namespaces: resources.namespaces.length,
        resources: kindOrder.reduce((n, k) => n + (k === 'namespaces' ? 0 : resources[k].length), 0),
        version: compiled.state.version,
        canaries: canariesOf(target),
        nextChange: nextScheduledChange(checked.config, target, at),
      });
    }
    if (this.format === 'json') {
      this.context.stdout.write(`${JSON.stringify({ at: new Date(at).toISOString(), targets: rows }, null, 2)}\n`);
      return ExitCode.OK;
    }
    const s = this.style;
    const lines: string[] = [];
    if (checked.config.targets.length === 0)
      lines.push(
        s.dim(
          'The config declares no targets: the one cluster --admin names gets everything its (absent) tags select.',
        ),
        '',
      );
    for (const row of rows) {
      lines.push(`${s.bold(row.name)}${row.description ? s.dim(`  ${row.description}`) : ''}`);
      lines.push(`  admin:     ${row.admin.join(', ')}`);
      lines.push(`  auth:      ${row.credentials}`);
      lines.push(`  tags:      ${row.tags.length > 0 ? row.tags.join(', ') : s.dim('(none)')}`);
      lines.push(
        `  gets:      ${plural(row.namespaces, 'namespace')}, ${plural(row.resources, 'resource')} (${row.version.slice(0, 19)}…)`,
      );
      if (row.canaries.length > 0)
        lines.push(`  canaries:  ${row.canaries.map((c) => `${c.name} at ${c.percent}%`).join(', ')}`);
      lines.push(
        `  next:      ${row.nextChange ? `at ${row.nextChange.at}: ${describeScheduledChange(row.nextChange)}` : s.dim('no scheduled change')}`,
      );
      lines.push('');
    }
    this.context.stdout.write(lines.join('\n'));
    return ExitCode.OK;
  }
}
