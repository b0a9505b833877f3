import { hostname } from 'node:os';
import type { BeginRecord } from '../apply/journal.js';
import type { AdminClient } from './client.js';
import { locksCollection, readSystemDocuments, writeSystemDocument } from './system-store.js';

/**
 * The mark an apply leaves in the cluster while it runs: what the local journal's begin record
 * says (the state before, what it touches, what it was writing), where that journal is, and, once
 * the apply ends, how. An apply killed half-way leaves it unfinished, so every machine that plans
 * or applies to the cluster, whatever URL spelling or directory it uses, sees the interruption, and
 * `recover` can undo it from anywhere: the local journal is only a cache of this.
 */
export interface ApplyMarker {
  applyId: string;
  startedAt: string;
  by: string;
  host: string;
  pid: number;
  /** The local journal, on `host`. */
  journal: string;
  begin: BeginRecord;
  finished?: { outcome: 'applied' | 'rolled-back' | 'recovered' | 'resumed'; at: string };
}

const markerId = 'in-progress';

export async function readApplyMarker(client: AdminClient): Promise<ApplyMarker | undefined> {
  return (await readSystemDocuments<ApplyMarker>(client, locksCollection)).find((d) => d.id === markerId)?.data;
}

/** Marks an apply as running. Written before its first write: a failure here changes nothing. */
export async function markApplyRunning(
  client: AdminClient,
  begin: BeginRecord,
  opts: { by: string; journal: string },
): Promise<ApplyMarker> {
  const marker: ApplyMarker = {
    applyId: begin.applyId,
    startedAt: begin.startedAt,
    by: opts.by,
    host: hostname(),
    pid: process.pid,
    journal: opts.journal,
    begin,
  };
  await writeSystemDocument(client, locksCollection, markerId, marker);
  return marker;
}

/** Marks an apply as ended. Written over the running mark (a PUT: deletes break raft leaders). */
export async function markApplyFinished(
  client: AdminClient,
  marker: ApplyMarker,
  outcome: NonNullable<ApplyMarker['finished']>['outcome'],
  at: Date,
): Promise<void> {
  await writeSystemDocument(client, locksCollection, markerId, {
    ...marker,
    finished: { outcome, at: at.toISOString() },
  });
}
