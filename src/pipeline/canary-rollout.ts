import type { ApplyEvent } from '../apply/execute.js';
import { readNodeMetrics, readRollouts, writeRollout } from '../cluster/canary-store.js';
import { AdminClient, raftServerUrlsOf } from '../cluster/client.js';
import { effectiveReleases, readReleases, type ReleaseRecord } from '../cluster/releases.js';
import { withRolloutWeights } from '../compile/canary.js';
import { DgateError } from '../errors/dgate-error.js';
import { canaryRuleOf, canaryVersion, formatWeight } from '../model/canary.js';
import { counterDelta, judgeCheck, routeCounters, sumCounters } from '../model/canary-metrics.js';
import {
  type CanaryRollout,
  type CheckResult,
  type CounterSnapshot,
  decidePause,
  type MetricsBaseline,
  type ProbeCheck,
  type ProbeResult,
  resolveChecks,
  rolloutIdentity,
  rolloutSteps,
  startWeight,
  withCheck,
  withEvent,
} from '../model/canary-rollout.js';
import type { Style } from '../report/style.js';
import type { LoadedConfig } from '../load/assemble.js';
import { formatDuration } from '../model/duration.js';
import { returnToRelease } from './return-to-release.js';
import { runSmokeChecks } from '../io/smoke-send.js';
import { routeChecks } from '../smoke/smoke-check.js';
import type { CanaryForce } from '../schema/generated/config.js';
import { createNotifier, type Notify } from './notify-step.js';
import { expandQuery, judgeQuery, type PrometheusResult } from '../model/canary-prometheus.js';
import { queryPrometheus } from '../io/prometheus-query.js';

/**
 * Runs canaries with steps (docs/canary.md#steps-and-checks): sets each step's weight as a
 * release of its own (the latest release's desired state with the canary's weight changed:
 * planned, journaled, verified and undone on failure like any apply), waits out each pause while
 * checking the canary's traffic in DGate's metrics, promotes after the last step, and on failed
 * checks returns the cluster to the release before the canary in one transaction. Where it
 * stands is written to the canary's record in the cluster before and after each move, so that
 * `canary status` shows it and `canary resume` goes on from it.
 */

export interface RolloutIo {
  out: (text: string) => void;
  warn: (line: string) => void;
  style: Style;
  onEvent: (event: ApplyEvent) => void;
  identities: readonly string[];
  /** Stops the run (SIGINT, SIGTERM): the canary is left where it is, recorded, for `canary resume`. */
  signal: AbortSignal;
  /** The clock and the wait: real ones, except in unit tests. */
  now?: () => Date;
}

/** A stepped canary as the config declares it. */
export interface DeclaredRollout {
  namespace: string;
  route: string;
  service?: string;
  module?: string;
  identity: string;
  steps: CanaryRollout['steps'];
  rules: CanaryRollout['rules'];
  /** checks.probes: the route's smoke checks, with the force header or cookie put in. */
  probes?: ProbeCheck[];
}

/** A route's smoke check as a canary probe: the force header (or cookie) added, so it reaches the canary. */
function asProbe(rc: ProbeCheck, force: CanaryForce): ProbeCheck {
  const value = force.value ?? '1';
  const headers: Record<string, string> = { ...(rc.check.headers ?? {}) };
  if (force.header) headers[force.header] = value;
  else if (force.cookie) headers.Cookie = [headers.Cookie, `${force.cookie}=${value}`].filter(Boolean).join('; ');
  return {
    ...rc,
    check: {
      ...rc.check,
      name: `${rc.check.name ?? `${rc.check.method ?? 'GET'} ${rc.check.path}`} (forced to the canary)`,
      headers,
    },
  };
}

/** Every canary with steps in a config. */
export function declaredRollouts(config: LoadedConfig): DeclaredRollout[] {
  const out: DeclaredRollout[] = [];
  for (const ns of config.namespaces) {
    for (const r of ns.resources.routes) {
      const c = r.spec.canary;
      if (!c?.steps || c.steps.length === 0) continue;
      const probes =
        c.checks?.probes && c.force
          ? routeChecks(config, {
              routes: [{ namespace: ns.name, name: r.spec.name }],
              domains: ns.resources.domains.map((d) => ({ namespace: ns.name, patterns: d.spec.patterns })),
            }).map((rc) => asProbe(rc, c.force!))
          : undefined;
      out.push({
        namespace: ns.name,
        route: r.spec.name,
        ...(c.service !== undefined ? { service: c.service } : {}),
        ...(c.module !== undefined ? { module: c.module } : {}),
        identity: rolloutIdentity(r.spec.name, c, c.steps, c.checks),
        steps: rolloutSteps(c.steps),
        rules: resolveChecks(c.checks),
        ...(probes ? { probes } : {}),
      });
    }
  }
  return out;
}

/** Whether any of these canaries will read metrics (a pause with checks on). */
export function needsMetrics(declared: readonly DeclaredRollout[]): boolean {
  return declared.some((d) => d.rules.enabled && d.steps.some((s) => 'pauseMs' in s));
}

/**
 * The nodes whose metrics a canary's checks add up: each node counts only the requests its own
 * proxy served, so on a raft cluster every server the cluster lists (reached as the given node
 * is, with its credentials), else the node itself.
 */
export async function metricsNodes(client: AdminClient): Promise<AdminClient[]> {
  const urls = await raftServerUrlsOf(client);
  if (!urls) return [client];
  return urls.map((u) => (u === client.baseUrl ? client : new AdminClient({ ...client.options, baseUrl: u })));
}

/**
 * Before a rollout starts: every node it reads must serve its metrics. Refused before anything
 * is written, with how to turn them on.
 */
export async function requireMetrics(nodes: readonly AdminClient[]): Promise<void> {
  for (const node of nodes) {
    const read = await readNodeMetrics(node);
    if ('problem' in read)
      throw new DgateError({
        code: 'DG3016',
        message: `the canary's checks read DGate's request metrics, and ${read.problem}`,
        hint: "nothing was changed; remove disable_metrics: true from the node's config (DGate serves /metrics on the admin port by default), or turn the checks off with checks: { enabled: false }",
      });
  }
}

/** What a canary's Prometheus queries need to know of it. */
type PrometheusSubject = Pick<CanaryRollout, 'namespace' | 'route' | 'service' | 'module' | 'rules'>;

/**
 * Asks each of a canary's Prometheus queries (checks.prometheus) once. Values and no data are
 * results; a query Prometheus does not answer, or refuses, is returned as the problem, with the
 * query's name.
 */
async function askPrometheus(subject: PrometheusSubject): Promise<{ results: PrometheusResult[]; problem?: string }> {
  const rules = subject.rules.prometheus;
  const results: PrometheusResult[] = [];
  if (!rules) return { results };
  for (const q of rules.queries) {
    const sent = expandQuery(q.query, { ...subject, intervalMs: subject.rules.intervalMs });
    const answer = await queryPrometheus(rules.url, sent);
    if (answer.kind === 'error')
      return { problem: `Prometheus ${rules.url}: query ${q.name}: ${answer.problem}`, results };
    results.push(judgeQuery(q, sent, answer, rules.url));
  }
  return { results };
}

/**
 * Before a rollout with Prometheus queries starts (apply, `canary resume`): each query is asked
 * once, so that an unreachable Prometheus or a query it refuses is found before anything is
 * written. No data is fine here (there may be no canary traffic yet).
 */
export async function requirePrometheus(subjects: readonly PrometheusSubject[]): Promise<void> {
  for (const subject of subjects) {
    if (!subject.rules.enabled || !subject.rules.prometheus) continue;
    const asked = await askPrometheus(subject);
    if (asked.problem !== undefined)
      throw new DgateError({
        code: 'DG3024',
        message: `the canary ${subject.namespace}/${subject.route} → ${canaryVersion(subject)} cannot be checked: ${asked.problem}`,
        hint: "nothing was changed; check checks.prometheus (its url, and the query, in the Prometheus UI), or leave it out to judge by DGate's metrics alone",
      });
  }
}

/** Before a rollout with probes starts: they need a proxy to go through. Refused before anything is written. */
export function requireProbeProxies(declared: readonly DeclaredRollout[], proxies: readonly string[]): void {
  const probing = declared.filter((d) => d.probes);
  if (probing.length === 0 || proxies.length > 0) return;
  throw new DgateError({
    code: 'DG3019',
    message: `canary ${probing.map((d) => `${d.namespace}/${d.route}`).join(', ')} sends probes, and no proxy URL says where the gateway takes requests`,
    hint: "nothing was changed; give the target its nodes' proxy: URLs (beside admin:), or pass --proxy URL",
  });
}

/** The declared canaries an apply would start or go on with: not those whose rollout has already ended. */
export async function rolloutsToRun(
  client: AdminClient,
  declared: readonly DeclaredRollout[],
): Promise<DeclaredRollout[]> {
  const records = await readRollouts(client);
  return declared.filter((d) => {
    const existing = records.find((r) => r.namespace === d.namespace && r.route === d.route);
    return !existing || existing.identity !== d.identity || existing.status === 'progressing';
  });
}

/**
 * After an apply: records the canaries it started (a new canary, or one whose steps or checks
 * changed) and returns every canary of the config still in progress on this cluster.
 */
export async function recordStarted(
  client: AdminClient,
  declared: readonly DeclaredRollout[],
  start: { desiredVersion: string; baseRelease: number | undefined; proxies?: readonly string[] },
  now: Date,
): Promise<CanaryRollout[]> {
  const records = await readRollouts(client);
  const out: CanaryRollout[] = [];
  for (const d of declared) {
    const existing = records.find((r) => r.namespace === d.namespace && r.route === d.route);
    if (existing && existing.identity === d.identity) {
      if (existing.status === 'progressing') out.push(existing);
      continue;
    }
    // The apply that just ran put the canary in at its first weight; an abort returns to the release before it.
    const base = start.baseRelease;
    const weight = startWeight(d.steps);
    const started: CanaryRollout = withEvent(
      {
        namespace: d.namespace,
        route: d.route,
        ...(d.service !== undefined ? { service: d.service } : {}),
        ...(d.module !== undefined ? { module: d.module } : {}),
        identity: d.identity,
        steps: d.steps,
        rules: d.rules,
        status: 'progressing',
        // A first weight step has been applied with the canary itself.
        step: 'weight' in (d.steps[0] ?? {}) ? 1 : 0,
        weight,
        stepStartedAt: now.toISOString(),
        startedAt: now.toISOString(),
        updatedAt: now.toISOString(),
        desiredVersion: start.desiredVersion,
        ...(base !== undefined ? { baseRelease: base } : {}),
        failures: 0,
        checks: [],
        events: [],
        ...(d.probes ? { probes: { checks: d.probes, proxies: [...(start.proxies ?? [])] } } : {}),
      },
      now,
      `started at ${formatWeight(weight)}${base !== undefined ? ` (an abort returns to release ${base})` : ''}`,
    );
    await writeRollout(client, started);
    out.push(started);
  }
  return out;
}

/**
 * The webhooks of the release that holds the canary (its config's settings.notify), told of
 * each step, the promotion and the abort.
 */
async function notifierFor(client: AdminClient, io: RolloutIo): Promise<Notify> {
  const latest = effectiveReleases(await readReleases(client)).at(-1);
  return createNotifier(latest?.notify, {
    root: latest?.configRoot ?? process.cwd(),
    identities: async () => io.identities,
    warn: io.warn,
  });
}

const canaryOf = (r: CanaryRollout, reason?: string) => ({
  route: `${r.namespace}/${r.route}`,
  service: canaryVersion(r),
  step: Math.min(r.step, r.steps.length),
  steps: r.steps.length,
  weight: r.weight,
  ...(reason !== undefined ? { reason } : {}),
});

/** How a run of one canary ended. */
export type RolloutOutcome = 'promoted' | 'aborted' | 'stopped' | 'failed';

const label = (r: CanaryRollout) => `canary ${r.namespace}/${r.route} → ${canaryVersion(r)}`;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The probes, through each proxy in turn (the results name the proxy when there are several). */
async function sendProbes(probes: NonNullable<CanaryRollout['probes']>): Promise<ProbeResult[]> {
  const out: ProbeResult[] = [];
  for (const proxy of probes.proxies) {
    for (const res of await runSmokeChecks(probes.checks, proxy)) {
      out.push({
        route: res.route,
        name: probes.proxies.length > 1 ? `${res.name} via ${proxy}` : res.name,
        outcome: res.outcome,
        ...(res.status !== undefined ? { status: res.status } : {}),
        problems: res.problems,
      });
    }
  }
  return out;
}

/** The counters of the canary's route on every node, keyed by node URL. */
async function readCounters(nodes: readonly AdminClient[], record: CanaryRollout): Promise<MetricsBaseline> {
  const out: MetricsBaseline = {};
  for (const node of nodes) {
    const read = await readNodeMetrics(node);
    if ('problem' in read)
      throw new DgateError({
        code: 'DG3016',
        message: `${label(record)} cannot be checked: ${read.problem}`,
        hint: `the canary is left where it is (${formatWeight(record.weight)}, recorded); once the node serves its metrics again, \`dgate-cli canary resume\` goes on, or \`dgate-cli canary abort ${record.namespace}/${record.route}\``,
      });
    out[node.baseUrl] = routeCounters(read.text, record.namespace, record.route);
  }
  return out;
}

function windowOf(
  baseline: MetricsBaseline | undefined,
  now: MetricsBaseline,
): { canary: CounterSnapshot; stable: CounterSnapshot } {
  let canary: CounterSnapshot = { requests: 0, errors: 0, buckets: {} };
  let stable: CounterSnapshot = { requests: 0, errors: 0, buckets: {} };
  for (const [node, counters] of Object.entries(now)) {
    canary = sumCounters(canary, counterDelta(baseline?.[node]?.canary, counters.canary));
    stable = sumCounters(stable, counterDelta(baseline?.[node]?.stable, counters.stable));
  }
  return { canary, stable };
}

function describeCheck(c: CheckResult): string {
  const s = c.stable;
  const stable =
    s && s.requests > 0
      ? ` (stable: ${s.requests} requests, ${Number((s.successRate ?? 0).toFixed(2))}%${s.p99Ms !== null ? `, p99 ${Math.round(s.p99Ms)}ms` : ''})`
      : '';
  return `${c.verdict}: ${c.canary?.requests ?? 0} canary requests, ${c.reasons.join(', ')}${stable}`;
}

/**
 * Moves one canary to a weight: the latest release's desired state with this canary's weight
 * changed, applied as a release of kind canary. Returns false (recorded) when the latest
 * release no longer holds this canary.
 */
async function applyWeight(
  client: AdminClient,
  record: CanaryRollout,
  weight: number,
  io: RolloutIo,
): Promise<'applied' | 'gone'> {
  const latest = effectiveReleases(await readReleases(client)).at(-1);
  const module = latest?.desiredState.resources.modules.find(
    (m) => m.namespace === record.namespace && canaryRuleOf(m.tags)?.rollout === record.identity,
  );
  if (!latest || !module) return 'gone';
  const moved: CanaryRollout = {
    ...record,
    weight,
    status: weight === 100 && record.step >= record.steps.length ? 'promoted' : record.status,
  };
  const desired = withRolloutWeights(latest.desiredState, [moved]);
  await returnToRelease(client, latest, {
    identities: io.identities,
    interrupt: io.signal,
    out: io.out,
    warn: io.warn,
    style: io.style,
    onEvent: io.onEvent,
    quietWhenInSync: true,
    approved: () => true,
    canaryStep: {
      desired,
      canary: {
        namespace: record.namespace,
        route: record.route,
        ...(record.service !== undefined ? { service: record.service } : {}),
        ...(record.module !== undefined ? { module: record.module } : {}),
        step: record.step,
        weight,
        status: moved.status,
      },
    },
  });
  return 'applied';
}

/**
 * Returns the cluster to the release before the canary (or, without one, puts the canary at 0%),
 * in one transaction, and records why. The record is written aborted first, so that a plan made
 * from here on keeps the canary at 0% rather than starting it again.
 */
async function abort(
  client: AdminClient,
  record: CanaryRollout,
  reason: string,
  io: RolloutIo,
): Promise<CanaryRollout> {
  const now = io.now?.() ?? new Date();
  const notify = await notifierFor(client, io);
  let r = withEvent({ ...record, status: 'aborted', reason, weight: 0 }, now, `aborted: ${reason}`);
  await writeRollout(client, r);
  io.out(`${io.style.red(`${label(r)} aborted:`)} ${reason}\n`);
  const releases = effectiveReleases(await readReleases(client));
  const base = record.baseRelease !== undefined ? releases.find((x) => x.number === record.baseRelease) : undefined;
  const returned = base ? await returnTo(client, base, record, reason, io) : 'no-base';
  if (returned === 'no-base' || returned === 'raft') {
    // DGate v0.11's raft cannot delete (docs/dgate-quirks.md): the canary stays, at 0%.
    await applyWeight(client, r, 0, io);
    const split = releases
      .at(-1)
      ?.desiredState.resources.modules.find(
        (m) => m.namespace === r.namespace && canaryRuleOf(m.tags)?.route === r.route,
      );
    const left = [split?.name ?? 'its generated split module', ...(r.module !== undefined ? [r.module] : [])];
    io.out(
      `${label(r)}: ${returned === 'raft' ? `release ${base?.number} cannot be returned to on a raft cluster (it would delete)` : 'no release from before the canary to return to'}; every request goes to stable, and what stays behind is module ${left.map((n) => `${r.namespace}/${n}`).join(' and module ')} on route ${r.namespace}/${r.route}, at 0% (drop the canary block to remove it where the cluster can delete)\n`,
    );
    r = withEvent(
      r,
      io.now?.() ?? new Date(),
      returned === 'raft'
        ? `release ${base?.number} cannot be returned to on a raft cluster (it would delete the split module): the canary's weight is 0%`
        : 'no release from before the canary: its weight is 0%',
    );
  } else {
    r = withEvent(
      { ...r, returnedTo: base!.number },
      io.now?.() ?? new Date(),
      `returned to release ${base!.number}${returned !== undefined ? ` (release ${returned})` : ''}`,
    );
  }
  await writeRollout(client, r);
  await notify({
    event: 'aborted',
    cluster: client.baseUrl,
    ...(r.returnedTo !== undefined ? { rolledBackTo: r.returnedTo } : {}),
    desiredVersion: r.desiredVersion,
    error: { code: 'DG3018', message: reason },
    canary: canaryOf(r, reason),
  });
  return r;
}

/** What one move of a canary did, and how long until the next move is due. */
export interface RolloutMove {
  record: CanaryRollout;
  /** Set when the canary ended (promoted, aborted) or cannot go on (failed). */
  outcome?: Exclude<RolloutOutcome, 'stopped'>;
  /** Milliseconds until the next move is due (0: at once). */
  waitMs: number;
}

/**
 * One move of a canary from where its record stands, never waiting: a weight step, the
 * promotion, the start of a pause (its baseline), or a check that is due, with what it decides.
 * `runRollout` (apply, `canary resume`) repeats it, waiting between; `reconcile` makes one each
 * cycle, so a reconciler advances canaries step by step.
 */
export async function advanceRollout(
  client: AdminClient,
  nodes: readonly AdminClient[],
  start: CanaryRollout,
  io: RolloutIo,
): Promise<RolloutMove> {
  const now = () => io.now?.() ?? new Date();
  let r = start;
  const total = r.steps.length;
  if (r.step >= total) {
    io.out(`${label(r)}: every step done; promoting to 100%.\n`);
    const promoted = { ...r, status: 'promoted' as const, weight: 100 };
    if ((await applyWeight(client, promoted, 100, io)) === 'gone') return { ...(await gone(client, r, io)), waitMs: 0 };
    r = withEvent(promoted, now(), 'promoted: 100% of requests go to the canary');
    await writeRollout(client, r);
    await (await notifierFor(client, io))({
      event: 'promoted',
      cluster: client.baseUrl,
      desiredVersion: r.desiredVersion,
      canary: canaryOf(r),
    });
    io.out(
      `${io.style.green(`${label(r)} promoted:`)} every request goes to ${canaryVersion(r)}. To finish, make it the route's ${r.module !== undefined ? (r.service !== undefined ? 'service and module' : 'module') : 'service'} and drop the canary block.\n`,
    );
    return { record: r, outcome: 'promoted', waitMs: 0 };
  }
  const step = r.steps[r.step]!;
  if ('weight' in step) {
    io.out(
      `${label(r)}: step ${r.step + 1} of ${total}: weight ${formatWeight(r.weight)} → ${formatWeight(step.weight)}\n`,
    );
    const next = { ...r, weight: step.weight };
    try {
      if ((await applyWeight(client, next, step.weight, io)) === 'gone')
        return { ...(await gone(client, r, io)), waitMs: 0 };
    } catch (err) {
      r = withEvent(r, now(), `step ${r.step + 1} failed and was undone: ${(err as Error).message}`);
      await writeRollout(client, r);
      throw err;
    }
    r = withEvent(
      { ...next, step: r.step + 1, stepStartedAt: now().toISOString(), failures: 0 },
      now(),
      `step ${r.step + 1}: weight ${formatWeight(step.weight)}`,
    );
    delete r.baseline;
    await writeRollout(client, r);
    await (await notifierFor(client, io))({
      event: 'canary-step',
      cluster: client.baseUrl,
      desiredVersion: r.desiredVersion,
      canary: canaryOf(r),
    });
    return { record: r, waitMs: 0 };
  }
  // A pause: checks every interval from a baseline of the counters at its start.
  if (r.rules.enabled && !r.baseline) {
    r = { ...r, baseline: await readCounters(nodes, r), stepStartedAt: now().toISOString() };
    r = withEvent(r, now(), `step ${r.step + 1}: pause ${formatDuration(step.pauseMs * 1e6)}`);
    await writeRollout(client, r);
    io.out(
      `${label(r)}: step ${r.step + 1} of ${total}: pause ${formatDuration(step.pauseMs * 1e6)} at ${formatWeight(r.weight)}, checking\n`,
    );
    return { record: r, waitMs: Math.min(r.rules.intervalMs, step.pauseMs) };
  }
  const startedAt = Date.parse(r.stepStartedAt);
  const pauseEnd = startedAt + step.pauseMs;
  const t = now().getTime();
  if (!r.rules.enabled) {
    if (t < pauseEnd) return { record: r, waitMs: pauseEnd - t };
    r = withEvent({ ...r, step: r.step + 1, stepStartedAt: now().toISOString() }, now(), `step ${r.step}: pause over`);
    await writeRollout(client, r);
    return { record: r, waitMs: 0 };
  }
  // The next check is an interval after the last one of this pause, or when the pause ends, whichever is first.
  const last = r.checks.filter((c) => c.step === r.step && Date.parse(c.at) >= startedAt).at(-1);
  const lastAt = last ? Date.parse(last.at) : startedAt;
  const due = lastAt < pauseEnd ? Math.min(lastAt + r.rules.intervalMs, pauseEnd) : lastAt + r.rules.intervalMs;
  if (t < due) return { record: r, waitMs: due - t };
  const window = windowOf(r.baseline, await readCounters(nodes, r));
  const probes = r.probes ? await sendProbes(r.probes) : undefined;
  const asked = r.rules.prometheus ? await askPrometheus(r) : undefined;
  if (asked?.problem !== undefined) {
    // An unanswered query says nothing of the canary: it neither fails the check nor passes it.
    // The rollout stops where it is, as when a node stops serving its metrics (DG3016).
    r = withEvent(
      withCheck(r, {
        at: now().toISOString(),
        step: r.step,
        verdict: 'error',
        reasons: [asked.problem],
        source: `Prometheus ${r.rules.prometheus!.url}`,
        prometheus: asked.results,
      }),
      now(),
      `check could not be made: ${asked.problem}`,
    );
    await writeRollout(client, r);
    throw new DgateError({
      code: 'DG3024',
      message: `the canary ${r.namespace}/${r.route} → ${canaryVersion(r)} cannot be checked: ${asked.problem}`,
      hint: `the canary is left where it is (${formatWeight(r.weight)}, recorded); once Prometheus answers the query, \`dgate-cli canary resume\` goes on, or \`dgate-cli canary abort ${r.namespace}/${r.route}\``,
    });
  }
  const latest = judgeCheck(
    window.canary,
    window.stable,
    r.rules,
    now(),
    r.step,
    `DGate /metrics (request_count_total, request_duration_milliseconds) on ${nodes.length} node${nodes.length === 1 ? '' : 's'}${probes ? `; ${probes.length} probe${probes.length === 1 ? '' : 's'} through ${r.probes!.proxies.join(', ')}` : ''}${asked ? `; ${asked.results.map((p) => p.source).join(', ')}` : ''}`,
    probes,
    asked?.results,
  );
  const failures = latest.verdict === 'fail' ? r.failures + 1 : latest.verdict === 'pass' ? 0 : r.failures;
  r = withCheck({ ...r, failures }, latest);
  io.out(`${label(r)}: check ${describeCheck(latest)}\n`);
  const decision = decidePause(step.pauseMs, now().getTime() - startedAt, r.rules, r.failures, latest);
  if (decision.next === 'abort') {
    r = await abort(client, r, decision.reason, io);
    return { record: r, outcome: 'aborted', waitMs: 0 };
  }
  if (decision.next === 'advance') {
    r = { ...r, step: r.step + 1, failures: 0, stepStartedAt: now().toISOString() };
    delete r.baseline;
  }
  await writeRollout(client, r);
  const after = now().getTime();
  return {
    record: r,
    waitMs:
      decision.next === 'advance'
        ? 0
        : Math.max(
            0,
            Math.min(after + r.rules.intervalMs, pauseEnd > after ? pauseEnd : Number.POSITIVE_INFINITY) - after,
          ),
  };
}

/**
 * Returns the cluster to the release from before a canary, in one transaction: the release
 * number recorded, or 'raft' when the cluster refuses the deletes it needs (DG3010).
 */
async function returnTo(
  client: AdminClient,
  base: ReleaseRecord,
  record: CanaryRollout,
  reason: string,
  io: RolloutIo,
): Promise<number | undefined | 'raft'> {
  io.out(`Returning to release ${base.number}, from before the canary, in one transaction.\n`);
  try {
    return await returnToRelease(client, base, {
      identities: io.identities,
      interrupt: new AbortController().signal,
      out: io.out,
      warn: io.warn,
      style: io.style,
      onEvent: io.onEvent,
      approved: () => true,
      reason: `${label(record)} aborted: ${reason}`,
    });
  } catch (err) {
    if (err instanceof DgateError && err.code === 'DG3010') return 'raft';
    throw err;
  }
}

/** Runs one canary from where its record stands to promotion, abort, or a stop (Ctrl-C). */
export async function runRollout(
  client: AdminClient,
  nodes: readonly AdminClient[],
  start: CanaryRollout,
  io: RolloutIo,
): Promise<{ outcome: RolloutOutcome; record: CanaryRollout }> {
  let r = start;
  while (r.status === 'progressing') {
    if (io.signal.aborted) {
      io.out(
        `${io.style.yellow(`${label(r)} stopped`)} at step ${Math.min(r.step + 1, r.steps.length)} of ${r.steps.length} (${formatWeight(r.weight)}); \`dgate-cli canary resume\` goes on from there.\n`,
      );
      return { outcome: 'stopped', record: r };
    }
    const move = await advanceRollout(client, nodes, r, io);
    r = move.record;
    if (move.outcome) return { outcome: move.outcome, record: r };
    if (move.waitMs > 0) await sleep(move.waitMs, io.signal);
  }
  return { outcome: r.status === 'promoted' ? 'promoted' : 'aborted', record: r };
}

async function gone(
  client: AdminClient,
  record: CanaryRollout,
  io: RolloutIo,
): Promise<{ outcome: 'failed'; record: CanaryRollout }> {
  const reason = 'the latest release no longer holds this canary (a later apply changed or removed it)';
  const r = withEvent({ ...record, status: 'aborted', reason }, io.now?.() ?? new Date(), `stopped: ${reason}`);
  await writeRollout(client, r);
  io.warn(`${label(r)}: ${reason}; the rollout stops here`);
  return { outcome: 'failed', record: r };
}

/** `namespace/route`, as the canary commands name a route. */
function splitRoute(text: string): [string, string] {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1)
    throw new DgateError({
      code: 'DG0001',
      message: `'${text}' does not name a route as namespace/route`,
      hint: 'for example shop/checkout (`dgate-cli canary status` lists them)',
    });
  return [text.slice(0, slash), text.slice(slash + 1)];
}

/** The record of one route's canary (named `namespace/route`) on this cluster, or a refusal. */
export async function rolloutOf(client: AdminClient, name: string): Promise<CanaryRollout> {
  const [namespace, route] = splitRoute(name);
  const record = (await readRollouts(client)).find((r) => r.namespace === namespace && r.route === route);
  if (!record)
    throw new DgateError({
      code: 'DG3017',
      message: `no canary with steps has run on route ${namespace}/${route} of this cluster`,
      hint: '`dgate-cli canary status` lists the canaries this cluster has records of',
    });
  return record;
}

/** For `canary abort`: an abort by hand, as a failed check would. */
export function abortByHand(
  client: AdminClient,
  record: CanaryRollout,
  reason: string,
  io: RolloutIo,
): Promise<CanaryRollout> {
  return abort(client, record, reason, io);
}
