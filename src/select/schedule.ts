import type { Declared, LoadedConfig, NamespacedSpecKind } from '../load/assemble.js';
import { specKinds } from '../model/registry.js';
import { changeInstants } from './evaluate.js';
import type { Selector } from './tags.js';
import { namespaceSelectors, selectForTarget, selectorsIn, tagsOf, type Target } from './targets.js';

/** When what a target gets changes by itself: the instants its time-qualified tags name. */

/** Every instant after `at` at which what this target gets may change, ascending. */
export function scheduledInstants(config: LoadedConfig, target: Target, at: number): number[] {
  const selectors: Selector[] = [];
  for (const ns of config.namespaces) {
    selectors.push(...namespaceSelectors(ns).map((p) => p.selector));
    for (const kind of specKinds) {
      for (const d of ns.resources[kind] as Declared<unknown>[])
        selectors.push(...selectorsIn(tagsOf(d), d.origin).map((p) => p.selector));
    }
  }
  return changeInstants(selectors, target.tags).filter((t) => t > at);
}

/** Whether what a target gets depends on the time at all (then compiles record the instant). */
export function isTimeDependent(config: LoadedConfig, target: Target): boolean {
  return scheduledInstants(config, target, -Infinity).length > 0;
}

export interface ScheduledChange {
  at: string;
  /** Counts by kind (plural, as in the config) of resources the target gains and loses then. */
  added: Partial<Record<NamespacedSpecKind | 'namespaces', number>>;
  removed: Partial<Record<NamespacedSpecKind | 'namespaces', number>>;
}

/** The next instant after `at` at which the target's resources really change, and how. */
export function nextScheduledChange(config: LoadedConfig, target: Target, at: number): ScheduledChange | null {
  const now = selectForTarget(config, target, at).selected;
  for (const instant of scheduledInstants(config, target, at)) {
    const then = selectForTarget(config, target, instant).selected;
    const added = countByKind([...then].filter((k) => !now.has(k)));
    const removed = countByKind([...now].filter((k) => !then.has(k)));
    if (Object.keys(added).length + Object.keys(removed).length > 0)
      return { at: new Date(instant).toISOString(), added, removed };
  }
  return null;
}

function countByKind(keys: string[]): ScheduledChange['added'] {
  const out: ScheduledChange['added'] = {};
  for (const key of keys) {
    const kind = key.slice(0, key.indexOf(':')) as NamespacedSpecKind | 'namespaces';
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

/** `+2 routes, -1 service`: a scheduled change in one line. */
export function describeScheduledChange(change: ScheduledChange): string {
  const part = (sign: string, counts: ScheduledChange['added']) =>
    Object.entries(counts).map(([kind, n]) => `${sign}${n} ${n === 1 ? kind.slice(0, -1) : kind}`);
  return [...part('+', change.added), ...part('-', change.removed)].join(', ');
}
