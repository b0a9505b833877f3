import { restorePreState, type ApplyEvent } from '../apply/execute.js';
import { summarizeJournal } from '../apply/journal.js';
import type { AdminClient } from '../cluster/client.js';
import { createApplyContext } from './apply-context.js';
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

/**
 * Returns every resource an interrupted apply touched to its state before it (from the journal),
 * and closes the journal. Null when no apply is interrupted. The caller holds the apply lock.
 */
export async function rollBackInterrupted(
  client: AdminClient,
  journal: JournalStore,
  onEvent: (e: ApplyEvent) => void,
): Promise<{ applyId: string; startedAt: string; equal: boolean; differences: string[] } | null> {
  const summary = summarizeJournal(await journal.read());
  if (!summary || summary.finished) return null;
  const begin = summary.begin;
  const ctx = createApplyContext({ client, journal, namespaces: begin.scope.namespaces, sources: { root: process.cwd(), inline: () => undefined, identities: [] }, desiredDigests: new Map(), onEvent });
  await journal.append({ type: 'phase', phase: 'rolling-back' });
  // The journal keeps no plaintext: a touched domain key cannot be put back after a crash.
  const restore = await restorePreState({ live: begin.preState }, begin.touched, ctx, () => undefined);
  await journal.append({ type: 'end', outcome: 'recovered' });
  await journal.archive();
  return { applyId: begin.applyId, startedAt: begin.startedAt, equal: restore.equal, differences: restore.differences };
}
