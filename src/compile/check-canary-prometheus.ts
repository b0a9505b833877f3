import type { Declared, LoadedNamespace } from '../load/assemble.js';
import { unknownPlaceholders, usedPlaceholders } from '../model/canary-prometheus.js';
import type { RouteSpec } from '../schema/generated/config.js';
import type { Report } from './check-report.js';

/**
 * A canary's Prometheus queries (checks.prometheus, docs/canary.md#prometheus-queries): an
 * http(s) URL, and queries that can pass and fail (a range of min and max, min not above max),
 * each with a name of its own and only the placeholders a check fills in.
 */
export function checkCanaryPrometheus(ns: LoadedNamespace, route: Declared<RouteSpec>, report: Report): void {
  const prom = route.spec.canary?.checks?.prometheus;
  if (!prom) return;
  const id = `route '${ns.name}/${route.spec.name}'`;
  const at = ['canary', 'checks', 'prometheus'];
  let url: URL | undefined;
  try {
    url = new URL(prom.url);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    report(
      'DG1136',
      route.origin,
      [...at, 'url'],
      `${id}: checks.prometheus.url ${prom.url.includes('@') ? '' : `'${prom.url}' `}is not an http:// or https:// URL`,
      'give the Prometheus server as http://host:9090 (or https://); dgate-cli adds /api/v1/query',
    );
  } else if (url.username || url.password) {
    report(
      'DG1136',
      route.origin,
      [...at, 'url'],
      `${id}: checks.prometheus.url carries credentials (user:password@), which check records, canary status and errors would show`,
      'give a URL without credentials: a Prometheus that needs them is not supported yet (reach it through a proxy on a trusted network)',
    );
  }
  const seen = new Map<string, number>();
  prom.queries.forEach((q, i) => {
    if (q.min === undefined && q.max === undefined) {
      report(
        'DG1136',
        route.origin,
        [...at, 'queries', i],
        `${id}: Prometheus query '${q.name}' has neither min nor max, so it would judge nothing`,
        'give the range its value must stay in, e.g. max: 0.01 for an error ratio, or min: 0.99 for a success ratio',
        { key: true },
      );
    } else if (q.min !== undefined && q.max !== undefined && q.min > q.max) {
      report(
        'DG1136',
        route.origin,
        [...at, 'queries', i, 'min'],
        `${id}: Prometheus query '${q.name}' has min ${q.min} above its max ${q.max}, so no value could pass`,
        'swap them, or drop one to keep only a floor or a ceiling',
      );
    }
    const first = seen.get(q.name);
    if (first !== undefined) {
      report(
        'DG1136',
        route.origin,
        [...at, 'queries', i, 'name'],
        `${id}: two Prometheus queries are named '${q.name}' (queries ${first + 1} and ${i + 1})`,
        'give each query a name of its own: checks and canary status tell them apart by it',
      );
    } else seen.set(q.name, i);
    const unknown = unknownPlaceholders(q.query);
    if (unknown.length > 0) {
      report(
        'DG1136',
        route.origin,
        [...at, 'queries', i, 'query'],
        `${id}: Prometheus query '${q.name}' uses ${unknown.map((u) => `{{${u}}}`).join(', ')}, which a check does not fill in`,
        'the placeholders are {{namespace}}, {{route}}, {{service}} (the canary service), {{module}} (the canary module) and {{interval}} (the check interval, e.g. 60s)',
      );
    }
    const canary = route.spec.canary!;
    const missing = usedPlaceholders(q.query).filter(
      (k) => (k === 'service' && canary.service === undefined) || (k === 'module' && canary.module === undefined),
    );
    if (missing.length > 0) {
      report(
        'DG1136',
        route.origin,
        [...at, 'queries', i, 'query'],
        `${id}: Prometheus query '${q.name}' uses {{${missing[0]}}}, and the canary has no ${missing[0]}`,
        `use {{${missing[0] === 'service' ? 'module' : 'service'}}}, or name the route and namespace instead`,
      );
    }
  });
}
