/**
 * A route's canary as dgate-cli generates it into DGate: a module named after the route
 * (`<route>--canary-split`) that picks, for each request, the stable or the canary version: the
 * upstream in its `fetchUpstream`, and on a route with modules the module whose hooks run
 * (compile/canary.ts writes its source). The module carries the rule it was compiled from as one
 * tag, so that plan, get and dump can say "canary shop/checkout: weight 10%" instead of showing
 * generated code.
 */

import { canonicalJson } from '../state/canonical-json.js';

/** What a generated split module does: the rule in its tag (docs/canary.md). */
export interface CanaryRule {
  /** The route the module splits (in the module's namespace). */
  route: string;
  /** The canary service (an upstream canary). */
  service?: string;
  /** The canary module (a module canary): it runs instead of `entry` for the canary's requests. */
  module?: string;
  /**
   * The module the route runs of its own (the first of its modules in name order), which the
   * generated module stands in front of and calls: the stable version of a module canary, and
   * the module every request runs beside an upstream canary. Absent on a route without modules.
   */
  entry?: string;
  /** True when the route has no service: its module answers requests itself (requestHandler). */
  handler?: boolean;
  /** Percent of requests (0 to 100, in steps of 0.01) sent to the canary. */
  weight: number;
  force?: { header?: string; cookie?: string; value?: string };
  sticky?: { by: 'ip' | 'header' | 'cookie'; name?: string };
  /**
   * For a canary with steps: its rollout identity (model/canary-rollout.ts rolloutIdentity). The
   * weight is then the rollout's, which plan reads from the canary's record in the cluster.
   */
  rollout?: string;
}

/** The tag that marks a generated split module, followed by its rule as canonical JSON. */
export const canaryTagPrefix = 'dgate-cli.canary:';

/**
 * The name of the module a route's canary compiles into. DGate runs only the first of a route's
 * modules in name order, so beside the route's own modules the name starts with '-', which sorts
 * before letters and digits (check-canary refuses a module of the route that would still sort
 * first).
 */
export function canaryModuleName(route: string, besideModules = false): string {
  return `${besideModules ? '-' : ''}${route}--canary-split`;
}

/** The name of the module generated for this rule. */
export function canaryModuleOf(rule: Pick<CanaryRule, 'route' | 'entry'>): string {
  return canaryModuleName(rule.route, rule.entry !== undefined);
}

/** The new version a canary runs, as people read it: `checkout-v2`, `module auth-v2`, or both. */
export function canaryVersion(c: { service?: string | undefined; module?: string | undefined }): string {
  if (c.service !== undefined && c.module !== undefined) return `${c.service} with module ${c.module}`;
  return c.service ?? `module ${c.module ?? '?'}`;
}

/** The tag a generated split module carries. */
export function canaryTag(rule: CanaryRule): string {
  return `${canaryTagPrefix}${canonicalJson(rule)}`;
}

/** The rule a module's tags say it was generated from, or undefined for any other module (or a tag not ours). */
export function canaryRuleOf(tags: readonly string[] | null | undefined): CanaryRule | undefined {
  const tag = tags?.find((t) => t.startsWith(canaryTagPrefix));
  if (tag === undefined) return undefined;
  try {
    const rule = JSON.parse(tag.slice(canaryTagPrefix.length)) as Partial<CanaryRule> | null;
    if (
      rule === null ||
      typeof rule !== 'object' ||
      typeof rule.route !== 'string' ||
      (typeof rule.service !== 'string' && typeof rule.module !== 'string') ||
      typeof rule.weight !== 'number'
    )
      return undefined;
    return rule as CanaryRule;
  } catch {
    return undefined;
  }
}

/** A weight as people read it: `10%`, `0.5%`. */
export function formatWeight(weight: number): string {
  return `${Number(weight.toFixed(2))}%`;
}
