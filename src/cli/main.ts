import { Builtins, Cli, type BaseContext } from 'clipanion';
import { ApplyCommand } from '../commands/apply.js';
import { ReconcileCommand } from '../commands/reconcile.js';
import { HistoryCommand } from '../commands/history.js';
import { RollbackCommand } from '../commands/rollback.js';
import { CompileCommand } from '../commands/compile.js';
import { DumpCommand } from '../commands/dump.js';
import { GetCommand } from '../commands/get.js';
import { PlanCommand } from '../commands/plan.js';
import { RecoverCommand } from '../commands/recover.js';
import { ValidateCommand } from '../commands/validate.js';
import { TargetsCommand } from '../commands/targets.js';
import { ExplainCommand } from '../commands/explain.js';
import { SecretEncryptCommand } from '../commands/secret/encrypt.js';
import { SecretKeygenCommand } from '../commands/secret/keygen.js';
import { BundleUpdateCommand } from '../commands/bundle/update.js';
import { InitCommand } from '../commands/init.js';
import { ConvertCommand } from '../commands/convert.js';
import { BundleInitCommand } from '../commands/bundle/init.js';
import { BundleLintCommand } from '../commands/bundle/lint.js';
import { BundleDocsCommand } from '../commands/bundle/docs.js';
import { BundleTestCommand } from '../commands/bundle/test.js';
import { ExitCode } from './exit-codes.js';
import { toolVersion } from './tool-version.js';

export function createCli(): Cli<BaseContext> {
  const cli = new Cli({
    enableColors: useColourForHelp(),
    binaryLabel: 'dgate-cli: declarative config for the DGate API gateway',
    binaryName: 'dgate-cli',
    binaryVersion: toolVersion(),
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  cli.register(ValidateCommand);
  cli.register(CompileCommand);
  cli.register(PlanCommand);
  cli.register(ApplyCommand);
  cli.register(ReconcileCommand);
  cli.register(RecoverCommand);
  cli.register(HistoryCommand);
  cli.register(RollbackCommand);
  cli.register(DumpCommand);
  cli.register(GetCommand);
  cli.register(TargetsCommand);
  cli.register(ExplainCommand);
  cli.register(SecretEncryptCommand);
  cli.register(SecretKeygenCommand);
  cli.register(BundleUpdateCommand);
  cli.register(InitCommand);
  cli.register(ConvertCommand);
  cli.register(BundleInitCommand);
  cli.register(BundleLintCommand);
  cli.register(BundleDocsCommand);
  cli.register(BundleTestCommand);
  return cli;
}

/** Clipanion's own help output follows the same colour rule as ours: a terminal, and no NO_COLOR. */
function useColourForHelp(): boolean {
  if ((process.env.NO_COLOR ?? '') !== '') return false;
  return Boolean(process.stdout.isTTY);
}

/**
 * Runs dgate-cli. Usage mistakes (unknown command or option) are reported on stderr with a hint,
 * not on stdout as clipanion would, so that piped output stays clean.
 */
export async function main(args: string[], context: BaseContext = Cli.defaultContext): Promise<number> {
  const cli = createCli();
  let command;
  try {
    command = cli.process(args, context);
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/\n+\$ .*/s, '').trim() : String(err);
    context.stderr.write(`error DG0001: ${message}\n  hint: run 'dgate-cli --help' for the commands, or 'dgate-cli <command> --help' for one\n`);
    return ExitCode.ERROR;
  }
  return cli.run(command, context);
}
