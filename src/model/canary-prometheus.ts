/**
 * A canary's Prometheus queries (checks.prometheus, docs/canary.md#prometheus-queries), the pure
 * part: the placeholders filled in, an instant query's answer read as one number, and each value
 * judged against its range. Asking Prometheus is io/prometheus-query.ts.
 */

import type { CanaryPrometheusQuery } from '../schema/generated/config.js';

/** A canary's Prometheus check as a rollout keeps it (in its record's rules). */
export interface PrometheusRules {
  url: string;
  queries: CanaryPrometheusQuery[];
}

/** What one query came to in one check. */
export interface PrometheusResult {
  name: string;
  /** The query as sent (placeholders filled in). */
  query: string;
  /** The number it came to; null for no data (an empty result, or NaN). */
  value: number | null;
  min?: number;
  max?: number;
  outcome: 'pass' | 'fail' | 'no-data';
  /** Where the value came from: `Prometheus <url>: <name>`. */
  source: string;
}

/** What an instant query's answer comes to. */
export type QueryAnswer = { kind: 'value'; value: number } | { kind: 'no-data' } | { kind: 'error'; problem: string };

/** Milliseconds as a Prometheus duration: 60000 → 60s, 1500 → 1500ms. */
export function promDuration(ms: number): string {
  const whole = Math.max(1, Math.round(ms));
  return whole % 1000 === 0 ? `${whole / 1000}s` : `${whole}ms`;
}

const placeholders = ['namespace', 'route', 'service', 'module', 'interval'] as const;

/**
 * The query with {{namespace}}, {{route}}, {{service}} (the canary service), {{module}} (the
 * canary module) and {{interval}} filled in (spaces inside the braces allowed).
 */
export function expandQuery(
  query: string,
  vars: {
    namespace: string;
    route: string;
    service?: string | undefined;
    module?: string | undefined;
    intervalMs: number;
  },
): string {
  const values: Record<(typeof placeholders)[number], string> = {
    namespace: vars.namespace,
    route: vars.route,
    service: vars.service ?? '',
    module: vars.module ?? '',
    interval: promDuration(vars.intervalMs),
  };
  return query.replace(
    /\{\{\s*(namespace|route|service|module|interval)\s*\}\}/g,
    (_, key: (typeof placeholders)[number]) => values[key],
  );
}

/** The placeholders a query uses that are not known (a typo such as {{rout}}). */
export function unknownPlaceholders(query: string): string[] {
  return usedPlaceholders(query).filter((k) => !(placeholders as readonly string[]).includes(k));
}

/** Every placeholder a query uses, as written between the braces. */
export function usedPlaceholders(query: string): string[] {
  return [...query.matchAll(/\{\{\s*([^}]*?)\s*\}\}/g)].map((m) => m[1]!);
}

interface ApiAnswer {
  status?: string;
  error?: string;
  errorType?: string;
  data?: { resultType?: string; result?: unknown };
}

/**
 * Reads the JSON of GET /api/v1/query: a scalar, or a vector of exactly one series, is the
 * value; an empty vector or NaN is no data; several series, a range or a string is an error (the
 * query must come to one number: sum() it).
 */
export function readInstantAnswer(httpStatus: number, body: string): QueryAnswer {
  let json: ApiAnswer;
  try {
    json = JSON.parse(body) as ApiAnswer;
  } catch {
    return { kind: 'error', problem: `answered HTTP ${httpStatus} with a body that is not Prometheus's JSON` };
  }
  if (json.status !== 'success')
    return {
      kind: 'error',
      problem: `refused the query (HTTP ${httpStatus}${json.errorType ? `, ${json.errorType}` : ''}): ${json.error ?? 'no reason given'}`,
    };
  const type = json.data?.resultType;
  const result = json.data?.result;
  let sample: unknown;
  if (type === 'scalar') sample = result;
  else if (type === 'vector' && Array.isArray(result)) {
    if (result.length === 0) return { kind: 'no-data' };
    if (result.length > 1)
      return {
        kind: 'error',
        problem: `the query came to ${result.length} series, not one number (sum() or max() it)`,
      };
    sample = (result[0] as { value?: unknown }).value;
  } else return { kind: 'error', problem: `the query came to a ${type ?? 'missing'} result, not one number` };
  const raw = Array.isArray(sample) ? sample[1] : undefined;
  if (typeof raw !== 'string') return { kind: 'error', problem: 'the answer holds no sample value' };
  // 0/0 (a ratio over no requests) is NaN: no data, not a pass.
  if (raw === 'NaN') return { kind: 'no-data' };
  const value = raw === '+Inf' ? Number.POSITIVE_INFINITY : raw === '-Inf' ? Number.NEGATIVE_INFINITY : Number(raw);
  if (Number.isNaN(value)) return { kind: 'error', problem: `the sample value '${raw}' is not a number` };
  return { kind: 'value', value };
}

/** One query's value judged against its range. */
export function judgeQuery(
  q: CanaryPrometheusQuery,
  sent: string,
  answer: Exclude<QueryAnswer, { kind: 'error' }>,
  url: string,
): PrometheusResult {
  const base = {
    name: q.name,
    query: sent,
    ...(q.min !== undefined ? { min: q.min } : {}),
    ...(q.max !== undefined ? { max: q.max } : {}),
    source: `Prometheus ${url}: ${q.name}`,
  };
  if (answer.kind === 'no-data') return { ...base, value: null, outcome: 'no-data' };
  const v = answer.value;
  const inRange = (q.min === undefined || v >= q.min) && (q.max === undefined || v <= q.max);
  return { ...base, value: v, outcome: inRange ? 'pass' : 'fail' };
}

const num = (n: number) => `${Number(n.toPrecision(4))}`;

/** A result in words: `error-ratio 0.5 > 0.01`, `error-ratio 0 ≤ 0.01`, `error-ratio: no data`. */
export function describeResult(r: PrometheusResult): string {
  if (r.value === null) return `Prometheus ${r.name}: no data`;
  const v = num(r.value);
  if (r.outcome === 'fail')
    return r.min !== undefined && r.value < r.min
      ? `Prometheus ${r.name} ${v} < ${num(r.min)}`
      : `Prometheus ${r.name} ${v} > ${num(r.max!)}`;
  const range = [
    r.min !== undefined ? `≥ ${num(r.min)}` : undefined,
    r.max !== undefined ? `≤ ${num(r.max)}` : undefined,
  ].filter(Boolean);
  return `Prometheus ${r.name} ${v} ${range.join(', ')}`;
}
