import type { RouteSpec } from '../schema/generated/config.js';
import type { Resources } from '../schema/generated/desired-state.js';
import { type CanaryRule, canaryModuleOf, canaryTag, canaryRuleOf as ruleOfTags } from '../model/canary.js';
import { canaryMarkPrefix } from '../model/canary-metrics.js';
import {
  type CanaryRollout,
  rolloutIdentity,
  rolloutSteps,
  rolloutWeight,
  startWeight,
} from '../model/canary-rollout.js';
import type { DesiredState, Module } from '../schema/generated/desired-state.js';

/**
 * A route's canary compiled into plain DGate resources: one JavaScript module per route with a
 * canary, generated here, whose `fetchUpstream` sends each request to the route's own service
 * (stable) or to the canary service's URLs; the route gets that module. The weight, the force
 * rule and the sticky rule are compiled into the source, so changing the weight is an update of
 * that one module (docs/canary.md). What DGate v0.11.1 does with such a module is shown on a real
 * server in test/server/dgate-fetch-upstream.test.ts.
 */

/** Weights in the module are integer hundredths of a percent: 10% is 1000 of 10000. */
const scale = 10000;

/**
 * A value as a JavaScript literal. JSON, with the two line separators escaped: names may hold any
 * character, and before ES2019 U+2028 and U+2029 end a line even inside a string (a syntax error
 * in a module DGate compiles when a route first runs it, which wedges the node).
 */
function jsLiteral(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The rule a route's canary compiles to (what the generated module's tag records). */
export function canaryRuleOf(route: RouteSpec): CanaryRule | undefined {
  const c = route.canary;
  if (!c) return undefined;
  // With steps, the rollout sets the weight: compile gives where a new rollout starts, and plan
  // puts in where the cluster's rollout stands (pipeline/canary-overlay.ts).
  const steps = c.steps && c.steps.length > 0 ? c.steps : undefined;
  // DGate runs the first of a route's modules in name order: that is the one the generated
  // module stands in front of.
  const entry = [...new Set(route.modules ?? [])].sort()[0];
  return {
    route: route.name,
    ...(c.service !== undefined ? { service: c.service } : {}),
    ...(c.module !== undefined ? { module: c.module } : {}),
    ...(entry !== undefined ? { entry } : {}),
    ...(route.service === undefined ? { handler: true } : {}),
    weight: steps ? startWeight(rolloutSteps(steps)) : (c.weight ?? 0),
    ...(c.force ? { force: c.force } : {}),
    ...(c.sticky ? { sticky: c.sticky } : {}),
    ...(steps ? { rollout: rolloutIdentity(route.name, c, steps, c.checks) } : {}),
  };
}

/**
 * The source of a route's split module: a CommonJS script (DGate compiles JavaScript modules as
 * scripts, and this way nothing is transpiled per runtime), ES5 (goja).
 *
 * - Forced: a request with the force header or cookie (with the value, when one is given) goes
 *   to the canary.
 * - Sticky: a request with the sticky key goes where a hash of `namespace/route/version` and the
 *   key falls: bucket < weight. A client keeps its version at one weight and, since raising the
 *   weight only widens the canary's buckets, stays on the canary as the weight grows.
 * - Otherwise: a credit counter sends exactly weight/100 of the requests a runtime serves. DGate
 *   runs several runtimes of a module under concurrent requests, each with its own variables, so
 *   each counter starts at a random point: a fixed start would send each runtime's first requests
 *   the same way and skew the share.
 * - An upstream canary: the stable URL is read from the route's service at request time (round
 *   robin over its URLs); the canary URLs are compiled in.
 * - Beside the route's modules: DGate runs only the first of them (the entry), and a module can
 *   require another module of its route by `./name` (DGate's functional-tests multi_module_test).
 *   So the generated module, named to sort first, requires the entry and the canary module and
 *   calls, in each of its hooks, the hook of the version chosen for the request. It chooses in the
 *   first hook DGate calls (fetchUpstream on a route with a service, requestModifier on one
 *   without) and keeps the choice to the last, since a runtime serves one request at a time.
 *   Without a fetchUpstream of the module's own, the stable upstream is the service's first URL,
 *   as DGate picks it when no module chooses.
 */
export function splitModuleSource(namespace: string, rule: CanaryRule, canaryUrls: readonly string[]): string {
  const config = {
    weight: Math.round(rule.weight * 100),
    canary: rule.service !== undefined ? canaryUrls : null,
    force: rule.force ?? null,
    sticky: rule.sticky ?? null,
    salt: `${namespace}/${rule.route}/${rule.service ?? `module ${rule.module}`}\n`,
  };
  // Math.random runs inside DGate, per runtime; written as an index so it is plainly not a call
  // made here (compile is pure).
  const random = "Math['random']()";
  const require = (name: string) => `require(${jsLiteral(`./${name}`)})`;
  const modules =
    rule.entry === undefined
      ? '// The route runs no module of its own.\nvar STABLE = {};\nvar CANARY = {};'
      : `// The route's own module, and the version that runs instead of it on the canary.
var STABLE = ${require(rule.entry)};
var CANARY = ${rule.module !== undefined ? require(rule.module) : 'STABLE'};`;
  const hooks = rule.handler
    ? `// A route without a service: DGate calls requestModifier first, then requestHandler.
exports.requestModifier = function (ctx) {
  choose(ctx);
  return call('requestModifier', arguments);
};

// A chosen version without a requestHandler answers nothing: DGate then sends 204, where it
// would send 501 for a route whose only module has none.
exports.requestHandler = function (ctx) {
  var result = call('requestHandler', arguments);
  mark(ctx);
  return result;
};

// When the chosen version has no errorHandler, the error goes back to DGate, which answers 500
// as it does for a route whose module has none (a handler that returned would leave an empty 200).
exports.errorHandler = function (ctx, error) {
  mark(ctx);
  if (typeof running().errorHandler !== 'function') throw error;
  return call('errorHandler', arguments);
};
`
    : `exports.fetchUpstream = function (ctx) {
  choose(ctx);
  if (chosen === 'canary' && RULE.canary) {
    nextCanary = (nextCanary + 1) % RULE.canary.length;
    return RULE.canary[nextCanary];
  }
  if (typeof running().fetchUpstream === 'function') return call('fetchUpstream', arguments);
  var urls = ctx.service().urls;
  if (!RULE.canary) return urls[0];
  nextStable = (nextStable + 1) % urls.length;
  return urls[nextStable];
};

${
  rule.entry === undefined
    ? ''
    : `// Only beside a module: a hook DGate calls is one more point where a module write, which
// cancels the route's requests in flight, can end one with 500 (docs/dgate-quirks.md).
exports.requestModifier = function () {
  return call('requestModifier', arguments);
};

`
}exports.responseModifier = function (ctx) {
  mark(ctx);
  return call('responseModifier', arguments);
};

// Without an answer (the upstream refused or timed out), DGate answers 502 itself when nothing
// is written; the request is marked first.
exports.errorHandler = function (ctx) {
  mark(ctx);
  return call('errorHandler', arguments);
};
`;
  return `// Generated by dgate-cli from the canary of route ${jsLiteral(`${namespace}/${rule.route}`)} (docs/canary.md).
// Do not edit: every apply writes it again from the config.
var RULE = ${jsLiteral(config)};
var SCALE = ${scale};
var credit = Math.floor(${random} * SCALE);
var nextStable = 0;
var nextCanary = 0;
${modules}

function hash(text) {
  var h = 0x811c9dc5;
  for (var i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function cookie(req, name) {
  var header = req.headers.get('Cookie') || '';
  var parts = header.split(';');
  for (var i = 0; i < parts.length; i++) {
    var part = parts[i].trim();
    var eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq) === name) return part.slice(eq + 1);
  }
  return '';
}

function forced(req) {
  var f = RULE.force;
  if (!f) return false;
  var values = [];
  if (f.header) values.push(req.headers.get(f.header) || '');
  if (f.cookie) values.push(cookie(req, f.cookie));
  for (var i = 0; i < values.length; i++) {
    if (values[i] !== '' && (f.value === undefined || values[i] === f.value)) return true;
  }
  return false;
}

function stickyKey(req) {
  var s = RULE.sticky;
  if (!s) return '';
  if (s.by === 'ip') return req.remoteAddress || '';
  if (s.by === 'header') return req.headers.get(s.name) || '';
  return cookie(req, s.name);
}

function toCanary(req) {
  if (forced(req)) return true;
  if (RULE.weight <= 0) return false;
  if (RULE.weight >= SCALE) return true;
  var key = stickyKey(req);
  if (key !== '') return hash(RULE.salt + key) % SCALE < RULE.weight;
  credit += RULE.weight;
  if (credit < SCALE) return false;
  credit -= SCALE;
  return true;
}

// The version this request went to. A runtime serves one request at a time, from its first hook
// to responseModifier (or errorHandler), so a variable holds it for that request.
var chosen = 'stable';

function choose(ctx) {
  chosen = toCanary(ctx.request()) ? 'canary' : 'stable';
}

function running() {
  return chosen === 'canary' ? CANARY : STABLE;
}

// The chosen version's hook, if it has one, with the arguments DGate gave.
function call(hook, args) {
  var module = running();
  if (typeof module[hook] === 'function') return module[hook].apply(module, args);
  return undefined;
}

// After the upstream has answered (its request has gone), the client's User-Agent is marked with
// the version, so that DGate's request metrics, labelled with it, tell canary from stable.
function mark(ctx) {
  var headers = ctx.request().headers;
  headers.set('User-Agent', ${jsLiteral(canaryMarkPrefix)} + chosen + ' ' + (headers.get('User-Agent') || ''));
}

${hooks}`;
}

/**
 * A generated split module at another weight: its source and tag written again (plan puts a
 * rollout's weight in this way). `canaryUrls` are the canary service's, as compiled.
 */
export function splitModuleAtWeight(module: Module, weight: number, canaryUrls: readonly string[]): Module {
  const rule = ruleOfTags(module.tags);
  if (!rule) throw new Error(`module ${module.namespace}/${module.name} is not a generated canary split`);
  const next = { ...rule, weight };
  return {
    ...module,
    payload: Buffer.from(splitModuleSource(module.namespace, next, canaryUrls)).toString('base64'),
    tags: (module.tags ?? []).map((t) => (ruleOfTags([t]) ? canaryTag(next) : t)),
  };
}

/**
 * Adds the split module of each route of one namespace that has a canary, and gives the route
 * that module (and the canary module, for a module canary). Called by compileResources after the
 * namespace's own resources are compiled (the canary service's URLs are read from its compiled
 * form, as DGate stores them). checkConfig has made sure the canary's service and module exist
 * and the route can run it.
 */
export function addCanaries(out: Resources, namespace: string, routes: readonly RouteSpec[]): void {
  for (const spec of routes) {
    const rule = canaryRuleOf(spec);
    if (!rule) continue;
    const service =
      rule.service === undefined
        ? undefined
        : out.services.find((s) => s.namespace === namespace && s.name === rule.service);
    const route = out.routes.find((r) => r.namespace === namespace && r.name === spec.name);
    if ((rule.service !== undefined && !service) || !route)
      throw new Error(`compile called with route ${namespace}/${spec.name}'s canary unchecked: run checkConfig first`);
    const name = canaryModuleOf(rule);
    out.modules.push({
      name,
      namespace,
      payload: Buffer.from(splitModuleSource(namespace, rule, service?.urls ?? [])).toString('base64'),
      moduleType: 'javascript',
      // The route's labels too, so that --select-tag, which picks the route, picks its split module.
      tags: [...(route.tags ?? []), canaryTag(rule)],
    });
    const added = rule.module !== undefined ? [name, rule.module] : [name];
    route.modules = [...new Set([...(route.modules ?? []), ...added])].sort() as [string, ...string[]];
  }
}

/**
 * The routes of a config with the weights a target's canary tags give (`canary@5%:NAME`, docs/
 * canary.md#server-tags): NAME is a route with a canary, or the canary module of routes' canaries.
 * check-targets refuses a tag on a canary with steps (those set their own weight).
 */
export function withCanaryTagWeights(
  routes: readonly RouteSpec[],
  tags: readonly { name: string; percent: number }[],
): RouteSpec[] {
  if (tags.length === 0) return [...routes];
  return routes.map((r) => {
    const c = r.canary;
    if (!c) return r;
    const tag = tags.findLast((t) => t.name === r.name || (c.module !== undefined && t.name === c.module));
    return tag ? { ...r, canary: { ...c, weight: tag.percent } } : r;
  });
}

/**
 * The desired state with each stepped canary at the weight its rollout has in the cluster
 * (model/canary-rollout.ts rolloutWeight): mid-rollout, plan is clean rather than proposing to
 * put the weight back to the first step. A record about another canary of the route (other
 * service, steps or checks) does not count: that canary starts again. The desired version stays
 * the config's: a rollout's progress is not a change of config.
 */
export function withRolloutWeights(desired: DesiredState, records: readonly CanaryRollout[]): DesiredState {
  let changed = false;
  const modules = desired.resources.modules.map((m) => {
    const rule = ruleOfTags(m.tags);
    if (!rule?.rollout) return m;
    const record = records.find((r) => r.namespace === m.namespace && r.route === rule.route);
    if (!record || record.identity !== rule.rollout) return m;
    const weight = rolloutWeight(rule.rollout, [{ weight: rule.weight }], record);
    if (weight === rule.weight) return m;
    const service =
      rule.service === undefined
        ? undefined
        : desired.resources.services.find((s) => s.namespace === m.namespace && s.name === rule.service);
    if (rule.service !== undefined && !service) return m;
    changed = true;
    return splitModuleAtWeight(m, weight, service?.urls ?? []);
  });
  return changed ? { ...desired, resources: { ...desired.resources, modules } } : desired;
}

/** Whether a desired state has a canary with steps (then plan reads the cluster's rollout records). */
export function hasSteppedCanary(desired: DesiredState): boolean {
  return desired.resources.modules.some((m) => ruleOfTags(m.tags)?.rollout !== undefined);
}
