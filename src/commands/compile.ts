import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../cli/base-command.js';
import { readCheckedConfig } from '../cli/config-input.js';
import { ExitCode } from '../cli/exit-codes.js';
import { toolVersion } from '../cli/tool-version.js';
import { compileConfig } from '../compile/compile.js';
import { DgateError } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { readGitInfo } from '../io/git.js';
import { kindOrder } from '../model/registry.js';
import { canonicalJson } from '../state/canonical-json.js';

export class CompileCommand extends BaseCommand {
  static override paths = [['compile']];
  static override usage = Command.Usage({
    description: 'Compile a config into its versioned desired state (canonical JSON)',
    details: `
      Validates the config, then writes every resource in the form the DGate admin API takes:
      module sources base64-encoded, durations in nanoseconds, server defaults filled in, sorted.
      \`version\` is a sha256 over the resources alone, so reordering or reformatting files does
      not change it; \`metadata\` records the git commit (and whether the config directory is
      dirty) and the dgate-cli version. Secret values never appear: only where they come from.
      Compiling the same input twice gives byte-identical output.
    `,
    examples: [
      ['Print the desired state of the current directory', '$0 compile'],
      ['Write it to a file', '$0 compile examples/shop --out state.json'],
    ],
  });

  configPath = Option.String({ required: false, name: "path" });
  out = Option.String('--out,-o', { description: 'Write the desired state to this file instead of stdout' });

  protected async run(): Promise<number> {
    const target = this.configPath ?? '.';
    const checked = await readCheckedConfig(target);
    if (this.reportDiagnostics(checked.diagnostics, target, 'compiled')) return ExitCode.ERROR;
    const git = await readGitInfo(checked.input.root);
    const state = compileConfig(checked.config, checked.files, { tool: { name: 'dgate-cli', version: toolVersion() }, git });
    const text = canonicalJson(state, 2) + '\n';
    if (!this.out) {
      this.context.stdout.write(text);
      return ExitCode.OK;
    }
    try {
      await writeFile(this.out, text);
    } catch (err) {
      throw new DgateError({ code: 'DG0005', message: `cannot write '${this.out}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`, hint: 'check that the directory exists and is writable', cause: err });
    }
    const count = kindOrder.reduce((n, k) => n + state.resources[k].length, 0);
    this.context.stderr.write(`${this.errStyle.green('✓')} compiled ${target} → ${this.out}: ${plural(count, 'resource')}, version ${state.version}\n`);
    return ExitCode.OK;
  }
}
