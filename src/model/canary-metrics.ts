/**
 * Canary and stable traffic as DGate's own metrics count it, and the checks judged on it. Pure:
 * the text of a node's admin `/metrics` in, figures and verdicts out.
 *
 * DGate v0.11.1 counts requests per route and status code (`request_count_total`) and times them
 * (`request_duration_milliseconds`), with the client's User-Agent as a label, but has no label for
 * the upstream a module chose. The generated split module therefore marks each request's
 * User-Agent, after the upstream has answered (so the upstream never sees it), with
 * `dgate-cli.canary=canary ` or `dgate-cli.canary=stable ` in front: DGate labels the request with
 * it when it counts it. docs/dgate-quirks.md says why this works; test/server/canary-rollout.test.ts
 * shows it on a real server.
 */

import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { describeResult, type PrometheusResult } from './canary-prometheus.js';
import type { CheckResult, CounterSnapshot, ProbeResult, ResolvedChecks, TrafficFigures } from './canary-rollout.js';

/** What the split module puts in front of a request's User-Agent. */
export const canaryMarkPrefix = 'dgate-cli.canary=';

export type TrafficVersion = 'canary' | 'stable';

const emptySnapshot = (): CounterSnapshot => ({ requests: 0, errors: 0, buckets: {} });

interface ParsedFamily {
  name: string;
  metrics: { labels?: Record<string, string>; value?: string }[];
}

const countFamily = 'request_count_total';
const bucketFamily = 'request_duration_milliseconds_bucket';

/**
 * The counters of one route's canary and stable requests in one node's metrics text, summed over
 * every other label. Only the sample lines of the two families used are parsed (the text is
 * large: DGate labels each request with the client's address and port), and without their
 * `# TYPE` lines: given one, the parser folds every series of a histogram into one and drops
 * their labels, and it drops a last line that does not end in a newline. As untyped samples,
 * each bucket keeps its labels, `le` among them.
 */
export function routeCounters(
  metricsText: string,
  namespace: string,
  route: string,
): Record<TrafficVersion, CounterSnapshot> {
  const lines = metricsText
    .split('\n')
    .filter((l) => l.startsWith(`${countFamily}{`) || l.startsWith(`${bucketFamily}{`));
  const parsed = parsePrometheusTextFormat(`${lines.join('\n')}\n`) as ParsedFamily[];
  const out: Record<TrafficVersion, CounterSnapshot> = { canary: emptySnapshot(), stable: emptySnapshot() };
  for (const family of parsed) {
    for (const m of family.metrics) {
      const labels = m.labels ?? {};
      if (labels.namespace !== namespace || labels.route !== route) continue;
      const version = versionOf(labels.user_agent);
      if (!version) continue;
      const snap = out[version];
      const n = Number(m.value);
      if (family.name === countFamily) {
        snap.requests += n;
        if (Number(labels.status_code) >= 500) snap.errors += n;
      } else if (family.name === bucketFamily && labels.le !== undefined) {
        snap.buckets[labels.le] = (snap.buckets[labels.le] ?? 0) + n;
      }
    }
  }
  return out;
}

function versionOf(userAgent: string | undefined): TrafficVersion | undefined {
  if (!userAgent?.startsWith(canaryMarkPrefix)) return undefined;
  const rest = userAgent.slice(canaryMarkPrefix.length);
  if (rest.startsWith('canary')) return 'canary';
  if (rest.startsWith('stable')) return 'stable';
  return undefined;
}

/** Adds counters (several nodes). */
export function sumCounters(a: CounterSnapshot, b: CounterSnapshot): CounterSnapshot {
  const buckets = { ...a.buckets };
  for (const [le, n] of Object.entries(b.buckets)) buckets[le] = (buckets[le] ?? 0) + n;
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, buckets };
}

/**
 * What happened between two reads of the same node's counters. A counter that went down means
 * the node restarted (DGate keeps metrics in memory): then everything since is the later value.
 */
export function counterDelta(before: CounterSnapshot | undefined, after: CounterSnapshot): CounterSnapshot {
  if (!before || after.requests < before.requests) return after;
  const buckets: Record<string, number> = {};
  for (const [le, n] of Object.entries(after.buckets)) buckets[le] = n - (before.buckets[le] ?? 0);
  return { requests: after.requests - before.requests, errors: after.errors - before.errors, buckets };
}

/**
 * The q-quantile of a cumulative histogram, interpolated linearly inside the bucket it falls in,
 * as Prometheus's histogram_quantile does; null without observations. When it falls in the +Inf
 * bucket, the highest finite bound is returned (all that can be said is "above it").
 */
export function histogramQuantile(q: number, buckets: Record<string, number>): number | null {
  const bounds = Object.entries(buckets)
    .map(([le, n]) => ({ le: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le), n }))
    .filter((b) => !Number.isNaN(b.le))
    .sort((a, b) => a.le - b.le);
  const total = bounds.at(-1)?.n ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevN = 0;
  for (const b of bounds) {
    if (b.n >= rank) {
      if (b.le === Number.POSITIVE_INFINITY) return prevLe;
      if (b.n === prevN) return b.le;
      return prevLe + (b.le - prevLe) * ((rank - prevN) / (b.n - prevN));
    }
    prevLe = b.le;
    prevN = b.n;
  }
  return prevLe;
}

export function figuresOf(c: CounterSnapshot): TrafficFigures {
  return {
    requests: c.requests,
    errors: c.errors,
    successRate: c.requests > 0 ? (100 * (c.requests - c.errors)) / c.requests : null,
    p99Ms: histogramQuantile(0.99, c.buckets),
  };
}

const pct = (n: number) => `${Number(n.toFixed(2))}%`;
const ms = (n: number) => `${Math.round(n)}ms`;

/**
 * Judges one check: the canary's requests since its pause began against the thresholds, the
 * probes sent in it (when the canary has them) and its Prometheus queries (checks.prometheus).
 * A failed probe, or a Prometheus value outside its range, fails the check even when there were
 * too few requests to judge the figures. A query with no data keeps the check from passing, as
 * too few requests do (no data is not a pass, Flagger #1689). The stable figures are reported
 * beside the canary's, for a reader to compare, and do not change the verdict.
 */
export function judgeCheck(
  canary: CounterSnapshot,
  stable: CounterSnapshot,
  checks: ResolvedChecks,
  at: Date,
  step: number,
  source: string,
  probes?: readonly ProbeResult[],
  prometheus?: readonly PrometheusResult[],
): CheckResult {
  const c = figuresOf(canary);
  const s = figuresOf(stable);
  const probeFailures = (probes ?? [])
    .filter((p) => p.outcome !== 'passed')
    .map((p) => `probe ${p.name} failed: ${p.problems.join('; ')}`);
  const promFailures = (prometheus ?? []).filter((p) => p.outcome === 'fail').map(describeResult);
  const promNoData = (prometheus ?? []).filter((p) => p.outcome === 'no-data').map(describeResult);
  const promPassed = (prometheus ?? []).filter((p) => p.outcome === 'pass').map(describeResult);
  const failures = [...probeFailures, ...promFailures];
  const base = {
    at: at.toISOString(),
    step,
    canary: c,
    stable: s,
    source,
    ...(probes ? { probes: [...probes] } : {}),
    ...(prometheus ? { prometheus: [...prometheus] } : {}),
  };
  if (c.requests < checks.minRequests) {
    const few = `${c.requests} of the ${checks.minRequests} canary requests a check needs`;
    return failures.length > 0
      ? { ...base, verdict: 'fail', reasons: [...failures, few] }
      : { ...base, verdict: 'too-few-requests', reasons: [few, ...promNoData] };
  }
  const reasons: string[] = [...failures];
  let failed = failures.length > 0;
  const rate = c.successRate ?? 0;
  if (rate < checks.successRate) {
    failed = true;
    reasons.push(`success rate ${pct(rate)} < ${pct(checks.successRate)} (${c.errors} of ${c.requests} failed)`);
  } else reasons.push(`success rate ${pct(rate)} ≥ ${pct(checks.successRate)}`);
  if (c.p99Ms !== null && c.p99Ms > checks.latencyP99Ms) {
    failed = true;
    reasons.push(`p99 ${ms(c.p99Ms)} > ${ms(checks.latencyP99Ms)}`);
  } else if (c.p99Ms !== null) reasons.push(`p99 ${ms(c.p99Ms)} ≤ ${ms(checks.latencyP99Ms)}`);
  if (probes && probes.length > 0 && probeFailures.length === 0)
    reasons.push(`${probes.length} probe${probes.length === 1 ? '' : 's'} passed`);
  reasons.push(...promPassed);
  if (failed) return { ...base, verdict: 'fail', reasons };
  // Every figure passed, and a query had no data: not a pass yet.
  if (promNoData.length > 0) return { ...base, verdict: 'too-few-requests', reasons: [...reasons, ...promNoData] };
  return { ...base, verdict: 'pass', reasons };
}
