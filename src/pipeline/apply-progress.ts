import type { ApplyEvent } from '../apply/execute.js';
import type { Style } from '../report/style.js';

/**
 * Where an apply stands, folded from its events: what a terminal's status line shows while it
 * runs (a bar, done of total, writes per second, time left, the wave under way) and the line left
 * when it ends. Pure: the clock comes in with each event.
 */
export interface ApplyProgress {
  /** Steps the apply will make; undefined until it says (rollback and recover may never say). */
  total?: number;
  done: number;
  failed: number;
  undone: number;
  /** What runs now: a kind's wave ("routes"), or a phase ("verifying"). */
  current?: string;
  startedAt?: number;
  endedAt?: number;
  outcome?: 'applied' | 'rolled-back';
}

export const noProgress: ApplyProgress = { done: 0, failed: 0, undone: 0 };

const phaseNames = {
  verifying: 'verifying',
  final: 'last changes',
  'rolling-back': 'rolling back',
  'checking-restore': 'checking the rollback',
} as const;

export function nextProgress(p: ApplyProgress, e: ApplyEvent, now: number): ApplyProgress {
  switch (e.type) {
    case 'begin':
      return { ...noProgress, total: e.steps, startedAt: now };
    case 'end':
      return { ...p, endedAt: now, outcome: e.outcome, current: undefined };
    case 'phase':
      return { ...p, current: phaseNames[e.phase] };
    case 'step':
      if (e.state === 'start') return { ...p, current: e.step.kind };
      if (e.state === 'done') return { ...p, done: p.done + 1 };
      return { ...p, failed: p.failed + 1 };
    case 'undo':
      return e.state === 'done' ? { ...p, undone: p.undone + 1 } : p;
  }
}

function steps(n: number): string {
  return n === 1 ? 'step' : 'steps';
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - m * 60)).padStart(2, '0')} s`;
}

/** Writes per second so far, or undefined before a second's worth of work has been seen. */
function rateOf(p: ApplyProgress, now: number): number | undefined {
  if (p.startedAt === undefined) return undefined;
  const elapsed = (p.endedAt ?? now) - p.startedAt;
  return elapsed >= 250 && p.done > 0 ? (p.done / elapsed) * 1000 : undefined;
}

/**
 * The status line, at most `width` columns: `[██████░░░░] 640/1,010 · 42/s · 9.0 s left · routes`.
 * Without a total (a rollback), the count alone.
 */
export function renderProgressLine(p: ApplyProgress, now: number, width: number, style: Style): string {
  const rate = rateOf(p, now);
  const parts: string[] = [];
  if (p.total !== undefined) {
    parts.push(`${count(p.done)}/${count(p.total)} steps`);
    if (rate !== undefined) parts.push(`${rate.toFixed(rate < 10 ? 1 : 0)}/s`);
    const left = p.total - p.done - p.failed;
    if (rate !== undefined && left > 0) parts.push(`${seconds((left / rate) * 1000)} left`);
  } else {
    parts.push(`${count(p.done)} ${steps(p.done)}`);
  }
  if (p.undone > 0) parts.push(`${count(p.undone)} undone`);
  if (p.failed > 0) parts.push(style.red(`${count(p.failed)} failed`));
  if (p.current) parts.push(p.current);
  const text = parts.join(' · ');
  if (p.total === undefined || p.total === 0) return text;
  // The bar takes what the text leaves, between 10 and 30 columns.
  const plainLength = text.replace(/\u001b\[[0-9;]*m/g, '').length;
  const barWidth = Math.max(10, Math.min(30, width - plainLength - 3));
  const filled = Math.round((Math.min(p.done, p.total) / p.total) * barWidth);
  return `[${style.green('█'.repeat(filled))}${style.dim('░'.repeat(barWidth - filled))}] ${text}`;
}

/** The line left once the apply ends: `1,010 steps in 24 s, 42/s`. */
export function renderProgressSummary(p: ApplyProgress, now: number): string {
  const elapsed = (p.endedAt ?? now) - (p.startedAt ?? now);
  const rate = rateOf(p, now);
  const of = p.total !== undefined && p.done !== p.total ? ` of ${count(p.total)}` : '';
  const undone = p.undone > 0 ? `, ${count(p.undone)} undone` : '';
  return `${count(p.done)}${of} ${steps(p.total ?? p.done)} in ${seconds(elapsed)}${rate !== undefined ? `, ${rate.toFixed(rate < 10 ? 1 : 0)}/s` : ''}${undone}`;
}
