import { summarizeJournal } from '../apply/journal.js';
import { DgateError } from '../errors/dgate-error.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';

/**
 * The journal of applies to this cluster. Refuses (DG3002) while an earlier apply was interrupted:
 * planning or applying over a half-made change would hide it.
 */
export async function journalRefusingInterrupted(adminUrl: string): Promise<JournalStore> {
  const journal = new JournalStore(stateDirectory(), adminUrl);
  const earlier = summarizeJournal(await journal.read());
  if (earlier && !earlier.finished) {
    throw new DgateError({
      code: 'DG3002',
      message: `an earlier apply to ${adminUrl} (started ${earlier.begin.startedAt}) was interrupted before it finished`,
      hint: 'run `dgate-cli recover` to return the cluster to its state before it (or `dgate-cli recover --resume PATH` to finish it)',
    });
  }
  return journal;
}
