import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  counterDelta,
  histogramQuantile,
  judgeCheck,
  routeCounters,
  sumCounters,
} from '../../../src/model/canary-metrics.js';
import {
  type CanaryRollout,
  type CheckResult,
  decidePause,
  resolveChecks,
  rolloutIdentity,
  rolloutSteps,
  rolloutWeight,
  startWeight,
} from '../../../src/model/canary-rollout.js';

const fixture = path.resolve(import.meta.dirname, '../../fixtures/metrics/dgate-v0.11.1-canary-split.txt');

describe('canary metrics', () => {
  it("reads one route's canary and stable requests from a real DGate v0.11.1 /metrics, by the split's User-Agent mark", async () => {
    // Recorded from dgate-server v0.11.1: 10 forced requests to a canary answering 200 and 500 in
    // turn, 30 to stable, over two connections (so two series for stable 200).
    const text = await readFile(fixture, 'utf8');
    const counters = routeCounters(text, 'ns', 'r');
    expect(counters.canary).toMatchObject({ requests: 10, errors: 5 });
    expect(counters.stable).toMatchObject({ requests: 30, errors: 0 });
    expect(counters.canary.buckets['+Inf']).toBe(10);
    expect(counters.stable.buckets['+Inf']).toBe(30);
    // Another route, or another namespace, counts nothing.
    expect(routeCounters(text, 'ns', 'other').canary.requests).toBe(0);
    expect(routeCounters(text, 'other', 'r').stable.requests).toBe(0);
  });

  it('ignores requests without the mark (routes without a canary), and empty HELP lines', () => {
    const text = [
      '# HELP request_count_total',
      '# TYPE request_count_total counter',
      'request_count_total{namespace="ns",route="r",status_code="200",user_agent="curl/8"} 7',
      'request_count_total{namespace="ns",route="r",status_code="503",user_agent="dgate-cli.canary=canary x"} 2',
      'request_count_total{namespace="ns",route="r",status_code="200",user_agent="dgate-cli.canary=canary x"} 3',
    ].join('\n');
    const counters = routeCounters(text, 'ns', 'r');
    expect(counters.canary).toMatchObject({ requests: 5, errors: 2 });
    expect(counters.stable.requests).toBe(0);
  });

  it('interpolates a quantile inside its bucket as histogram_quantile does', () => {
    // 100 observations: 50 up to 10ms, 90 up to 100ms, all up to 1000ms.
    const buckets = { '10': 50, '100': 90, '1000': 100, '+Inf': 100 };
    expect(histogramQuantile(0.5, buckets)).toBe(10);
    expect(histogramQuantile(0.7, buckets)).toBeCloseTo(55);
    expect(histogramQuantile(0.99, buckets)).toBeCloseTo(910);
    expect(histogramQuantile(0.99, {})).toBeNull();
    // In the +Inf bucket all that is known is "above the highest bound".
    expect(histogramQuantile(0.99, { '10': 1, '+Inf': 100 })).toBe(10);
  });

  it('counts a window from a baseline, and a counter that went down as a restarted node', () => {
    const before = { requests: 10, errors: 1, buckets: { '10': 8, '+Inf': 10 } };
    const after = { requests: 25, errors: 4, buckets: { '10': 20, '+Inf': 25 } };
    expect(counterDelta(before, after)).toEqual({ requests: 15, errors: 3, buckets: { '10': 12, '+Inf': 15 } });
    const restarted = { requests: 3, errors: 0, buckets: { '+Inf': 3 } };
    expect(counterDelta(before, restarted)).toEqual(restarted);
    expect(sumCounters(after, restarted)).toEqual({ requests: 28, errors: 4, buckets: { '10': 20, '+Inf': 28 } });
  });

  it('judges a check: too few requests is neither pass nor fail; success rate and p99 against the thresholds', () => {
    const rules = resolveChecks({ minRequests: 100, successRate: 99, latencyP99: '500ms' });
    const at = new Date('2026-11-29T12:00:00Z');
    const ok = { '100': 200, '+Inf': 200 };
    const few = judgeCheck(
      { requests: 12, errors: 0, buckets: {} },
      { requests: 0, errors: 0, buckets: {} },
      rules,
      at,
      1,
      's',
    );
    expect(few.verdict).toBe('too-few-requests');
    expect(few.reasons).toEqual(['12 of the 100 canary requests a check needs']);
    const pass = judgeCheck(
      { requests: 200, errors: 1, buckets: ok },
      { requests: 800, errors: 0, buckets: ok },
      rules,
      at,
      1,
      's',
    );
    expect(pass.verdict).toBe('pass');
    expect(pass.canary?.successRate).toBe(99.5);
    expect(pass.stable?.requests).toBe(800);
    const failing = judgeCheck(
      { requests: 200, errors: 100, buckets: ok },
      { requests: 0, errors: 0, buckets: {} },
      rules,
      at,
      1,
      's',
    );
    expect(failing.verdict).toBe('fail');
    expect(failing.reasons[0]).toBe('success rate 50% < 99% (100 of 200 failed)');
    const slow = judgeCheck(
      { requests: 200, errors: 0, buckets: { '250': 100, '1000': 200, '+Inf': 200 } },
      { requests: 0, errors: 0, buckets: {} },
      rules,
      at,
      1,
      's',
    );
    expect(slow.verdict).toBe('fail');
    expect(slow.reasons[1]).toBe('p99 985ms > 500ms');
  });

  it('fails a check on a failed probe, even with too few requests to judge the figures', () => {
    const rules = resolveChecks({ minRequests: 100 });
    const at = new Date('2026-11-29T12:00:00Z');
    const none = { requests: 0, errors: 0, buckets: {} };
    const failed = {
      route: 'shop/checkout',
      name: 'cart',
      outcome: 'failed' as const,
      status: 503,
      problems: ['status 503, expected 200'],
    };
    const passed = { route: 'shop/checkout', name: 'cart', outcome: 'passed' as const, status: 200, problems: [] };
    const bad = judgeCheck(none, none, rules, at, 1, 's', [failed]);
    expect(bad.verdict).toBe('fail');
    expect(bad.reasons).toEqual([
      'probe cart failed: status 503, expected 200',
      '0 of the 100 canary requests a check needs',
    ]);
    expect(judgeCheck(none, none, rules, at, 1, 's', [passed]).verdict).toBe('too-few-requests');
    const ok = { requests: 200, errors: 0, buckets: { '10': 200, '+Inf': 200 } };
    expect(judgeCheck(ok, none, rules, at, 1, 's', [passed]).reasons.at(-1)).toBe('1 probe passed');
  });
});

describe('canary rollout', () => {
  const steps = rolloutSteps([{ weight: 5 }, { pause: '1m' }, { weight: 50 }, { pause: '30s' }]);

  it('reads steps and fills in the checks Flagger would', () => {
    expect(steps).toEqual([{ weight: 5 }, { pauseMs: 60_000 }, { weight: 50 }, { pauseMs: 30_000 }]);
    expect(resolveChecks(undefined)).toEqual({
      enabled: true,
      successRate: 99,
      latencyP99Ms: 500,
      minRequests: 100,
      intervalMs: 60_000,
      failureLimit: 2,
      deadlineMs: 600_000,
    });
    expect(startWeight(steps)).toBe(5);
    expect(startWeight(rolloutSteps([{ pause: '1m' }, { weight: 5 }]))).toBe(0);
  });

  it('gives the weight of the rollout the record is about, and starts again for another canary', () => {
    const id = rolloutIdentity('checkout', { service: 'v2' }, [{ weight: 5 }], undefined);
    expect(rolloutIdentity('checkout', { service: 'v3' }, [{ weight: 5 }], undefined)).not.toBe(id);
    expect(rolloutIdentity('checkout', { service: 'v2', module: 'auth-v2' }, [{ weight: 5 }], undefined)).not.toBe(id);
    expect(rolloutIdentity('checkout', { module: 'auth-v2' }, [{ weight: 5 }], undefined)).not.toBe(id);
    expect(rolloutIdentity('checkout', { service: 'v2' }, [{ weight: 5 }], { minRequests: 10 })).not.toBe(id);
    const record = { identity: id, status: 'progressing', weight: 50 } as CanaryRollout;
    expect(rolloutWeight(id, steps, record)).toBe(50);
    expect(rolloutWeight(id, steps, { ...record, status: 'promoted' })).toBe(100);
    expect(rolloutWeight(id, steps, { ...record, status: 'aborted' })).toBe(0);
    expect(rolloutWeight('other', steps, record)).toBe(5);
    expect(rolloutWeight(id, steps, undefined)).toBe(5);
  });

  it('ends a pause when its time is up and the latest check passed; aborts on failures in a row or no traffic by the deadline', () => {
    const rules = resolveChecks({ interval: '10s', failureLimit: 2 });
    const check = (verdict: CheckResult['verdict']): CheckResult => ({
      at: '',
      step: 1,
      verdict,
      reasons: [verdict],
      source: '',
    });
    expect(decidePause(60_000, 30_000, rules, 0, check('pass'))).toEqual({ next: 'wait' });
    expect(decidePause(60_000, 61_000, rules, 0, check('pass'))).toEqual({ next: 'advance' });
    // No traffic is not a pass: the pause waits on, until the deadline (10 intervals past its end).
    expect(decidePause(60_000, 61_000, rules, 0, check('too-few-requests'))).toEqual({ next: 'wait' });
    expect(decidePause(60_000, 160_000, rules, 0, check('too-few-requests'))).toMatchObject({ next: 'abort' });
    expect(decidePause(60_000, 20_000, rules, 1, check('fail'))).toEqual({ next: 'wait' });
    expect(decidePause(60_000, 20_000, rules, 2, check('fail'))).toEqual({
      next: 'abort',
      reason: '2 failed checks in a row: fail',
    });
    // Without checks a pause only waits.
    const off = resolveChecks({ enabled: false });
    expect(decidePause(60_000, 59_000, off, 0, undefined)).toEqual({ next: 'wait' });
    expect(decidePause(60_000, 60_000, off, 0, undefined)).toEqual({ next: 'advance' });
  });
});
