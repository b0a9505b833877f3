import { Builtins, Cli, type BaseContext, type CommandClass } from 'clipanion';
import { ExitCode } from './exit-codes.js';
import { toolVersion } from './tool-version.js';

/**
 * Every command, by the words that name it, loaded only when asked for: importing all of them
 * (undici, age, simple-git, ajv, yaml, ...) took about 440 ms before any work, on every run. A
 * unit test checks that each entry's path is the one its class declares.
 */
export const commandTable: readonly { path: readonly string[]; load: () => Promise<CommandClass<BaseContext>> }[] = [
  { path: ['validate'], load: async () => (await import('../commands/validate.js')).ValidateCommand },
  { path: ['compile'], load: async () => (await import('../commands/compile.js')).CompileCommand },
  { path: ['plan'], load: async () => (await import('../commands/plan.js')).PlanCommand },
  { path: ['apply'], load: async () => (await import('../commands/apply.js')).ApplyCommand },
  { path: ['reconcile'], load: async () => (await import('../commands/reconcile.js')).ReconcileCommand },
  { path: ['recover'], load: async () => (await import('../commands/recover.js')).RecoverCommand },
  { path: ['history'], load: async () => (await import('../commands/history.js')).HistoryCommand },
  { path: ['rollback'], load: async () => (await import('../commands/rollback.js')).RollbackCommand },
  { path: ['dump'], load: async () => (await import('../commands/dump.js')).DumpCommand },
  { path: ['get'], load: async () => (await import('../commands/get.js')).GetCommand },
  { path: ['targets'], load: async () => (await import('../commands/targets.js')).TargetsCommand },
  { path: ['explain'], load: async () => (await import('../commands/explain.js')).ExplainCommand },
  { path: ['secret', 'encrypt'], load: async () => (await import('../commands/secret/encrypt.js')).SecretEncryptCommand },
  { path: ['secret', 'keygen'], load: async () => (await import('../commands/secret/keygen.js')).SecretKeygenCommand },
  { path: ['bundle', 'update'], load: async () => (await import('../commands/bundle/update.js')).BundleUpdateCommand },
  { path: ['init'], load: async () => (await import('../commands/init.js')).InitCommand },
  { path: ['convert'], load: async () => (await import('../commands/convert.js')).ConvertCommand },
  { path: ['bundle', 'init'], load: async () => (await import('../commands/bundle/init.js')).BundleInitCommand },
  { path: ['bundle', 'lint'], load: async () => (await import('../commands/bundle/lint.js')).BundleLintCommand },
  { path: ['bundle', 'docs'], load: async () => (await import('../commands/bundle/docs.js')).BundleDocsCommand },
  { path: ['bundle', 'test'], load: async () => (await import('../commands/bundle/test.js')).BundleTestCommand },
];

/**
 * The commands `args` can run: the one its leading words name, or, when they name none (no
 * arguments, --help, a typo), all of them, so that help lists them and a mistake gets suggestions.
 */
async function commandsFor(args: readonly string[]): Promise<CommandClass<BaseContext>[]> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) return [];
  const named = commandTable.filter((c) => c.path.every((word, i) => args[i] === word)).sort((a, b) => b.path.length - a.path.length)[0];
  return Promise.all((named ? [named] : commandTable).map((c) => c.load()));
}

export async function createCli(args: readonly string[] = []): Promise<Cli<BaseContext>> {
  const cli = new Cli({
    enableColors: useColourForHelp(),
    binaryLabel: 'dgate-cli: declarative config for the DGate API gateway',
    binaryName: 'dgate-cli',
    binaryVersion: toolVersion(),
  });
  cli.register(Builtins.HelpCommand);
  cli.register(Builtins.VersionCommand);
  for (const command of await commandsFor(args)) cli.register(command);
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
  const cli = await createCli(args);
  let command;
  try {
    command = cli.process(args, context);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    context.stderr.write(`error DG0001: ${usageMistake(raw, args)}\n  hint: run 'dgate-cli --help' for the commands, or 'dgate-cli <command> --help' for one\n`);
    return ExitCode.ERROR;
  }
  return cli.run(command, context);
}

/**
 * Clipanion's complaint in one line. When the command was named but a required option is missing,
 * clipanion says "Command not found" with the command's usage: say which option instead.
 */
function usageMistake(raw: string, args: readonly string[]): string {
  const usage = /\n\$ (dgate-cli [^\n]*)/.exec(raw)?.[1];
  if (usage && /^Command not found; did you mean:/.test(raw)) {
    const missing = [...usage.matchAll(/<(--[\w-]+)[^>]*>/g)].map((m) => m[1]!).filter((o) => !args.some((a) => a === o || a.startsWith(`${o}=`)));
    const command = usage.split(' [')[0]!.split(' <')[0]!;
    if (missing.length > 0) return `${command} needs ${missing.join(', ')}`;
  }
  return raw.replace(/\n+\$ .*/s, '').trim();
}
