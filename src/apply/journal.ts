import type { Scope } from '../diff/diff.js';
import type { KindKey } from '../model/registry.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { LiveResources } from '../state/live-state.js';
import type { AdminRequest } from '../cluster/admin-api.js';
import type { StepAction } from './steps.js';

/**
 * The apply journal: one JSON record per line, each written before the thing it announces is
 * sent. Records are written in commits (group commit): a commit is one append of one or more
 * records, and one that announces writes is synced to disk before any of them is sent. A wave
 * of steps (or of undo writes) is announced by one commit of 'sending' records before its first
 * request, and closed by one commit of what became of each (see JournalWave). Sensitive values
 * never reach it: requests are masked, and the kept pre-state holds domain keys as digests only
 * (which is why a crash can leave a domain key that recover cannot restore).
 */
export type JournalRecord =
  | {
      type: 'begin';
      applyId: string;
      startedAt: string;
      adminUrl: string;
      desiredVersion: string;
      scope: Scope;
      /** The state of every resource the apply will touch, as read just before the first write. */
      preState: LiveResources;
      touched: { kind: KindKey; id: string }[];
      steps: { index: number; action: StepAction; kind: KindKey; id: string; requests: AdminRequest[] }[];
      desiredState: DesiredState;
    }
  /**
   * 'sending': announced, and perhaps sent (an apply killed before its wave closed leaves it so: its
   * outcome is unknown); 'unsent': announced with its wave but never sent, because the wave stopped
   * first (a step failed, or the apply was interrupted).
   */
  | { type: 'step'; index: number; state: WriteState; error?: string }
  /** `release`: with phase 'recording', the number of the release record about to be written. */
  | { type: 'phase'; phase: 'verifying' | 'recording' | 'final' | 'rolling-back'; release?: number }
  | { type: 'undo'; id: string; kind: KindKey; state: WriteState; error?: string }
  | { type: 'end'; outcome: 'applied' | 'rolled-back' | 'recovered' | 'resumed'; note?: string };

export type BeginRecord = Extract<JournalRecord, { type: 'begin' }>;

/** Where one announced write stands: see the `step` record. */
export type WriteState = 'sending' | 'done' | 'failed' | 'unsent';

/**
 * The journal records of one wave of writes (the steps of one dependency wave, or the undo writes
 * of one), as two commits: `announce()` before the first of them is sent, every one as 'sending';
 * `close()` once the wave is over, with the outcome of each that was sent, and 'unsent' for each
 * that never started. One that started and has no outcome (the wave was cut short while it was
 * under way) stays 'sending': it may have landed. Pure: the caller writes the records.
 */
export class JournalWave<T> {
  private readonly started = new Set<T>();
  private readonly outcomes = new Map<T, { state: 'done' | 'failed'; error?: string }>();

  constructor(
    private readonly items: readonly T[],
    private readonly record: (item: T, state: WriteState, error?: string) => JournalRecord,
  ) {}

  /** The commit that announces the wave: every write of it as 'sending', in order. */
  announce(): JournalRecord[] {
    return this.items.map((item) => this.record(item, 'sending'));
  }

  /** The write is about to be sent. */
  start(item: T): void {
    this.started.add(item);
  }

  done(item: T): void {
    this.outcomes.set(item, { state: 'done' });
  }

  failed(item: T, error: string): void {
    this.outcomes.set(item, { state: 'failed', error });
  }

  /** The commit that closes the wave, in the order announced (empty when nothing is left to say). */
  close(): JournalRecord[] {
    const out: JournalRecord[] = [];
    for (const item of this.items) {
      const outcome = this.outcomes.get(item);
      if (outcome) out.push(this.record(item, outcome.state, outcome.error));
      else if (!this.started.has(item)) out.push(this.record(item, 'unsent'));
    }
    return out;
  }
}

/** A step's record in the journal. */
export function stepRecord(index: number, state: WriteState, error?: string): JournalRecord {
  return { type: 'step', index, state, ...(error !== undefined ? { error } : {}) };
}

/** An undo write's record in the journal. */
export function undoRecord(kind: KindKey, id: string, state: WriteState, error?: string): JournalRecord {
  return { type: 'undo', kind, id, state, ...(error !== undefined ? { error } : {}) };
}

/** What a journal says happened. An apply without an `end` record was interrupted. */
export interface JournalSummary {
  begin: BeginRecord;
  finished: boolean;
  done: number[];
  /** Steps announced but never confirmed: their writes may or may not have landed. */
  uncertain: number[];
  phase?: 'verifying' | 'recording' | 'final' | 'rolling-back';
  /** The release record the apply wrote or was writing, which a rollback must void. */
  release?: number;
}

export function summarizeJournal(records: readonly JournalRecord[]): JournalSummary | undefined {
  // The last apply recorded: `recover --resume` appends its own after the one it finishes, and
  // one that ends before its journal is archived must not hide the next.
  const start = records.findLastIndex((r) => r.type === 'begin');
  if (start < 0) return undefined;
  const begin = records[start] as BeginRecord;
  const states = new Map<number, string>();
  let phase: JournalSummary['phase'];
  let finished = false;
  let release: number | undefined;
  for (const r of records.slice(start)) {
    if (r.type === 'step') states.set(r.index, r.state);
    if (r.type === 'phase') phase = r.phase;
    if (r.type === 'phase' && r.release !== undefined) release = r.release;
    if (r.type === 'end') finished = true;
  }
  const done = [...states].filter(([, s]) => s === 'done').map(([i]) => i);
  const uncertain = [...states].filter(([, s]) => s === 'sending').map(([i]) => i);
  return { begin, finished, done, uncertain, phase, ...(release !== undefined ? { release } : {}) };
}
