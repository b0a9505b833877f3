import { summarizeJournal } from '../apply/journal.js';
import type { RestoreReport } from '../apply/execute.js';
import { DgateError } from '../errors/dgate-error.js';
import type { JournalStore } from '../io/journal-store.js';
import { ExitCode } from './exit-codes.js';

const recoverNext =
  'run `dgate-cli recover` to return the cluster to its state before it (or `dgate-cli recover --resume PATH` to finish it)';

/** SIGINT and SIGTERM while a command holds a cluster's apply lock (see watchInterrupts). */
export interface InterruptWatch {
  /** Aborted at the first signal while an apply is under way, with "interrupted by SIGINT" as its reason. */
  readonly signal: AbortSignal;
  /** Puts the default handling back. */
  dispose(): void;
}

/**
 * Watches for SIGINT and SIGTERM while a command writes to a cluster. What a signal does depends
 * on the journal, which says whether an apply is under way:
 * - none yet (planning, asking for confirmation): stop at once; nothing was changed;
 * - under way: the first aborts `signal`, so that the apply sends no new step, lets the steps in
 *   flight finish and rolls back (applyPlan); a second stops at once, the journal unfinished,
 *   for `dgate-cli recover`;
 * - finished: the command is only reporting; a second signal stops it.
 * Stopping at once means `stop` gets the error to show, and the process exits with 130.
 */
export function watchInterrupts(opts: {
  journal: () => JournalStore;
  notify: (line: string) => void;
  stop: (err: DgateError) => void;
  /** What to say when stopped before this apply changed anything (an apply of several targets says which were done). */
  beforeAnyChange?: (sig: NodeJS.Signals) => { message: string; hint: string };
}): InterruptWatch {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    const journal = opts.journal();
    // Read synchronously: nothing else may run (send a step) between looking and exiting.
    const summary = summarizeJournal(journal.readSync());
    const url = summary?.begin.adminUrl;
    if (!summary) {
      const said = opts.beforeAnyChange?.(sig) ?? {
        message: `stopped by ${sig} before any change: nothing was changed`,
        hint: 'run the command again when you want the change made',
      };
      stopNow(opts.stop, said.message, said.hint);
    } else if (summary.finished) {
      if (controller.signal.aborted)
        stopNow(
          opts.stop,
          `stopped by ${sig} after the apply to ${url} had finished`,
          '`dgate-cli plan` shows where the cluster stands',
        );
      controller.abort(`interrupted by ${sig}`);
    } else if (!controller.signal.aborted) {
      controller.abort(`interrupted by ${sig}`);
      const doing =
        summary.phase === 'rolling-back'
          ? 'the rollback under way goes on'
          : 'no new step is sent; the steps under way finish, then what the apply changed is rolled back';
      opts.notify(
        `interrupted by ${sig}: ${doing}. ${sig} again stops at once, leaving the apply for \`dgate-cli recover\`.`,
      );
    } else {
      const where = summary.phase === 'rolling-back' ? ' while it was rolling back' : '';
      const progress = `${summary.done.length} of ${summary.begin.steps.length} steps done, ${summary.uncertain.length} under way`;
      stopNow(
        opts.stop,
        `stopped at once by a second ${sig}${where}: the apply to ${url} is interrupted (${progress}), and what it changed is left in place; its journal ${journal.file} keeps it`,
        recoverNext,
      );
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

function stopNow(stop: (err: DgateError) => void, message: string, hint: string): never {
  stop(new DgateError({ code: 'DG3012', message, hint, exitCode: ExitCode.INTERRUPTED }));
  // The lock the command held is left to expire; a command on this host takes it at once.
  process.exit(ExitCode.INTERRUPTED);
}

/**
 * The error that ends a command whose apply (`what`: apply, rollback, resume) was interrupted by
 * a signal and rolled back. `next`: what to run when the rollback was clean.
 */
export function interruptedAndRolledBack(
  what: string,
  failure: string,
  restore: RestoreReport,
  note: string,
  next = `nothing was changed; run the ${what} again when you want it`,
): DgateError {
  if (restore.equal) {
    return new DgateError({
      code: 'DG3012',
      message: `${what} ${failure}: the steps under way finished, and what was done is rolled back: the cluster equals its state before the ${what}.${note}`,
      hint: next,
      exitCode: ExitCode.INTERRUPTED,
    });
  }
  return new DgateError({
    code: 'DG3004',
    message: `${what} ${failure}, and rolled back, but the cluster still differs from its state before the ${what}:\n${restore.differences.map((d) => `    ${d}`).join('\n')}${note}`,
    hint: 'inspect the resources listed; `dgate-cli plan` shows what remains to be done',
    exitCode: ExitCode.INTERRUPTED,
  });
}

/**
 * What an apply of several targets says when a signal stops it before the target under way changed
 * anything: which targets were applied (each its own transaction, kept) and which were not.
 */
export function stoppedBetweenTargets(
  sig: NodeJS.Signals,
  done: readonly string[],
  rest: readonly string[],
): { message: string; hint: string } {
  if (done.length === 0)
    return {
      message: `stopped by ${sig} before any change: nothing was changed`,
      hint: 'run the command again when you want the change made',
    };
  return {
    message: `stopped by ${sig} between targets: applied to ${done.join(', ')} (kept)${rest.length > 0 ? `; not attempted: ${rest.join(', ')}` : ''}`,
    hint:
      rest.length > 0
        ? `apply again to finish: \`--target ${rest.join(' --target ')}\` (the targets applied show no changes)`
        : 'run the command again when you want the change made',
  };
}

/**
 * SIGINT and SIGTERM outside any target's apply lock, in a command that applies to targets one
 * after another: while connecting to a target, or between two. Nothing is under way then, so the
 * command stops at once and says so (stoppedBetweenTargets). While `inside` says a target's apply
 * holds its lock, that watch (watchInterrupts) decides instead.
 */
export function watchBetweenTargets(opts: {
  inside: () => boolean;
  progress: () => { done: readonly string[]; rest: readonly string[] };
  stop: (err: DgateError) => void;
}): { dispose(): void } {
  const onSignal = (sig: NodeJS.Signals) => {
    if (opts.inside()) return;
    const { done, rest } = opts.progress();
    const said = stoppedBetweenTargets(sig, done, rest);
    stopNow(opts.stop, said.message, said.hint);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    dispose: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
