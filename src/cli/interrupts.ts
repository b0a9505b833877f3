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
}): InterruptWatch {
  const controller = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    const journal = opts.journal();
    // Read synchronously: nothing else may run (send a step) between looking and exiting.
    const summary = summarizeJournal(journal.readSync());
    const url = summary?.begin.adminUrl;
    if (!summary) {
      stopNow(
        opts.stop,
        `stopped by ${sig} before any change: nothing was changed`,
        'run the command again when you want the change made',
      );
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
