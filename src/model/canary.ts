/**
 * A route's canary as dgate-cli generates it into DGate: a module named after the route
 * (`<route>--canary-split`) whose `fetchUpstream` picks the stable or the canary upstream
 * (compile/canary.ts writes its source). The module carries the rule it was compiled from as one
 * tag, so that plan, get and dump can say "canary shop/checkout: weight 10%" instead of showing
 * generated code.
 */

import { canonicalJson } from '../state/canonical-json.js';

/** What a generated split module does: the rule in its tag (docs/canary.md). */
export interface CanaryRule {
  /** The route the module splits (in the module's namespace). */
  route: string;
  /** The canary service. */
  service: string;
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

/** The name of the module a route's canary compiles into. */
export function canaryModuleName(route: string): string {
  return `${route}--canary-split`;
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
      typeof rule.service !== 'string' ||
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
