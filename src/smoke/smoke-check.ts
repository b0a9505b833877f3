import type { Location } from '../errors/dgate-error.js';
import { locationOf, type LoadedConfig } from '../load/assemble.js';
import type { RouteSpec, SmokeCheck, SmokeExpect } from '../schema/generated/config.js';

/**
 * Smoke checks, the pure part: which checks a desired state declares, what request each sends,
 * and how an answer is judged against what it expects. Sending is src/io/smoke-send.ts. Checks
 * are dgate-cli's own: never sent to DGate, and not in the desired-state version (a checks-only
 * edit plans no change).
 */

/** A route's check, with the route it belongs to and where it is written. */
export interface RouteCheck {
  /** The route, as namespace/name. */
  route: string;
  check: SmokeCheck;
  /** Where the check is written (file:line:col), for reports. */
  at?: Location;
}

/** An answer as the sender got it. */
export interface SmokeResponse {
  status: number;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: string;
}

/** What one check came to. Request header values are never kept (they may carry credentials). */
export interface SmokeResult {
  route: string;
  /** The check's name, or METHOD PATH. */
  name: string;
  request: { method: string; path: string; host?: string; headers?: string[] };
  /** passed; failed (an answer that breaks the expectations); error (no answer: refused, timed out). */
  outcome: 'passed' | 'failed' | 'error';
  /** The status the answer had, when there was one. */
  status?: number;
  /** What differs from what was expected, or why there was no answer. */
  problems: string[];
  /** Where the check is written, as file:line:col. */
  at?: string;
}

/** How reports name a check: its name, else METHOD PATH. */
export function checkName(check: SmokeCheck): string {
  return check.name ?? `${check.method ?? 'GET'} ${check.path}`;
}

/**
 * The checks of the routes a desired state holds, in config order: a target gets the checks of
 * the routes it gets. A check without `host` is sent with the first plain pattern (no `*`, not a
 * regex) of its namespace's domains, as DGate picks a namespace by the Host header once it has
 * domains or more than one namespace; without one, with the proxy URL's host.
 */
export function routeChecks(
  config: LoadedConfig,
  desired: {
    routes: readonly { namespace: string; name: string }[];
    domains: readonly { namespace: string; patterns: readonly string[] }[];
  },
): RouteCheck[] {
  const wanted = new Set(desired.routes.map((r) => `${r.namespace}/${r.name}`));
  const out: RouteCheck[] = [];
  for (const ns of config.namespaces) {
    const host = plainHostOf(desired.domains.filter((d) => d.namespace === ns.name));
    for (const declared of ns.resources.routes) {
      const spec = declared.spec as RouteSpec;
      const route = `${ns.name}/${spec.name}`;
      if (!wanted.has(route)) continue;
      (spec.checks ?? []).forEach((check, i) => {
        out.push({
          route,
          check: check.host === undefined && host !== undefined ? { ...check, host } : check,
          at: locationOf(declared.origin, ['checks', i]),
        });
      });
    }
  }
  return out;
}

/** The first domain pattern that names one host: no wildcard, not a /regex/. */
function plainHostOf(domains: readonly { patterns: readonly string[] }[]): string | undefined {
  for (const d of domains)
    for (const p of d.patterns) if (p.length > 0 && !p.includes('*') && !/^\/.*\/$/.test(p)) return p;
  return undefined;
}

const excerptLength = 200;

/** A body's start, on one line. */
function flatExcerpt(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  return flat.length > excerptLength ? `${flat.slice(0, excerptLength)}…` : flat;
}

/** A body as reports quote it: its start, on one line, as a JSON string. */
export function bodyExcerpt(body: string): string {
  return JSON.stringify(flatExcerpt(body));
}

/** What a check expects of an answer (`json` is any JSON value). */
export type Expectation = Omit<SmokeExpect, 'json'> & { json?: unknown };

/** Lists how an answer differs from what a check expects (empty: it passes). */
export function judgeResponse(expect: Expectation, res: SmokeResponse): string[] {
  const problems: string[] = [];
  if (expect.status !== undefined && res.status !== expect.status)
    problems.push(`status ${res.status}, expected ${expect.status} (body ${bodyExcerpt(res.body)})`);
  for (const [name, value] of Object.entries(expect.headers ?? {})) {
    const got = res.headers[name.toLowerCase()];
    const text = Array.isArray(got) ? got.join(', ') : got;
    if (text !== value)
      problems.push(`header ${name}: ${JSON.stringify(text ?? null)}, expected ${JSON.stringify(value)}`);
  }
  if (expect.body !== undefined && res.body !== expect.body)
    problems.push(`body ${bodyExcerpt(res.body)}, expected ${JSON.stringify(expect.body)}`);
  if (expect.bodyContains !== undefined && !res.body.includes(expect.bodyContains))
    problems.push(`body ${bodyExcerpt(res.body)} does not contain ${JSON.stringify(expect.bodyContains)}`);
  if (expect.json !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(res.body);
    } catch {
      json = undefined;
    }
    if (!containsJson(json, expect.json))
      problems.push(`body ${flatExcerpt(res.body)} does not contain ${JSON.stringify(expect.json)}`);
  }
  return problems;
}

/** Whether `actual` has every field of `expected` (recursively; arrays and scalars compared whole). */
export function containsJson(actual: unknown, expected: unknown): boolean {
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    if (!actual || typeof actual !== 'object' || Array.isArray(actual)) return false;
    return Object.entries(expected).every(([k, v]) => containsJson((actual as Record<string, unknown>)[k], v));
  }
  return JSON.stringify(actual) === JSON.stringify(expected);
}

/** The result of a check that got an answer. */
export function resultOf(rc: RouteCheck, res: SmokeResponse): SmokeResult {
  const problems = judgeResponse(rc.check.expect, res);
  return { ...resultBase(rc), outcome: problems.length > 0 ? 'failed' : 'passed', status: res.status, problems };
}

/** The result of a check that got no answer. */
export function resultOfError(rc: RouteCheck, error: string): SmokeResult {
  return { ...resultBase(rc), outcome: 'error', problems: [error] };
}

function resultBase(rc: RouteCheck): Pick<SmokeResult, 'route' | 'name' | 'request' | 'at'> {
  const { check } = rc;
  const headers = Object.keys(check.headers ?? {});
  return {
    route: rc.route,
    name: checkName(check),
    request: {
      method: check.method ?? 'GET',
      path: check.path,
      ...(check.host !== undefined ? { host: check.host } : {}),
      ...(headers.length > 0 ? { headers } : {}),
    },
    ...(rc.at ? { at: `${rc.at.file}:${rc.at.line}:${rc.at.col}` } : {}),
  };
}

/** One line per failed check: route, check, request, and what differs. */
export function describeFailures(results: readonly SmokeResult[]): string[] {
  return results
    .filter((r) => r.outcome !== 'passed')
    .map(
      (r) =>
        `route ${r.route}: check '${r.name}' (${r.request.method} ${r.request.path}${r.request.host ? ` Host: ${r.request.host}` : ''}${r.at ? `, ${r.at}` : ''}) ${r.outcome === 'error' ? 'got no answer' : 'failed'}: ${r.problems.join('; ')}`,
    );
}
