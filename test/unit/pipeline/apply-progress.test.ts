import { describe, expect, it } from 'vitest';
import type { ApplyEvent } from '../../../src/apply/execute.js';
import type { Step } from '../../../src/apply/steps.js';
import {
  type ApplyProgress,
  nextProgress,
  noProgress,
  renderProgressLine,
  renderProgressSummary,
} from '../../../src/pipeline/apply-progress.js';
import { createStyle } from '../../../src/report/style.js';

const plain = createStyle(false);
const step = (kind: string, id: string) => ({ kind, id, action: 'create' }) as unknown as Step;

/** Folds events given with the instant each happens at (ms). */
function fold(events: [number, ApplyEvent][]): ApplyProgress {
  return events.reduce((p, [at, e]) => nextProgress(p, e, at), noProgress);
}

describe('apply progress', () => {
  it('counts steps against the total, with the rate so far, the time left and the wave under way', () => {
    const events: [number, ApplyEvent][] = [[0, { type: 'begin', steps: 1010 }]];
    for (let i = 0; i < 640; i++) {
      const s = step(i < 600 ? 'services' : 'routes', `ns/x${i}`);
      events.push([i * 25, { type: 'step', step: s, state: 'start' }]);
      events.push([i * 25 + 25, { type: 'step', step: s, state: 'done' }]);
    }
    const p = fold(events);
    expect(p).toMatchObject({ total: 1010, done: 640, failed: 0, current: 'routes' });
    // 640 steps in 16 s: 40/s, 370 left: 9.3 s.
    expect(renderProgressLine(p, 16_000, 80, plain)).toBe(
      '[███████████████████░░░░░░░░░░░] 640/1,010 steps · 40/s · 9.3 s left · routes',
    );
    expect(renderProgressLine(p, 16_000, 50, plain)).toMatch(/^\[█{6}░{4}\] 640\/1,010 steps/);
  });

  it('shows failures and undo steps, and names the phase', () => {
    const s = step('routes', 'ns/a');
    const p = fold([
      [0, { type: 'begin', steps: 2 }],
      [10, { type: 'step', step: s, state: 'start' }],
      [20, { type: 'step', step: s, state: 'failed', error: 'boom' }],
      [30, { type: 'phase', phase: 'rolling-back' }],
      [40, { type: 'undo', change: { kind: 'routes', id: 'ns/a', action: 'create' } as never, state: 'done' }] as [
        number,
        ApplyEvent,
      ],
    ]);
    expect(renderProgressLine(p, 50, 200, plain)).toBe(
      '[░░░░░░░░░░░░░░░░░░░░░░░░░░░░░░] 0/2 steps · 1 undone · 1 failed · rolling back',
    );
  });

  it('ends with one summary line', () => {
    const s = step('services', 'ns/a');
    const p = fold([
      [1000, { type: 'begin', steps: 1 }],
      [1000, { type: 'step', step: s, state: 'start' }],
      [1500, { type: 'step', step: s, state: 'done' }],
      [3000, { type: 'end', outcome: 'applied' }],
    ]);
    expect(renderProgressSummary(p, 9000)).toBe('1 step in 2.0 s, 0.5/s');
    expect(renderProgressSummary({ ...noProgress, total: 5, done: 2, startedAt: 0, endedAt: 90_000 }, 0)).toBe(
      '2 of 5 steps in 1 min 30 s, 0.0/s',
    );
  });
});
