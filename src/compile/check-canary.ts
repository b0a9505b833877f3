import type { Declared, LoadedNamespace } from '../load/assemble.js';
import { canaryModuleName } from '../model/canary.js';
import type { ModuleSpec, RouteSpec } from '../schema/generated/config.js';
import { type Report, names, suggest } from './check-report.js';
import { resolveFileRef, type FileTable } from './file-refs.js';

/**
 * A route's canary (docs/canary.md): it names a new version, a service or a module (or both),
 * that exists and differs from the route's own. An upstream canary needs a route that forwards to
 * a service (DGate asks a module for the upstream only then) and no module that chooses the
 * upstream itself; a module canary needs a module on the route to replace (the first in name
 * order, the one DGate runs). The generated module must be free to take its name and sort before
 * the route's modules (DGate runs only the first), and the modules it requires must have names
 * `require('./name')` finds. The weight goes in steps of 0.01%; the force and sticky rules name
 * what they read.
 */
export function checkCanary(
  ns: LoadedNamespace,
  route: Declared<RouteSpec>,
  files: FileTable | undefined,
  report: Report,
): void {
  const spec = route.spec;
  const canary = spec.canary;
  if (!canary) return;
  const id = `route '${ns.name}/${spec.name}'`;
  const services = names(ns.resources.services);
  const modules = names(ns.resources.modules);
  const own = [...new Set(spec.modules ?? [])].sort();
  const entry = own[0];

  if (canary.service === undefined && canary.module === undefined) {
    report(
      'DG1124',
      route.origin,
      ['canary'],
      `${id} has a canary with no new version: it names neither a service nor a module`,
      "add service: (the new upstream, e.g. 'checkout-v2') or module: (the new version of the route's module, e.g. 'auth-v2')",
      { key: true },
    );
  }

  if (canary.service !== undefined) {
    if (!services.includes(canary.service)) {
      report(
        'DG1103',
        route.origin,
        ['canary', 'service'],
        `${id} has a canary on service '${canary.service}', which namespace '${ns.name}' does not declare`,
        suggest(canary.service, services, 'service', ns.name),
      );
    }
    if (spec.service === undefined) {
      report(
        'DG1124',
        route.origin,
        ['canary'],
        `${id} has a canary service but no service of its own: DGate asks a module for the upstream only on a route that forwards to a service`,
        `give the route its stable service (service: ...), the one the canary '${canary.service}' is compared with`,
        { key: true },
      );
    } else if (spec.service === canary.service) {
      report(
        'DG1124',
        route.origin,
        ['canary', 'service'],
        `${id} has a canary on its own service '${spec.service}': the canary must be another version`,
        "name the new version's service here (for example 'checkout-v2' next to 'checkout')",
      );
    }
    if (entry !== undefined) {
      const module = ns.resources.modules.find((d) => d.spec.name === entry);
      if (module && choosesUpstream(module, files)) {
        report(
          'DG1125',
          route.origin,
          ['modules', (spec.modules ?? []).indexOf(entry)],
          `${id} has a canary service, but its module '${entry}' chooses the upstream itself (fetchUpstream): the canary's split would have to override it`,
          `drop the canary's service, or drop '${entry}' from the route and let the canary choose the upstream`,
        );
      }
    }
  }

  if (canary.module !== undefined) {
    if (!modules.includes(canary.module)) {
      report(
        'DG1104',
        route.origin,
        ['canary', 'module'],
        `${id} has a canary on module '${canary.module}', which namespace '${ns.name}' does not declare`,
        suggest(canary.module, modules, 'module', ns.name),
      );
    }
    if (entry === undefined) {
      report(
        'DG1124',
        route.origin,
        ['canary', 'module'],
        `${id} has a module canary '${canary.module}' but runs no module for it to replace`,
        "give the route the stable version in modules: (e.g. [auth] beside canary module 'auth-v2'), or name a service canary instead",
      );
    } else if (own.includes(canary.module)) {
      report(
        'DG1124',
        route.origin,
        ['canary', 'module'],
        canary.module === entry
          ? `${id} has a canary on its own module '${entry}': the canary must be another version`
          : `${id} lists its canary module '${canary.module}' in modules: too; dgate-cli adds it for the canary's requests`,
        canary.module === entry
          ? "name the new version's module here (for example 'auth-v2' next to 'auth')"
          : `drop '${canary.module}' from the route's modules`,
      );
    }
  }

  // The generated module requires the route's module and the canary module by './name'.
  for (const [name, path] of [
    [entry, ['modules', (spec.modules ?? []).indexOf(entry ?? '')]],
    [canary.module, ['canary', 'module']],
  ] as const) {
    if (name !== undefined && !/^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/.test(name)) {
      report(
        'DG1124',
        route.origin,
        path,
        `${id} has a canary, and its module '${name}' has a name the canary's generated module cannot require('./${name}') by`,
        "rename the module with letters, digits, '_', '-' and '.' only (not starting with '.')",
      );
    }
  }

  const besideModules = entry !== undefined;
  const generated = canaryModuleName(spec.name, besideModules);
  for (const name of [canaryModuleName(spec.name, false), canaryModuleName(spec.name, true)]) {
    const taken = ns.resources.modules.find((d) => d.spec.name === name);
    if (!taken) continue;
    report(
      'DG1126',
      taken.origin,
      ['name'],
      `module '${ns.name}/${name}' has the name of a module generated for the canary of ${id}`,
      'rename the module: dgate-cli generates that one',
    );
  }
  const first = [...own, ...(canary.module !== undefined ? [canary.module] : [])].find((m) => m < generated);
  if (besideModules && first !== undefined) {
    report(
      'DG1126',
      route.origin,
      ['modules', Math.max(0, (spec.modules ?? []).indexOf(first))],
      `${id} has a canary, and its module '${first}' sorts before the canary's generated module '${generated}': DGate runs only the first module in name order, so the canary would never run`,
      `rename '${first}' so that it sorts after '${generated}' (a name starting with a letter or digit does)`,
    );
  }

  if (canary.weight !== undefined && Math.round(canary.weight * 100) !== canary.weight * 100) {
    report(
      'DG1127',
      route.origin,
      ['canary', 'weight'],
      `${id} has a canary weight of ${canary.weight}%, finer than the 0.01% steps the split works in`,
      `write ${Number(canary.weight.toFixed(2))}`,
    );
  }
  canary.steps?.forEach((step, i) => {
    if ('weight' in step && Math.round(step.weight * 100) !== step.weight * 100) {
      report(
        'DG1127',
        route.origin,
        ['canary', 'steps', i, 'weight'],
        `${id} has a canary step weight of ${step.weight}%, finer than the 0.01% steps the split works in`,
        `write ${Number(step.weight.toFixed(2))}`,
      );
    }
  });
  if (canary.force && canary.force.header === undefined && canary.force.cookie === undefined) {
    report(
      'DG1127',
      route.origin,
      ['canary', 'force'],
      `${id} has a canary force rule with neither a header nor a cookie`,
      'add header: X-Canary (or cookie: canary), or drop force',
      { key: true },
    );
  }
  const sticky = canary.sticky;
  if (sticky && sticky.by !== 'ip' && sticky.name === undefined) {
    report(
      'DG1127',
      route.origin,
      ['canary', 'sticky'],
      `${id} has a canary sticky by ${sticky.by} without the ${sticky.by}'s name`,
      `add name: the ${sticky.by} that identifies a client (for example ${sticky.by === 'header' ? 'X-User-Id' : 'session'})`,
      { key: true },
    );
  }
  if (sticky && sticky.by === 'ip' && sticky.name !== undefined) {
    report(
      'DG1127',
      route.origin,
      ['canary', 'sticky', 'name'],
      `${id} has a canary sticky by ip with a name ('${sticky.name}'), which only a header or cookie has`,
      `drop name, or write by: header (or cookie) to key clients by '${sticky.name}'`,
      { key: true },
    );
  }
  if (canary.checks?.probes && !canary.force) {
    report(
      'DG1127',
      route.origin,
      ['canary', 'checks', 'probes'],
      `${id} has canary probes but no force rule: a probe reaches the canary only by its force header or cookie`,
      'add force: { header: X-Canary } (probes send it), or drop probes',
    );
  }
  if (canary.checks?.probes && (route.spec.checks ?? []).length === 0) {
    report(
      'DG1127',
      route.origin,
      ['canary', 'checks', 'probes'],
      `${id} has canary probes but declares no checks: to send`,
      'add checks: to the route (the smoke requests a probe sends, docs/try-and-converge.md), or drop probes',
    );
  }
  if (canary.steps && canary.steps.length > 0 && canary.weight !== undefined) {
    report(
      'DG1127',
      route.origin,
      ['canary', 'weight'],
      `${id} has both a canary weight (${canary.weight}%) and steps: with steps, the steps set the weight`,
      'drop weight: the rollout starts at the first step and is promoted to 100% after the last',
    );
  }
}

/** Whether a module's source defines fetchUpstream (a file checkModule could not read counts as not). */
function choosesUpstream(module: Declared<ModuleSpec>, files: FileTable | undefined): boolean {
  let source = module.spec.source;
  if (typeof module.spec.file === 'string' && files) {
    const rel = resolveFileRef(module.origin, module.spec.file).rel;
    const entry = rel ? files.get(rel) : undefined;
    if (entry?.status === 'ok') source = new TextDecoder().decode(entry.bytes);
  }
  return typeof source === 'string' && /\bfetchUpstream\b/.test(source);
}
