import { Command, Option } from 'clipanion';
import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { bundleDocs } from '../../bundles/lint.js';
import { readBundle } from '../../pipeline/bundle-input.js';
import { DgateError } from '../../errors/dgate-error.js';
import { renderDiagnosticsReport } from '../../report/diagnostics.js';

export class BundleDocsCommand extends BaseCommand {
  static override paths = [['bundle', 'docs']];
  static override usage = Command.Usage({
    category: 'Bundles',
    description: 'Print a README section for a bundle, made from its parameter schema',
    details: `Prints the bundle's name, version and description, a usage example, and a table of its parameters (type, default or required, description), in markdown.`,
    examples: [['Document a bundle', '$0 bundle docs bundles/cors >> bundles/cors/README.md']],
  });

  dir = Option.String({ name: 'dir' });

  protected async run(): Promise<number> {
    const parsed = await readBundle(this.dir);
    if (!parsed.content) {
      this.context.stderr.write(renderDiagnosticsReport({ diagnostics: parsed.diagnostics }, this.errStyle));
      throw new DgateError({
        code: 'DG1809',
        message: `${this.dir} is not a valid bundle`,
        hint: 'dgate-cli bundle lint shows what is wrong',
      });
    }
    this.context.stdout.write(bundleDocs(parsed.content));
    return ExitCode.OK;
  }
}
