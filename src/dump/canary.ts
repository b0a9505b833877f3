import { canaryModuleOf, canaryRuleOf, type CanaryRule } from '../model/canary.js';
import type { CanarySpec } from '../schema/generated/config.js';
import type { LiveResources } from '../state/live-state.js';

/**
 * A route's canary, as dump finds it on a cluster: the module the canary compiled into
 * (compile/canary.ts), tagged with its rule and linked to its route, goes back to the `canary:`
 * block it came from. The module and the route's links to it and to the canary module leave the
 * dump (the block generates them again), so the dumped config validates (the tag is reserved,
 * DG1122) and plans clean.
 */
export function foldCanaries(live: LiveResources): {
  live: LiveResources;
  /** The canary block of each route that had one, keyed `namespace/route`. */
  canaries: Map<string, CanarySpec>;
} {
  const canaries = new Map<string, CanarySpec>();
  const generated = new Set<string>();
  /** Per route (`namespace/route`), the links the canary block makes: its generated module and canary module. */
  const links = new Map<string, Set<string>>();
  for (const m of live.modules) {
    const rule = canaryRuleOf(m.tags);
    if (!rule || m.name !== canaryModuleOf(rule)) continue;
    const route = live.routes.find((r) => r.namespace === m.namespace && r.name === rule.route);
    if (!route?.modules?.includes(m.name)) continue;
    generated.add(`${m.namespace}/${m.name}`);
    links.set(`${m.namespace}/${rule.route}`, new Set([m.name, ...(rule.module !== undefined ? [rule.module] : [])]));
    canaries.set(`${m.namespace}/${rule.route}`, specOf(rule));
  }
  if (generated.size === 0) return { live, canaries };
  return {
    live: {
      ...live,
      modules: live.modules.filter((m) => !generated.has(`${m.namespace}/${m.name}`)),
      routes: live.routes.map((r) => {
        const linked = links.get(`${r.namespace}/${r.name}`);
        const kept = r.modules?.filter((m) => !generated.has(`${r.namespace}/${m}`) && !linked?.has(m));
        if (kept === undefined || kept.length === r.modules?.length) return r;
        const { modules: _, ...rest } = r;
        return kept.length > 0 ? { ...rest, modules: kept as [string, ...string[]] } : rest;
      }),
    },
    canaries,
  };
}

function specOf(rule: CanaryRule): CanarySpec {
  return {
    ...(rule.service !== undefined ? { service: rule.service } : {}),
    ...(rule.module !== undefined ? { module: rule.module } : {}),
    weight: rule.weight,
    ...(rule.force ? { force: rule.force } : {}),
    ...(rule.sticky ? { sticky: rule.sticky } : {}),
  };
}
