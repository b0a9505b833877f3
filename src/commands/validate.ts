import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { BaseCommand } from '../cli/base-command.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { pklEnvOption, pklOptionsFrom, pklTimeoutOption } from '../cli/pkl-flags.js';
import { compileResources } from '../compile/compile.js';
import { errorsIn } from '../errors/dgate-error.js';
import { diagnosticsToJson, plural } from '../errors/render.js';
import { kindOrder } from '../model/registry.js';
import { renderDiagnosticsReport } from '../report/diagnostics.js';
import { valueNamed } from '../cli/value-names.js';
import { renderCodeQuality } from '../ci/code-quality.js';

export class ValidateCommand extends BaseCommand {
  static override paths = [['validate']];
  static override usage = Command.Usage({
    description: 'Check a config against the schema and for meaning, without a cluster',
    details: `
      Checks every file of the config (YAML files, and Pkl modules evaluated in a sandbox): the syntax, the schema (unknown fields, wrong types, names
      DGate would reject), references (a route naming a missing service or module), duplicates,
      module files, collection schemas and their documents. Every problem is reported as
      \`file:line:col\` with a hint, and the exit code is 1 when there is any error.
    `,
    examples: [
      ['Validate the config in the current directory', '$0 validate'],
      ['Validate one example', '$0 validate examples/shop'],
      ['Machine-readable problems for an editor or CI', '$0 validate examples/shop --format json'],
      ['A GitLab Code Quality report', '$0 validate config/ --format codequality > gl-code-quality-report.json'],
      ['Annotations on a pull request, outside GitHub Actions auto-detection', '$0 validate config/ --ci github'],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'human', {
      description:
        "Output format: human (default), json (an array of problems) or codequality (GitLab's Code Quality report)",
      validator: t.isEnum(['human', 'json', 'codequality']),
    }),
  );
  pklEnv = pklEnvOption();
  pklTimeout = pklTimeoutOption();

  protected async run(): Promise<number> {
    const target = this.configPath ?? '.';
    const checked = await readCheckedConfig(target, undefined, pklOptionsFrom(this.pklEnv, this.pklTimeout));
    const errors = errorsIn(checked.diagnostics);
    this.annotate(checked.diagnostics);
    if (this.format === 'codequality') {
      this.context.stdout.write(renderCodeQuality(checked.diagnostics, target));
      return errors.length > 0 ? ExitCode.ERROR : ExitCode.OK;
    }
    if (this.format === 'json') {
      this.context.stdout.write(`${JSON.stringify(diagnosticsToJson(checked.diagnostics), null, 2)}\n`);
      return errors.length > 0 ? ExitCode.ERROR : ExitCode.OK;
    }
    const files = plural(checked.input.sources.length, 'file');
    this.context.stderr.write(
      renderDiagnosticsReport(
        { diagnostics: checked.diagnostics, subject: target, after: ` in ${files}` },
        this.errStyle,
      ),
    );
    if (errors.length > 0) return ExitCode.ERROR;
    const resources = compileResources(checked.config, checked.files);
    const count = kindOrder.reduce((n, k) => n + (k === 'namespaces' ? 0 : resources[k].length), 0);
    const warned = checked.diagnostics.length > 0 ? ` (${plural(checked.diagnostics.length, 'warning')})` : '';
    this.context.stdout.write(
      `${this.style.green('✓')} ${target} is valid: ${plural(resources.namespaces.length, 'namespace')}, ${plural(count, 'resource')} in ${files}${warned}\n`,
    );
    return ExitCode.OK;
  }
}
