import type { Diagnostic } from '../errors/dgate-error.js';
import type { Declared, LoadedConfig } from '../load/assemble.js';
import { reportInto } from './check-report.js';
import type { RouteSpec } from '../schema/generated/config.js';

/**
 * A module's `canary:` (docs/canary.md#module-canaries-and-canaries-beside-a-routes-modules) is
 * the same canary on every route that runs the module, the first of its modules in name order:
 * `auth` with `canary: { module: auth-v2, weight: 5 }` gives each route that runs `auth` that
 * canary block, and everything after (check, compile, plan, rollouts, dump) sees route canaries
 * only. A route with a canary of its own keeps it and is reported: one canary per route. Pure.
 */
export function expandModuleCanaries(config: LoadedConfig): { config: LoadedConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = reportInto(diagnostics);
  let changed = false;
  const namespaces = config.namespaces.map((ns) => {
    const declaring = ns.resources.modules.filter((m) => m.valid && m.spec.canary !== undefined);
    if (declaring.length === 0) return ns;
    for (const m of declaring) {
      const canary = m.spec.canary!;
      if (canary.module === undefined || canary.service !== undefined) {
        report(
          'DG1124',
          m.origin,
          ['canary'],
          `module '${ns.name}/${m.spec.name}' has a canary ${canary.service !== undefined ? `that names service '${canary.service}'` : 'that names no module'}: a module's canary is a new version of the module`,
          `write canary: { module: ${m.spec.name}-v2, ... } with the new module's name; put a service canary on the routes instead`,
          { key: true },
        );
      }
    }
    const routes = ns.resources.routes.map((r): Declared<RouteSpec> => {
      const entry = [...new Set(r.spec.modules ?? [])].sort()[0];
      const from = declaring.find((m) => m.spec.name === entry);
      if (!from || from.spec.canary?.module === undefined || from.spec.canary.service !== undefined) return r;
      if (r.spec.canary !== undefined) {
        report(
          'DG1124',
          r.origin,
          ['canary'],
          `route '${ns.name}/${r.spec.name}' has a canary of its own and runs module '${entry}', which has a canary for every route that runs it: a route has one canary`,
          `drop the route's canary, or move the module's canary onto the routes that should have it`,
          { key: true },
        );
        return r;
      }
      changed = true;
      return { ...r, spec: { ...r.spec, canary: from.spec.canary } };
    });
    return { ...ns, resources: { ...ns.resources, routes } };
  });
  return { config: changed ? { ...config, namespaces } : config, diagnostics };
}
