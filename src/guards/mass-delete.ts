import type { Change, Scope } from '../diff/diff.js';
import type { Location } from '../errors/dgate-error.js';
import type { LoadedConfig } from '../load/assemble.js';
import { locate } from '../load/parse-yaml.js';
import { type AnyResource, kindOrder, kinds } from '../model/registry.js';
import { isTombstone } from '../model/tombstones.js';
import type { ConfigFile } from '../schema/generated/config.js';
import type { LiveResources } from '../state/live-state.js';

/** The limit when the config sets none. */
export const defaultMaxDeletes = '25%';

/** A percentage limit never allows fewer deletes than this: dropping 2 of 4 resources is 50%, and a change a reviewer sees whole, not a mass delete. */
export const minimumPercentLimit = 5;

/** `settings.maxDeletes` as the config writes it, and where (absent: the default). */
export interface MaxDeletesSetting {
  value: number | string;
  location?: Location;
}

/** The mass-delete limit of a config: the first `settings.maxDeletes` any file sets, else 25%. */
export function maxDeletesSetting(config: LoadedConfig): MaxDeletesSetting {
  for (const doc of config.documents) {
    const value = (doc.value as Partial<ConfigFile> | null)?.settings?.maxDeletes;
    if (typeof value === 'number' || typeof value === 'string')
      return { value, location: locate(doc, ['settings', 'maxDeletes']) };
  }
  return { value: defaultMaxDeletes };
}

/**
 * How many deletes one apply may make: a count as written, or a share of the managed resources,
 * rounded down and never below `minimumPercentLimit`.
 */
export function deleteLimit(setting: number | string, managed: number): number {
  if (typeof setting === 'number') return setting;
  const share = Number(setting.replace(/%$/, ''));
  return Math.max(minimumPercentLimit, Math.floor((share * managed) / 100));
}

/** How many resources a plan manages on the cluster: the live ones in its scope, tombstones aside. */
export function managedCount(live: LiveResources, scope: Scope): number {
  const namespaces = new Set(scope.namespaces);
  let n = 0;
  for (const kind of kindOrder) {
    for (const r of live[kind] as unknown as AnyResource[]) {
      const tags = (r as { tags?: string[] }).tags ?? [];
      if (
        namespaces.has(kinds[kind].namespaceOf(r)) &&
        !isTombstone(r) &&
        scope.selectTags.every((t) => tags.includes(t))
      )
        n++;
    }
  }
  return n;
}

/** A plan that deletes more than its limit allows. */
export interface MassDelete {
  deletes: number;
  limit: number;
  managed: number;
  setting: MaxDeletesSetting;
}

/** The mass delete a plan's changes make, if they delete more than the limit. Pure. */
export function findMassDelete(
  changes: readonly Change[],
  managed: number,
  setting: MaxDeletesSetting,
): MassDelete | undefined {
  const deletes = changes.filter((c) => c.action === 'delete').length;
  const limit = deleteLimit(setting.value, managed);
  return deletes > limit ? { deletes, limit, managed, setting } : undefined;
}

/** The refusal's message: how many, out of how many, and what the limit is. */
export function describeMassDelete(m: MassDelete): string {
  const setting = m.setting.location ? 'settings.maxDeletes' : 'the default settings.maxDeletes';
  const raised =
    deleteLimit(m.setting.value, m.managed) === minimumPercentLimit ? `, at least ${minimumPercentLimit}` : '';
  const rule =
    typeof m.setting.value === 'number'
      ? `settings.maxDeletes is ${m.setting.value}`
      : `the limit is ${m.limit} (${m.setting.value} of ${m.managed}${raised}: ${setting})`;
  return `the plan deletes ${m.deletes} of ${m.managed} managed resources, more than one apply may without --allow-mass-delete: ${rule}`;
}
