/**
 * A canary with steps, as it goes: which step it is on, since when, every check with its
 * numbers, and how it ended. dgate-cli keeps one record per route with a canary in the cluster
 * (cluster/canary-store.ts), beside the release history, so that any runner can pick a canary up
 * where another left it (`dgate-cli canary status`, `canary resume`). Everything here is pure.
 */

import type { CanaryChecks, CanaryStep, SmokeCheck } from '../schema/generated/config.js';
import { canonicalJson, sha256Hex } from '../state/canonical-json.js';
import { parseDuration } from './duration.js';
import type { Location } from '../errors/dgate-error.js';
import type { PrometheusResult, PrometheusRules } from './canary-prometheus.js';

/** What a pause checks, with every default filled in (docs/canary.md#steps-and-checks). */
export interface ResolvedChecks {
  enabled: boolean;
  /** Percent of canary requests answered below 500. */
  successRate: number;
  /** Milliseconds. */
  latencyP99Ms: number;
  minRequests: number;
  intervalMs: number;
  failureLimit: number;
  deadlineMs: number;
  /** checks.prometheus: queries to the user's own Prometheus, judged in every check. */
  prometheus?: PrometheusRules;
}

const nanosPerMs = 1e6;

/** The checks a canary runs: Flagger's defaults where the config says nothing. */
export function resolveChecks(checks: CanaryChecks | undefined): ResolvedChecks {
  const intervalMs = checks?.interval !== undefined ? parseDuration(checks.interval) / nanosPerMs : 60_000;
  return {
    enabled: checks?.enabled ?? true,
    successRate: checks?.successRate ?? 99,
    latencyP99Ms: checks?.latencyP99 !== undefined ? parseDuration(checks.latencyP99) / nanosPerMs : 500,
    minRequests: checks?.minRequests ?? 100,
    intervalMs,
    failureLimit: checks?.failureLimit ?? 2,
    deadlineMs: checks?.deadline !== undefined ? parseDuration(checks.deadline) / nanosPerMs : 10 * intervalMs,
    ...(checks?.prometheus
      ? { prometheus: { url: checks.prometheus.url, queries: checks.prometheus.queries.map((q) => ({ ...q })) } }
      : {}),
  };
}

/** A step as a rollout runs it: a weight to set, or a pause in milliseconds. */
export type RolloutStep = { weight: number } | { pauseMs: number };

export function rolloutSteps(steps: readonly CanaryStep[]): RolloutStep[] {
  return steps.map((s) => ('weight' in s ? { weight: s.weight } : { pauseMs: parseDuration(s.pause) / nanosPerMs }));
}

/**
 * What makes two canaries the same rollout: the route, the canary service and module, the steps and the
 * checks. A change to any of them starts the rollout again from its first step, as a new spec
 * does in Argo Rollouts; a change elsewhere in the config (or to the force and sticky rules)
 * does not.
 */
export function rolloutIdentity(
  route: string,
  version: { service?: string | undefined; module?: string | undefined },
  steps: readonly CanaryStep[],
  checks: CanaryChecks | undefined,
): string {
  const { service, module } = version;
  return sha256Hex(
    canonicalJson({
      route,
      ...(service !== undefined ? { service } : {}),
      ...(module !== undefined ? { module } : {}),
      steps,
      checks: checks ?? null,
    }),
  ).slice(0, 16);
}

/** The weight a rollout that has not started yet begins at: its first step's, or 0 when it begins with a pause. */
export function startWeight(steps: readonly RolloutStep[]): number {
  const first = steps[0];
  return first && 'weight' in first ? first.weight : 0;
}

/** The outcome of one check of a pause. */
export interface CheckResult {
  at: string;
  /** The step (index into the steps) the check ran in. */
  step: number;
  verdict: 'pass' | 'fail' | 'too-few-requests' | 'error';
  /** Why, in words, with the numbers: "success rate 50.0% < 99%", "12 of 100 requests". */
  reasons: string[];
  canary?: TrafficFigures;
  stable?: TrafficFigures;
  /** Where the figures come from, e.g. DGate's request_count and request_duration on 1 node. */
  source: string;
  /** The probes sent in this check, when the canary has them. */
  probes?: ProbeResult[];
  /** The Prometheus queries asked in this check (checks.prometheus), each with its value and source. */
  prometheus?: PrometheusResult[];
}

/** What a window of requests looked like. */
export interface TrafficFigures {
  requests: number;
  /** Requests answered with 5xx (including DGate's own 502 when the upstream did not answer). */
  errors: number;
  /** Percent answered below 500; null without requests. */
  successRate: number | null;
  /** Estimated 99th percentile in ms; null without requests. */
  p99Ms: number | null;
}

export type RolloutStatus = 'progressing' | 'promoted' | 'aborted';

/** A route's smoke check as a probe sends it (smoke/smoke-check.ts RouteCheck has this shape). */
export interface ProbeCheck {
  route: string;
  check: SmokeCheck;
  at?: Location;
}

/** What one probe came to (the part of smoke/smoke-check.ts SmokeResult a check keeps). */
export interface ProbeResult {
  route: string;
  name: string;
  outcome: 'passed' | 'failed' | 'error';
  status?: number;
  problems: string[];
}

/** One canary's record in the cluster. */
export interface CanaryRollout {
  namespace: string;
  route: string;
  /** The canary's service (an upstream canary) and module (a module canary): one or both. */
  service?: string;
  module?: string;
  /** rolloutIdentity of the canary this record is about. */
  identity: string;
  /** Its steps and checks, as the config gave them when it started (resume needs no config). */
  steps: RolloutStep[];
  rules: ResolvedChecks;
  status: RolloutStatus;
  /** The step it is on (index); steps.length once all are done. */
  step: number;
  /** The weight the cluster was last given for this canary. */
  weight: number;
  stepStartedAt: string;
  startedAt: string;
  updatedAt: string;
  /** The desired version (the config) the canary belongs to. */
  desiredVersion: string;
  /** The release before the canary started: what an abort returns to (absent when there was none). */
  baseRelease?: number;
  /** Failed checks in a row, in the current pause. */
  failures: number;
  /** The request counters a pause's checks count from (per node and version), taken when it began. */
  baseline?: MetricsBaseline;
  /** Every check, oldest first (the last 50 are kept). */
  checks: CheckResult[];
  /** What happened, oldest first: started, step 2 weight 10%, paused 2m, promoted, aborted. */
  events: { at: string; what: string }[];
  /** Why it was aborted or promoted by hand. */
  reason?: string;
  /**
   * Synthetic probes (checks.probes): the route's smoke checks, with the force header or cookie
   * put in, and the proxy URLs they are sent through in every check.
   */
  probes?: { checks: ProbeCheck[]; proxies: string[] };
  /** The release the abort returned to. */
  returnedTo?: number;
}

/** Counters per node URL, then per version, as read at a pause's start. */
export type MetricsBaseline = Record<string, Record<'canary' | 'stable', CounterSnapshot>>;

/** Cumulative counters of one version on one node. */
export interface CounterSnapshot {
  requests: number;
  errors: number;
  /** Histogram: upper bound in ms (Infinity as "+Inf") → cumulative count. */
  buckets: Record<string, number>;
}

/**
 * The weight a route's stepped canary has in the desired state: where its rollout stands when
 * the record is about this canary; otherwise the start of a new rollout.
 */
export function rolloutWeight(
  identity: string,
  steps: readonly RolloutStep[],
  record: CanaryRollout | undefined,
): number {
  if (!record || record.identity !== identity) return startWeight(steps);
  if (record.status === 'promoted') return 100;
  if (record.status === 'aborted') return 0;
  return record.weight;
}

const keptChecks = 50;

/** The record with one more check, keeping the last 50. */
export function withCheck(record: CanaryRollout, check: CheckResult): CanaryRollout {
  return { ...record, checks: [...record.checks, check].slice(-keptChecks), updatedAt: check.at };
}

export function withEvent(record: CanaryRollout, at: Date, what: string): CanaryRollout {
  return {
    ...record,
    events: [...record.events, { at: at.toISOString(), what }].slice(-100),
    updatedAt: at.toISOString(),
  };
}

/** What a pause does next, given the time and the latest check. */
export type PauseDecision = { next: 'wait' } | { next: 'advance' } | { next: 'abort'; reason: string };

/**
 * Judges a pause after a check: it ends when its time has passed and the latest check passed (or
 * checks are off); it aborts after failureLimit failures in a row, or when no check had enough
 * requests by the deadline. No traffic is not a pass (Flagger #1689).
 */
export function decidePause(
  pauseMs: number,
  elapsedMs: number,
  checks: ResolvedChecks,
  failuresInARow: number,
  latest: CheckResult | undefined,
): PauseDecision {
  if (!checks.enabled) return elapsedMs >= pauseMs ? { next: 'advance' } : { next: 'wait' };
  if (latest && failuresInARow >= checks.failureLimit)
    return {
      next: 'abort',
      reason: `${failuresInARow} failed check${failuresInARow === 1 ? '' : 's'} in a row: ${latest.reasons.join('; ')}`,
    };
  if (elapsedMs < pauseMs) return { next: 'wait' };
  if (latest?.verdict === 'pass') return { next: 'advance' };
  if (elapsedMs >= pauseMs + checks.deadlineMs)
    return {
      next: 'abort',
      reason: `no check passed within ${Math.round((pauseMs + checks.deadlineMs) / 1000)}s of the pause starting${latest ? ` (last: ${latest.reasons.join('; ')})` : ''}`,
    };
  return { next: 'wait' };
}
