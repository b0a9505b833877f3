import type { Change } from '../diff/diff.js';
import { type CanaryRule, canaryRuleOf, canaryVersion, formatWeight } from '../model/canary.js';
import { canonicalJson } from '../state/canonical-json.js';
import { printableName } from './printable.js';

/**
 * A change to a route's generated canary split module (model/canary.ts), said as what it does:
 * "canary shop/checkout → checkout-v2: weight 10% → 50%", rather than as a diff of generated code.
 * Undefined for any other change.
 */
export function describeCanaryChange(change: Change): { title: string; details: string[] } | undefined {
  const before = canaryRuleOf(change.before?.tags as string[] | undefined);
  const after = canaryRuleOf(change.after?.tags as string[] | undefined);
  const rule = after ?? before;
  if (!rule) return undefined;
  const route = printableName(`${change.namespace}/${rule.route}`);
  const module = `(generated module ${printableName(change.name)})`;
  if (change.action === 'delete' || !after)
    return { title: `canary ${route} → ${printableName(canaryVersion(rule))}: removed ${module}`, details: [] };
  if (change.action === 'create' || !before)
    return {
      title: `canary ${route} → ${printableName(canaryVersion(after))}: weight ${formatWeight(after.weight)} ${module}`,
      details: [...ruleDetails(after), ...(after.rollout ? [rolloutStarts] : [])],
    };
  const weight =
    before.weight === after.weight
      ? `weight ${formatWeight(after.weight)}`
      : `weight ${formatWeight(before.weight)} → ${formatWeight(after.weight)}`;
  const details: string[] = [];
  if (before.service !== after.service)
    details.push(`service: ${printableName(before.service ?? '(none)')} → ${printableName(after.service ?? '(none)')}`);
  if (before.module !== after.module)
    details.push(`module: ${printableName(before.module ?? '(none)')} → ${printableName(after.module ?? '(none)')}`);
  const [b, a] = [ruleDetails(before), ruleDetails(after)];
  if (canonicalJson(b) !== canonicalJson(a)) details.push(...b.map((l) => `was ${l}`), ...a.map((l) => `now ${l}`));
  if (after.rollout && before.rollout !== after.rollout) details.push(rolloutStarts);
  // Same rule, new source: the canary service's URLs (compiled in) changed.
  if (canonicalJson(before) === canonicalJson(after)) details.push('canary URLs changed');
  return { title: `canary ${route} → ${printableName(canaryVersion(after))}: ${weight} ${module}`, details };
}

/** Said of a canary with steps that this apply starts (a new canary, or new steps or checks). */
const rolloutStarts = 'steps: apply starts the rollout here and runs its steps (--no-wait: only this first weight)';

function ruleDetails(rule: CanaryRule): string[] {
  const out: string[] = [];
  const f = rule.force;
  if (f) {
    const what = [f.header && `header ${f.header}`, f.cookie && `cookie ${f.cookie}`].filter(Boolean).join(' or ');
    out.push(`forced by ${printableName(what)}${f.value !== undefined ? ` = ${printableName(f.value)}` : ''}`);
  }
  const s = rule.sticky;
  if (s) out.push(`sticky by ${s.by}${s.name ? ` ${printableName(s.name)}` : ''}`);
  return out;
}
