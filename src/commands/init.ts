import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import path from 'node:path';
import { BaseCommand } from '../cli/base-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { scaffoldFiles } from '../convert/scaffold.js';
import { assertNoConfigIn, writeFiles } from '../io/config-writer.js';
import { valueNamed } from '../cli/value-names.js';

export class InitCommand extends BaseCommand {
  static override paths = [['init']];
  static override usage = Command.Usage({
    description: 'Start a config: one namespace with a service, a module and a route',
    details: `
      Writes a config that validates and compiles straight away, in YAML (config.yaml) or Pkl
      (main.pkl, which amends the dgate schema), with its module source in modules/. Refuses a
      directory that already holds a config.
    `,
    examples: [
      ['Start a YAML config in the current directory', '$0 init'],
      ['Start a Pkl config in gateway/', '$0 init --format pkl gateway'],
    ],
  });

  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'yaml' as 'yaml' | 'pkl', {
      description: 'yaml (default) or pkl',
      validator: t.isEnum(['yaml', 'pkl'] as const),
    }),
  );
  dir = Option.String({ required: false, name: 'dir' });

  protected async run(): Promise<number> {
    const shown = this.dir ?? '.';
    const dir = path.resolve(shown);
    await assertNoConfigIn(dir, shown);
    const files = scaffoldFiles(this.format);
    await writeFiles(dir, files);
    const written = [...files.keys()].map((rel) => path.join(shown, rel)).join(', ');
    this.context.stdout.write(`${this.style.green('✓')} wrote ${written}\n  next: dgate-cli validate ${shown}\n`);
    return ExitCode.OK;
  }
}
