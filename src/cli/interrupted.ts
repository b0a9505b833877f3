import { restorePreState, type ApplyContext, type ApplyEvent } from '../apply/execute.js';
import { summarizeJournal, type JournalSummary } from '../apply/journal.js';
import type { AdminClient } from '../cluster/client.js';
import { effectiveReleases, readReleases, voidRelease } from '../cluster/releases.js';
import { diffResources } from '../diff/diff.js';
import { kinds } from '../model/registry.js';
import type { Resources } from '../schema/generated/desired-state.js';
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
  await refuseIfMovedOn(client, summary, ctx, journal.file);
  await journal.append({ type: 'phase', phase: 'rolling-back' });
  // The journal keeps no plaintext: a touched domain key cannot be put back after a crash.
  const restore = await restorePreState({ live: begin.preState }, begin.touched, ctx, () => undefined);
  if (summary.release !== undefined) {
    // The apply got as far as writing its release record (or was writing it): it did not happen.
    const record = (await readReleases(client)).find((r) => r.number === summary.release);
    if (record && !record.voided) await voidRelease(client, record, `interrupted; rolled back by recover (apply ${begin.applyId})`, new Date());
  }
  await journal.append({ type: 'end', outcome: 'recovered' });
  await journal.archive();
  return { applyId: begin.applyId, startedAt: begin.startedAt, equal: restore.equal, differences: restore.differences };
}

/**
 * Refuses (DG3011) to roll an interrupted apply back when the cluster has moved on since: a
 * release recorded after it began (another apply finished over it), or a touched resource that
 * now equals neither its state before the apply nor what the apply was writing. Resources whose
 * step was sent but never confirmed may be anywhere in between, and secret values cannot be read,
 * so those are not judged.
 */
async function refuseIfMovedOn(client: AdminClient, summary: JournalSummary, ctx: ApplyContext, journalFile: string): Promise<void> {
  const begin = summary.begin;
  const refuse = (why: string) =>
    new DgateError({
      code: 'DG3011',
      message: `the interrupted apply ${begin.applyId} (started ${begin.startedAt}) is not rolled back: ${why}, and rolling back would undo it`,
      hint: `nothing was changed; plan and apply the config you want, then remove ${journalFile}`,
    });
  const later = effectiveReleases(await readReleases(client)).filter((r) => r.number !== summary.release && Date.parse(r.appliedAt) > Date.parse(begin.startedAt));
  if (later.length > 0) {
    const r = later.at(-1)!;
    throw refuse(`release ${r.number} (${r.kind} by ${r.appliedBy} at ${r.appliedAt}) was recorded after it began`);
  }
  const uncertain = new Set(summary.uncertain.map((i) => begin.steps.find((s) => s.index === i)).filter((s) => s !== undefined).map((s) => `${s.kind}:${s.id}`));
  const judged = new Set(begin.touched.map((t) => `${t.kind}:${t.id}`).filter((k) => !uncertain.has(k) && !k.startsWith('secrets:')));
  const { read, live } = await ctx.readLive();
  const differing = (target: Resources, namespaces: string[]) =>
    new Set(
      diffResources({
        desired: target,
        live,
        scope: { namespaces, selectTags: begin.scope.selectTags },
        desiredDigests: new Map(),
        unreadableDocumentCollections: read.unreadableDocumentCollections,
        liveNamespaceNames: read.allNamespaces.map((n) => n.name),
        raft: read.raft,
      })
        .changes.filter((c) => c.fields.length === 0 || c.fields.some((f) => !kinds[c.kind].sensitive.includes(f.field)))
        .map((c) => `${c.kind}:${c.id}`)
        .filter((k) => judged.has(k)),
    );
  const namespaces = [...new Set([...begin.preState.namespaces.map((n) => n.name), ...begin.scope.namespaces])];
  const fromBefore = differing(begin.preState as unknown as Resources, namespaces);
  const fromWritten = differing(begin.desiredState.resources, begin.scope.namespaces);
  const moved = [...fromBefore].filter((k) => fromWritten.has(k));
  if (moved.length > 0) {
    throw refuse(`${moved.slice(0, 5).map((k) => k.replace(':', ' ')).join(', ')} changed since (neither as before the apply nor as it was writing)`);
  }
}
