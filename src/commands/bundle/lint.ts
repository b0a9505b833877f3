import path from 'node:path';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { lintBundle } from '../../bundles/lint.js';
import { bundleRules } from '../../policy/check-policy.js';
import { compileRules } from '../../policy/rules.js';
import { readBundle } from '../../pipeline/bundle-input.js';
import { errorsIn, sortDiagnostics } from '../../errors/dgate-error.js';
import { countSummary } from '../../errors/render.js';
import { renderDiagnosticsReport } from '../../report/diagnostics.js';

export class BundleLintCommand extends BaseCommand {
  static override paths = [['bundle', 'lint']];
  static override usage = Command.Usage({
    category: 'Bundles',
    description: 'Check a bundle: its manifest, parameter schema, parameter use, secret slots and policy rules',
    details: `
      Checks bundle.yaml against the manifest schema, that the version is semver and dgateCli a
      semver range, that the parameter schema compiles, that every \`{ param }\` names a declared
      parameter and every declared parameter is used (by \`{ param }\` or PARAMS in a module), and
      that no sensitive parameter reaches anything but a secret's value or a domain's key.
    `,
    examples: [['Lint a bundle', '$0 bundle lint bundles/cors']],
  });

  dir = Option.String({ name: 'dir' });

  protected async run(): Promise<number> {
    const display = path.relative(process.cwd(), path.resolve(this.dir)) || '.';
    const parsed = await readBundle(this.dir);
    // The rules the bundle ships must compile too (an instance named 'lint', in no namespace).
    const rules = parsed.content ? compileRules(bundleRules(parsed.content, 'lint', '')).diagnostics : [];
    const diagnostics = sortDiagnostics([
      ...parsed.diagnostics,
      ...(parsed.content ? lintBundle(parsed.content) : []),
      ...rules,
    ]);
    this.context.stderr.write(renderDiagnosticsReport({ diagnostics, subject: display }, this.errStyle));
    if (errorsIn(diagnostics).length > 0) return ExitCode.ERROR;
    const m = parsed.content!.manifest;
    this.context.stdout.write(
      `${this.style.green('✓')} ${m.name}@${m.version} (${display}) is a valid bundle${diagnostics.length ? ` (${countSummary(diagnostics)})` : ''}\n`,
    );
    return ExitCode.OK;
  }
}
