import { restorePreState, type ApplyContext, type ApplyEvent } from '../apply/execute.js';
import { summarizeJournal, type JournalSummary } from '../apply/journal.js';
import type { AdminClient } from '../cluster/client.js';
import { effectiveReleases, readReleases, voidRelease, type ReleaseRecord } from '../cluster/releases.js';
import type { LiveRead } from '../model/api-types.js';
import type { LiveResources } from '../state/live-state.js';
import { diffResources } from '../diff/diff.js';
import { kinds, type KindKey } from '../model/registry.js';
import type { Resources } from '../schema/generated/desired-state.js';
import { createApplyContext } from './apply-context.js';
import { markApplyFinished, readApplyMarker } from '../cluster/apply-marker.js';
import { liveLockHolder } from '../cluster/lock.js';
import { DgateError } from '../errors/dgate-error.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';

/**
 * The journal of applies to this cluster. Refuses (DG3002) while an earlier apply was interrupted,
 * as the local journal or the mark it left in the cluster says (another machine, another
 * directory, another spelling of the URL): planning or applying over a half-made change would
 * hide it. `holdingLock`: the caller holds the apply lock, so no other apply can be running.
 */
export async function journalRefusingInterrupted(client: AdminClient, holdingLock: boolean): Promise<JournalStore> {
  const adminUrl = client.baseUrl;
  const journal = new JournalStore(stateDirectory(), adminUrl);
  const earlier = summarizeJournal(await journal.read());
  if (earlier && !earlier.finished) {
    throw new DgateError({
      code: 'DG3002',
      message: `an earlier apply to ${adminUrl} (started ${earlier.begin.startedAt}) was interrupted before it finished`,
      hint: 'run `dgate-cli recover` to return the cluster to its state before it (or `dgate-cli recover --resume PATH` to finish it)',
    });
  }
  const marker = await readApplyMarker(client);
  if (marker && !marker.finished && (holdingLock || !(await liveLockHolder(client)))) {
    throw new DgateError({
      code: 'DG3002',
      message: `an apply to ${adminUrl} by ${marker.by} on ${marker.host} (started ${marker.startedAt}; its journal: ${marker.journal}) was interrupted before it finished`,
      hint: 'run `dgate-cli recover` (from any machine: the cluster keeps what it needs) to return the cluster to its state before it, or `dgate-cli recover --resume PATH` to finish it',
    });
  }
  return journal;
}

/**
 * Returns every resource an interrupted apply touched to its state before it, and closes the
 * journal and the mark in the cluster. The interrupted apply comes from the local journal, or,
 * when this machine has none, from the mark it left in the cluster (its begin record). Null when
 * no apply is interrupted; `completed` when the mark was only left over by an apply that finished
 * (its release recorded and the cluster as it wrote it). The caller holds the apply lock.
 */
export async function rollBackInterrupted(
  client: AdminClient,
  journal: JournalStore,
  onEvent: (e: ApplyEvent) => void,
): Promise<{ applyId: string; startedAt: string; equal: boolean; differences: string[]; completed?: number } | null> {
  const local = summarizeJournal(await journal.read());
  const marker = await readApplyMarker(client);
  const open = marker && !marker.finished ? marker : undefined;
  // Step outcomes are not in the cluster's copy: every step counts as sent, outcome unknown.
  const fromMark = !(local && !local.finished) && open !== undefined;
  const summary: JournalSummary | undefined = fromMark
    ? { begin: open!.begin, finished: false, done: [], uncertain: open!.begin.steps.map((st) => st.index) }
    : local && !local.finished
      ? local
      : undefined;
  if (!summary) return null;
  // Without the local journal, the apply's own release (if it got that far) is the one recorded since with its version.
  if (fromMark) {
    const own = await releaseOf(client, summary);
    if (own) summary.release = own.number;
  }
  const begin = summary.begin;
  const sameMark = open?.applyId === begin.applyId ? open : undefined;
  const ctx = createApplyContext({
    client,
    journal,
    namespaces: begin.scope.namespaces,
    sources: { root: process.cwd(), inline: () => undefined, identities: [] },
    onEvent,
  });
  const finishMark = async (outcome: 'applied' | 'recovered') => {
    if (sameMark) await markApplyFinished(client, sameMark, outcome, new Date());
  };
  if (fromMark) {
    const completed = await completedRelease(client, summary, ctx);
    if (completed !== undefined) {
      await finishMark('applied');
      return { applyId: begin.applyId, startedAt: begin.startedAt, equal: true, differences: [], completed };
    }
  }
  await refuseIfMovedOn(
    client,
    summary,
    ctx,
    sameMark ? `the mark in the cluster (and ${sameMark.journal} on ${sameMark.host})` : journal.file,
  );
  await journal.append({ type: 'phase', phase: 'rolling-back' });
  // The journal keeps no plaintext: a touched domain key cannot be put back after a crash.
  const restore = await restorePreState({ live: begin.preState }, begin.touched, ctx, () => undefined);
  if (summary.release !== undefined) {
    // The apply got as far as writing its release record (or was writing it): it did not happen.
    const record = (await readReleases(client)).find((r) => r.number === summary.release);
    if (record && !record.voided)
      await voidRelease(client, record, `interrupted; rolled back by recover (apply ${begin.applyId})`, new Date());
  }
  await journal.append({ type: 'end', outcome: 'recovered' });
  await journal.archive();
  await finishMark('recovered');
  return { applyId: begin.applyId, startedAt: begin.startedAt, equal: restore.equal, differences: restore.differences };
}

/** The release an interrupted apply recorded, when it got that far: same version, recorded after it began. */
async function releaseOf(client: AdminClient, summary: JournalSummary): Promise<ReleaseRecord | undefined> {
  const latest = effectiveReleases(await readReleases(client)).at(-1);
  return latest &&
    latest.desiredVersion === summary.begin.desiredVersion &&
    Date.parse(latest.appliedAt) >= Date.parse(summary.begin.startedAt)
    ? latest
    : undefined;
}

/** The number of the release of an apply that finished (recorded, and the cluster as it wrote it), or undefined. */
async function completedRelease(
  client: AdminClient,
  summary: JournalSummary,
  ctx: ApplyContext,
): Promise<number | undefined> {
  const release = await releaseOf(client, summary);
  if (!release) return undefined;
  const begin = summary.begin;
  const judged = new Set(begin.touched.map((t) => `${t.kind}:${t.id}`).filter((k) => !k.startsWith('secrets:')));
  const { read, live } = await ctx.readLive();
  const differs = touchedDiffering(
    begin.desiredState.resources,
    begin.scope.namespaces,
    begin.scope.selectTags,
    judged,
    read,
    live,
  );
  return differs.size === 0 ? release.number : undefined;
}

/**
 * Refuses (DG3011) to roll an interrupted apply back when the cluster has moved on since: a
 * release recorded after it began (another apply finished over it), or a touched resource that
 * now equals neither its state before the apply nor what the apply was writing. Resources whose
 * step was sent but never confirmed may be anywhere in between, and secret values cannot be read,
 * so those are not judged.
 */
async function refuseIfMovedOn(
  client: AdminClient,
  summary: JournalSummary,
  ctx: ApplyContext,
  journalFile: string,
): Promise<void> {
  const begin = summary.begin;
  const refuse = (why: string) =>
    new DgateError({
      code: 'DG3011',
      message: `the interrupted apply ${begin.applyId} (started ${begin.startedAt}) is not rolled back: ${why}, and rolling back would undo it`,
      hint: `nothing was changed; make the cluster what you want it to be, then run \`dgate-cli recover --abandon\` to forget the interrupted apply (${journalFile})`,
    });
  const later = effectiveReleases(await readReleases(client)).filter(
    (r) => r.number !== summary.release && Date.parse(r.appliedAt) > Date.parse(begin.startedAt),
  );
  if (later.length > 0) {
    const r = later.at(-1)!;
    throw refuse(`release ${r.number} (${r.kind} by ${r.appliedBy} at ${r.appliedAt}) was recorded after it began`);
  }
  const uncertain = new Set(
    summary.uncertain
      .map((i) => begin.steps.find((s) => s.index === i))
      .filter((s) => s !== undefined)
      .map((s) => `${s.kind}:${s.id}`),
  );
  const judged = new Set(
    begin.touched.map((t) => `${t.kind}:${t.id}`).filter((k) => !uncertain.has(k) && !k.startsWith('secrets:')),
  );
  const { read, live } = await ctx.readLive();
  const namespaces = [...new Set([...begin.preState.namespaces.map((n) => n.name), ...begin.scope.namespaces])];
  const fromBefore = touchedDiffering(
    begin.preState as unknown as Resources,
    namespaces,
    begin.scope.selectTags,
    judged,
    read,
    live,
  );
  const fromWritten = touchedDiffering(
    begin.desiredState.resources,
    begin.scope.namespaces,
    begin.scope.selectTags,
    judged,
    read,
    live,
  );
  const moved = [...fromBefore].filter((k) => fromWritten.has(k));
  if (moved.length > 0) {
    const named = moved.slice(0, 5).map((k) => {
      const colon = k.indexOf(':');
      return `${kinds[k.slice(0, colon) as KindKey].singular} ${k.slice(colon + 1)}`;
    });
    throw refuse(`${named.join(', ')} changed since (neither as before the apply nor as it was writing)`);
  }
}

/** The touched resources (of `judged`) whose live state differs from `target`, sensitive-only differences aside. */
function touchedDiffering(
  target: Resources,
  namespaces: string[],
  selectTags: string[],
  judged: ReadonlySet<string>,
  read: LiveRead,
  live: LiveResources,
): Set<string> {
  return new Set(
    diffResources({
      desired: target,
      live,
      scope: { namespaces, selectTags },
      desiredDigests: new Map(),
      unreadableDocumentCollections: read.unreadableDocumentCollections,
      liveNamespaceNames: read.allNamespaces.map((n) => n.name),
      raft: read.raft,
    })
      .changes.filter((c) => c.fields.length === 0 || c.fields.some((f) => !kinds[c.kind].sensitive.includes(f.field)))
      .map((c) => `${c.kind}:${c.id}`)
      .filter((k) => judged.has(k)),
  );
}
