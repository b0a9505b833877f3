import { describe, expect, it } from 'vitest';
import {
  describeResult,
  expandQuery,
  judgeQuery,
  promDuration,
  readInstantAnswer,
  unknownPlaceholders,
} from '../../../src/model/canary-prometheus.js';
import { judgeCheck } from '../../../src/model/canary-metrics.js';
import { resolveChecks } from '../../../src/model/canary-rollout.js';

const vector = (...values: string[]) =>
  JSON.stringify({
    status: 'success',
    data: { resultType: 'vector', result: values.map((v) => ({ metric: {}, value: [1700000000, v] })) },
  });

describe('canary Prometheus queries (pure)', () => {
  it('fills in the placeholders, the interval as a Prometheus duration', () => {
    expect(promDuration(60_000)).toBe('60s');
    expect(promDuration(1500)).toBe('1500ms');
    expect(
      expandQuery('rate(x{namespace="{{namespace}}",route="{{ route }}",svc="{{service}}"}[{{interval}}])', {
        namespace: 'shop',
        route: 'checkout',
        service: 'checkout-v2',
        intervalMs: 30_000,
      }),
    ).toBe('rate(x{namespace="shop",route="checkout",svc="checkout-v2"}[30s])');
    expect(expandQuery('m="{{module}}"', { namespace: 'shop', route: 'r', module: 'auth-v2', intervalMs: 1000 })).toBe(
      'm="auth-v2"',
    );
    expect(unknownPlaceholders('a{{route}} {{rout}} {{ Interval }}')).toEqual(['rout', 'Interval']);
  });

  it('reads an instant answer: one series or a scalar is the value; empty or NaN is no data; anything else an error', () => {
    expect(readInstantAnswer(200, vector('0.25'))).toEqual({ kind: 'value', value: 0.25 });
    expect(
      readInstantAnswer(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '3'] } })),
    ).toEqual({ kind: 'value', value: 3 });
    expect(readInstantAnswer(200, vector('+Inf'))).toEqual({ kind: 'value', value: Number.POSITIVE_INFINITY });
    expect(readInstantAnswer(200, vector())).toEqual({ kind: 'no-data' });
    expect(readInstantAnswer(200, vector('NaN'))).toEqual({ kind: 'no-data' });
    expect(readInstantAnswer(200, vector('1', '2'))).toEqual({
      kind: 'error',
      problem: 'the query came to 2 series, not one number (sum() or max() it)',
    });
    expect(
      readInstantAnswer(
        400,
        JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error: unexpected "}"' }),
      ),
    ).toEqual({ kind: 'error', problem: 'refused the query (HTTP 400, bad_data): parse error: unexpected "}"' });
    expect(readInstantAnswer(502, '<html>bad gateway</html>').kind).toBe('error');
  });

  it('judges a value against its range, and says so with its source', () => {
    const q = { name: 'error-ratio', query: 'q', max: 0.01 };
    const fail = judgeQuery(q, 'q', { kind: 'value', value: 0.5 }, 'http://prom:9090');
    expect(fail).toMatchObject({ outcome: 'fail', value: 0.5, source: 'Prometheus http://prom:9090: error-ratio' });
    expect(describeResult(fail)).toBe('Prometheus error-ratio 0.5 > 0.01');
    const pass = judgeQuery(q, 'q', { kind: 'value', value: 0 }, 'http://prom:9090');
    expect(describeResult(pass)).toBe('Prometheus error-ratio 0 ≤ 0.01');
    const low = judgeQuery({ name: 'ok', query: 'q', min: 0.99, max: 1 }, 'q', { kind: 'value', value: 0.9 }, 'u');
    expect(describeResult(low)).toBe('Prometheus ok 0.9 < 0.99');
    const none = judgeQuery(q, 'q', { kind: 'no-data' }, 'u');
    expect(none).toMatchObject({ outcome: 'no-data', value: null });
    expect(describeResult(none)).toBe('Prometheus error-ratio: no data');
  });

  it('a check: a value out of range fails it whatever the traffic; no data keeps it from passing', () => {
    const rules = resolveChecks({ minRequests: 10, prometheus: { url: 'u', queries: [] } });
    expect(rules.prometheus).toEqual({ url: 'u', queries: [] });
    const enough = { requests: 100, errors: 0, buckets: { '10': 100, '+Inf': 100 } };
    const few = { requests: 2, errors: 0, buckets: {} };
    const q = { name: 'r', query: 'q', max: 0.01 };
    const at = new Date(0);
    const fail = judgeQuery(q, 'q', { kind: 'value', value: 0.5 }, 'u');
    const pass = judgeQuery(q, 'q', { kind: 'value', value: 0 }, 'u');
    const none = judgeQuery(q, 'q', { kind: 'no-data' }, 'u');
    expect(judgeCheck(few, few, rules, at, 1, 's', undefined, [fail])).toMatchObject({
      verdict: 'fail',
      reasons: ['Prometheus r 0.5 > 0.01', '2 of the 10 canary requests a check needs'],
    });
    expect(judgeCheck(enough, enough, rules, at, 1, 's', undefined, [pass]).verdict).toBe('pass');
    expect(judgeCheck(enough, enough, rules, at, 1, 's', undefined, [pass]).prometheus).toEqual([pass]);
    expect(judgeCheck(enough, enough, rules, at, 1, 's', undefined, [none])).toMatchObject({
      verdict: 'too-few-requests',
    });
    expect(judgeCheck(enough, enough, rules, at, 1, 's', undefined, [none]).reasons).toContain('Prometheus r: no data');
    expect(judgeCheck(few, few, rules, at, 1, 's', undefined, [pass]).verdict).toBe('too-few-requests');
  });
});
