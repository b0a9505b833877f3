import type { Change } from '../diff/diff.js';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
import { type LoadedConfig, locationOf } from '../load/assemble.js';
import { locate } from '../load/parse-yaml.js';
import { kindFromAlias, kinds, specKinds, type KindKey } from '../model/registry.js';
import type { CollectionSpec, ConfigFile } from '../schema/generated/config.js';
import { needsRecreate } from '../apply/steps.js';
import type { AnyResource } from '../model/registry.js';

/** `routes:shop/checkout`: a resource as protection records and matches it. */
export type ResourceKey = `${KindKey}:${string}`;

export const resourceKey = (kind: KindKey, id: string): ResourceKey => `${kind}:${id}`;

/** A `protect: true` in the config, on the declaration of one resource. */
export interface DeclaredProtection {
  key: ResourceKey;
  location: Location;
}

/** One entry of `settings.protect`: a kind (or any) and an id pattern in which `*` matches anything. */
export interface ProtectSelector {
  text: string;
  kind?: KindKey;
  pattern: RegExp;
  location: Location;
}

/** What a config protects: resources it marks `protect: true`, and the `settings.protect` selectors. */
export interface ProtectionRules {
  declared: Map<ResourceKey, DeclaredProtection>;
  /** Every resource the config declares (protected or not): a recorded protection ends when the config declares the resource again. */
  declaredKeys: Set<ResourceKey>;
  selectors: ProtectSelector[];
}

/** Resources an earlier release recorded as protected (`protect: true` when it was applied). */
export interface RecordedProtection {
  release: number;
  keys: ReadonlySet<string>;
}

/** A change a protection refuses: what, why (the rule) and where that rule is written. */
export interface ProtectedChange {
  kind: KindKey;
  id: string;
  action: 'delete' | 'recreate';
  rule: string;
  location?: Location;
}

/** Parses one `settings.protect` entry (`[KIND ]PATTERN`); the schema has checked its form. */
export function parseProtectSelector(text: string, location: Location): ProtectSelector {
  const space = text.indexOf(' ');
  const kind = space > 0 ? kindFromAlias(text.slice(0, space)) : undefined;
  const glob = space > 0 ? text.slice(space + 1) : text;
  const source = glob
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return { text, ...(kind ? { kind } : {}), pattern: new RegExp(`^${source}$`), location };
}

/** The protection rules a config writes, each with where it is written. */
export function protectionRules(config: LoadedConfig): ProtectionRules {
  const declared = new Map<ResourceKey, DeclaredProtection>();
  const declaredKeys = new Set<ResourceKey>();
  const note = (key: ResourceKey, protect: unknown, at: () => Location) => {
    declaredKeys.add(key);
    if (protect === true && !declared.has(key)) declared.set(key, { key, location: at() });
  };
  for (const ns of config.namespaces) {
    for (const d of ns.declarations)
      note(resourceKey('namespaces', ns.name), d.spec.protect, () => locationOf(d.origin, ['protect'], { key: true }));
    for (const kind of specKinds) {
      for (const d of ns.resources[kind]) {
        const spec = d.spec as { name?: unknown; protect?: unknown };
        if (typeof spec.name !== 'string') continue;
        note(resourceKey(kind, `${ns.name}/${spec.name}`), spec.protect, () =>
          locationOf(d.origin, ['protect'], { key: true }),
        );
        if (kind !== 'collections') continue;
        ((d.spec as CollectionSpec).documents ?? []).forEach((doc, j) => {
          if (!doc || typeof doc.id !== 'string') return;
          note(resourceKey('documents', `${ns.name}/${spec.name}/${doc.id}`), doc.protect, () =>
            locationOf(d.origin, ['documents', j, 'protect'], { key: true }),
          );
        });
      }
    }
  }
  const selectors: ProtectSelector[] = [];
  for (const doc of config.documents) {
    const list = (doc.value as Partial<ConfigFile> | null)?.settings?.protect;
    if (!Array.isArray(list)) continue;
    list.forEach((text, i) => {
      if (typeof text === 'string') selectors.push(parseProtectSelector(text, locate(doc, ['settings', 'protect', i])));
    });
  }
  return { declared, declaredKeys, selectors };
}

/** The keys of the resources a config marks `protect: true`: what a release records. */
export function declaredProtectedKeys(rules: ProtectionRules): string[] {
  return [...rules.declared.keys()].sort();
}

/** Whether a change would remove a resource: a delete, or an update applied as delete-and-put (apply/steps.ts). */
function removalOf(change: Change): 'delete' | 'recreate' | undefined {
  if (change.action === 'delete') return 'delete';
  if (change.action === 'update' && change.kind === 'routes' && change.before && change.after)
    return needsRecreate(change.before as unknown as AnyResource, change.after as unknown as AnyResource)
      ? 'recreate'
      : undefined;
  return undefined;
}

/**
 * The changes of a plan that delete or recreate a protected resource, each with the rule that
 * protects it: the resource's own `protect: true`, a `settings.protect` selector, or (for a
 * resource the config no longer declares) the release that recorded it as protected. Pure.
 */
export function findProtectedChanges(
  changes: readonly Change[],
  rules: ProtectionRules,
  recorded?: RecordedProtection,
): ProtectedChange[] {
  const out: ProtectedChange[] = [];
  for (const change of changes) {
    const action = removalOf(change);
    if (!action) continue;
    const key = resourceKey(change.kind, change.id);
    const own = rules.declared.get(key);
    const selector = rules.selectors.find(
      (s) => (s.kind === undefined || s.kind === change.kind) && s.pattern.test(change.id),
    );
    const base = { kind: change.kind, id: change.id, action };
    if (own) out.push({ ...base, rule: 'protect: true', location: own.location });
    else if (selector) out.push({ ...base, rule: `settings.protect '${selector.text}'`, location: selector.location });
    else if (recorded && !rules.declaredKeys.has(key) && recorded.keys.has(key))
      out.push({ ...base, rule: `protect: true when release ${recorded.release} was applied` });
  }
  return out;
}

/** How one protected change reads in a refusal. */
export function describeProtectedChange(p: ProtectedChange): string {
  const verb = p.action === 'delete' ? 'delete' : 'delete and recreate';
  return `would ${verb} protected ${kinds[p.kind].singular} ${p.id} (${p.rule})`;
}

/** One diagnostic per protected change, located at the rule that protects it. */
export function protectedDiagnostics(found: readonly ProtectedChange[]): Diagnostic[] {
  return found.map((p) => ({
    code: 'DG3013',
    severity: 'error',
    message: describeProtectedChange(p),
    ...(p.location ? { location: p.location } : {}),
    hint:
      p.action === 'delete'
        ? 'keep it in the config, or give --allow-protected to delete it this once (the release records that)'
        : 'DGate can only drop a route link by deleting the route; give --allow-protected to do it this once (the release records that)',
  }));
}
