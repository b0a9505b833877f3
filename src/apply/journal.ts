import type { Scope } from '../diff/diff.js';
import type { KindKey } from '../model/registry.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { LiveResources } from '../state/live-state.js';
import type { AdminRequest } from '../cluster/admin-api.js';
import type { StepAction } from './steps.js';

/**
 * The apply journal: one JSON record per line, each written before the thing it announces is
 * sent. Sensitive values never reach it: requests are masked, and the kept pre-state holds domain
 * keys as digests only (which is why a crash can leave a domain key that recover cannot restore).
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
  | { type: 'step'; index: number; state: 'sending' | 'done' | 'failed'; error?: string }
  /** `release`: with phase 'recording', the number of the release record about to be written. */
  | { type: 'phase'; phase: 'verifying' | 'recording' | 'final' | 'rolling-back'; release?: number }
  | { type: 'undo'; id: string; kind: KindKey; state: 'sending' | 'done' | 'failed'; error?: string }
  | { type: 'end'; outcome: 'applied' | 'rolled-back' | 'recovered' | 'resumed'; note?: string };

export type BeginRecord = Extract<JournalRecord, { type: 'begin' }>;

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
