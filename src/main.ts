import { Builtins, Cli, type BaseContext, type CommandClass } from 'clipanion';
import { closestMatch } from './errors/suggest.js';
import { ExitCode } from './cli/exit-codes.js';
import { toolVersion } from './cli/tool-version.js';

/**
 * Every command, by the words that name it, loaded only when asked for: importing all of them
 * (undici, age, simple-git, ajv, yaml, ...) took about 440 ms before any work, on every run. A
 * unit test checks that each entry's path is the one its class declares.
 */
export const commandTable: readonly { path: readonly string[]; load: () => Promise<CommandClass<BaseContext>> }[] = [
  { path: ['validate'], load: async () => (await import('./commands/validate.js')).ValidateCommand },
  { path: ['compile'], load: async () => (await import('./commands/compile.js')).CompileCommand },
  { path: ['plan'], load: async () => (await import('./commands/plan.js')).PlanCommand },
  { path: ['apply'], load: async () => (await import('./commands/apply.js')).ApplyCommand },
  { path: ['reconcile'], load: async () => (await import('./commands/reconcile.js')).ReconcileCommand },
  { path: ['recover'], load: async () => (await import('./commands/recover.js')).RecoverCommand },
  { path: ['history'], load: async () => (await import('./commands/history.js')).HistoryCommand },
  { path: ['rollback'], load: async () => (await import('./commands/rollback.js')).RollbackCommand },
  { path: ['canary', 'status'], load: async () => (await import('./commands/canary/status.js')).CanaryStatusCommand },
  { path: ['canary', 'resume'], load: async () => (await import('./commands/canary/resume.js')).CanaryResumeCommand },
  {
    path: ['canary', 'promote'],
    load: async () => (await import('./commands/canary/promote.js')).CanaryPromoteCommand,
  },
  { path: ['canary', 'abort'], load: async () => (await import('./commands/canary/abort.js')).CanaryAbortCommand },
  { path: ['dump'], load: async () => (await import('./commands/dump.js')).DumpCommand },
  { path: ['get'], load: async () => (await import('./commands/get.js')).GetCommand },
  { path: ['targets'], load: async () => (await import('./commands/targets.js')).TargetsCommand },
  { path: ['explain'], load: async () => (await import('./commands/explain.js')).ExplainCommand },
  {
    path: ['secret', 'encrypt'],
    load: async () => (await import('./commands/secret/encrypt.js')).SecretEncryptCommand,
  },
  { path: ['secret', 'keygen'], load: async () => (await import('./commands/secret/keygen.js')).SecretKeygenCommand },
  { path: ['bundle', 'update'], load: async () => (await import('./commands/bundle/update.js')).BundleUpdateCommand },
  { path: ['init'], load: async () => (await import('./commands/init.js')).InitCommand },
  { path: ['convert'], load: async () => (await import('./commands/convert.js')).ConvertCommand },
  {
    path: ['import', 'openapi'],
    load: async () => (await import('./commands/import/openapi.js')).ImportOpenApiCommand,
  },
  { path: ['bundle', 'init'], load: async () => (await import('./commands/bundle/init.js')).BundleInitCommand },
  { path: ['bundle', 'lint'], load: async () => (await import('./commands/bundle/lint.js')).BundleLintCommand },
  { path: ['bundle', 'docs'], load: async () => (await import('./commands/bundle/docs.js')).BundleDocsCommand },
  { path: ['bundle', 'test'], load: async () => (await import('./commands/bundle/test.js')).BundleTestCommand },
];

/**
 * The commands `args` can run: the one its leading words name, or, when they name none (no
 * arguments, --help, a typo), all of them, so that help lists them and a mistake gets suggestions.
 */
async function commandsFor(args: readonly string[]): Promise<CommandClass<BaseContext>[]> {
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) return [];
  const named = commandTable
    .filter((c) => c.path.every((word, i) => args[i] === word))
    .sort((a, b) => b.path.length - a.path.length)[0];
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
  let command: ReturnType<typeof cli.process>;
  try {
    command = cli.process(args, context);
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const unknown = unknownCommand(args);
    if (unknown) {
      context.stderr.write(`error DG0001: ${unknown.message}\n  hint: ${unknown.hint}\n`);
      return ExitCode.ERROR;
    }
    context.stderr.write(
      `error DG0001: ${usageMistake(raw, args)}\n  hint: run 'dgate-cli --help' for the commands, or 'dgate-cli <command> --help' for one\n`,
    );
    return ExitCode.ERROR;
  }
  return cli.run(command, context);
}

/**
 * When the leading words name no command: the nearest command, or, when none is near, the names
 * of all of them (clipanion would list every command's whole usage, two dozen lines).
 */
function unknownCommand(args: readonly string[]): { message: string; hint: string } | undefined {
  const first = args[0];
  if (first === undefined || first.startsWith('-')) return undefined;
  if (commandTable.some((c) => c.path.every((word, i) => args[i] === word))) return undefined;
  const paths = (words: number) => commandTable.filter((c) => c.path.length === words).map((c) => c.path.join(' '));
  // Two-word commands are compared by both words, so that 'bundle lnt' finds 'bundle lint'.
  const near = closestMatch(args.slice(0, 2).join(' '), paths(2)) ?? closestMatch(first, paths(1));
  const typed = near?.includes(' ') ? args.slice(0, 2).join(' ') : first;
  if (near)
    return {
      message: `unknown command '${typed}': did you mean '${near}'?`,
      hint: `run 'dgate-cli ${near} --help' for what it takes`,
    };
  const group = commandTable.filter((c) => c.path.length > 1 && c.path[0] === first).map((c) => c.path.join(' '));
  if (group.length > 0) {
    const second = args[1];
    const message =
      second === undefined || second.startsWith('-')
        ? `'${first}' needs one more word`
        : `unknown command '${first} ${second}'`;
    return {
      message: `${message}: the ${first} commands are ${group.join(', ')}`,
      hint: `run 'dgate-cli ${group[0]} --help' for what one takes`,
    };
  }
  const all = [...new Set(commandTable.map((c) => c.path[0]!))];
  return {
    message: `unknown command '${first}'`,
    hint: `the commands are ${all.join(', ')}; run 'dgate-cli --help' for what each does`,
  };
}

/**
 * Clipanion's complaint in one line. When the command was named but a required option is missing,
 * clipanion says "Command not found" with the command's usage: say which option instead.
 */
function usageMistake(raw: string, args: readonly string[]): string {
  const usage = /\n\$ (dgate-cli [^\n]*)/.exec(raw)?.[1];
  if (usage && /^Command not found; did you mean:/.test(raw)) {
    const missing = [...usage.matchAll(/<(--[\w-]+)[^>]*>/g)]
      .map((m) => m[1]!)
      .filter((o) => !args.some((a) => a === o || a.startsWith(`${o}=`)));
    const command = usage.split(' [')[0]!.split(' <')[0]!;
    if (missing.length > 0) return `${command} needs ${missing.join(', ')}`;
  }
  return raw.replace(/\n+\$ .*/s, '').trim();
}
