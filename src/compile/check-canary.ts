import type { Declared, LoadedNamespace } from '../load/assemble.js';
import { canaryModuleName } from '../model/canary.js';
import type { ModuleSpec, RouteSpec } from '../schema/generated/config.js';
import { type Report, names, suggest } from './check-report.js';
import { resolveFileRef, type FileTable } from './file-refs.js';

/**
 * A route's canary (docs/canary.md): the canary service must exist and differ from the route's
 * own; the route must forward to a service (DGate asks a module for the upstream only then) and
 * run no module of its own (DGate v0.11 runs one module per route, the first in name order, so the
 * generated split module cannot run beside another yet); the weight goes in steps of 0.01%; the
 * force and sticky rules name what they read; and the generated module's name must be free.
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
      `${id} has a canary but no service: DGate asks a module for the upstream only on a route that forwards to a service`,
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

  (spec.modules ?? []).forEach((m, i) => {
    const module = ns.resources.modules.find((d) => d.spec.name === m);
    const own = module && choosesUpstream(module, files);
    report(
      own ? 'DG1125' : 'DG1124',
      route.origin,
      ['modules', i],
      own
        ? `${id} has a canary, but its module '${m}' chooses the upstream itself (fetchUpstream): the canary's split module would have to replace it`
        : `${id} has a canary and runs module '${m}': DGate v0.11 runs one module per route (the first in name order), so the generated split module cannot run beside it yet`,
      own
        ? `drop the canary, or drop '${m}' from the route and let the canary choose the upstream`
        : 'move the canary to a route without modules (a split beside modules is planned: issue #15)',
    );
  });

  const generated = canaryModuleName(spec.name);
  const taken = ns.resources.modules.find((d) => d.spec.name === generated);
  if (taken) {
    report(
      'DG1126',
      taken.origin,
      ['name'],
      `module '${ns.name}/${generated}' has the name of the split module generated for the canary of ${id}`,
      'rename the module: dgate-cli generates that one',
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
