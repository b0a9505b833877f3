import { specKinds } from '../model/registry.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import {
  locationOf,
  type Declared,
  type LoadedConfig,
  type LoadedNamespace,
  type NamespacedSpecKind,
  type Origin,
} from '../load/assemble.js';
import type { YamlPath } from '../load/parse-yaml.js';
import type { TargetSpec } from '../schema/generated/config.js';
import { evaluateSelectors, type Verdict } from './evaluate.js';
import { isSelectorTag, parseSelector, parseServerTag, type Selector, type ServerTag } from './tags.js';

/** A cluster the config deploys to, with its server tags parsed. */
export interface Target {
  name: string;
  /** Null for the implicit target (no `targets:` in the config): the cluster --admin names, without tags. */
  spec: TargetSpec | null;
  origin: Origin | null;
  tags: ServerTag[];
}

/** The name the implicit target goes by in messages. */
export const implicitTargetName = 'default';

export function implicitTarget(): Target {
  return { name: implicitTargetName, spec: null, origin: null, tags: [] };
}

/** The declared targets (the config must have passed checkTargets), or the implicit one. */
export function targetsOf(config: LoadedConfig): Target[] {
  if (config.targets.length === 0) return [implicitTarget()];
  return config.targets.map((t) => ({
    name: t.spec.name,
    spec: t.spec,
    origin: t.origin,
    tags: (t.spec.tags ?? []).flatMap((text) => {
      const parsed = parseServerTag(text);
      return parsed.ok ? [parsed.value] : [];
    }),
  }));
}

export function canariesOf(target: Target): { name: string; percent: number }[] {
  return target.tags.flatMap((t) => (t.kind === 'canary' ? [{ name: t.name, percent: t.percent }] : []));
}

/**
 * Whether a target is in the canary wave: its server tags say `canary` (a plain tag) or name a
 * canary (`canary@N%:NAME`). Canaries with steps run there first; the other targets follow once
 * they are promoted (docs/canary.md#fleet-waves).
 */
export function isCanaryTarget(target: Target): boolean {
  return target.tags.some((t) => t.kind === 'canary' || (t.kind === 'plain' && t.tag === 'canary'));
}

/** Targets in wave order: the canary wave first, then the rest, each in the order given. */
export function inWaves(targets: readonly Target[]): { canary: Target[]; rest: Target[] } {
  return { canary: targets.filter(isCanaryTarget), rest: targets.filter((t) => !isCanaryTarget(t)) };
}

/** A selector as written, with where it was written (for messages). */
export interface PlacedSelector {
  selector: Selector;
  origin: Origin;
  path: YamlPath;
}

export function selectorsIn(tags: readonly string[] | undefined, origin: Origin): PlacedSelector[] {
  const out: PlacedSelector[] = [];
  (tags ?? []).forEach((text, i) => {
    if (!isSelectorTag(text)) return;
    const parsed = parseSelector(text);
    if (parsed.ok) out.push({ selector: parsed.value, origin, path: ['tags', i] });
  });
  return out;
}

/** The plain labels of a tag list: what DGate stores. Selectors are ours and are not sent. */
export function labelsOf(tags: readonly string[] | undefined): string[] | undefined {
  const labels = (tags ?? []).filter((t) => !isSelectorTag(t));
  return labels.length > 0 ? labels : undefined;
}

export function namespaceSelectors(ns: LoadedNamespace): PlacedSelector[] {
  // checkNamespaceTags makes every declaration that sets tags set the same ones.
  const declared = ns.declarations.find((d) => d.spec.tags !== undefined);
  return declared ? selectorsIn(declared.spec.tags, declared.origin) : [];
}

export function tagsOf(d: Declared<unknown>): string[] | undefined {
  return (d.spec as { tags?: string[] }).tags;
}

export function nameOf(d: Declared<unknown>): string {
  return (d.spec as { name: string }).name;
}

export function resourceKey(kind: NamespacedSpecKind | 'namespaces', namespace: string, name: string): string {
  return kind === 'namespaces' ? `namespaces:${namespace}` : `${kind}:${namespace}/${name}`;
}

export interface Selection {
  /** The config as this target gets it: unselected resources removed, selector tags stripped. */
  config: LoadedConfig;
  /** resourceKey of every selected namespace and resource. */
  selected: Set<string>;
  /** A selected resource whose dependency is not selected: never a route pointing at nothing. */
  diagnostics: Diagnostic[];
}

/**
 * What one target gets at one instant. A namespace's selectors apply to every resource in it; a
 * resource's own selectors narrow that further. Pure, and independent of file order: each
 * resource's membership depends only on its own selectors and its namespace's.
 */
export function selectForTarget(config: LoadedConfig, target: Target, at: number): Selection {
  // Most configs have no selectors: every target gets everything, as written.
  if (!hasSelectors(config)) {
    let all: Set<string> | undefined;
    return {
      config,
      get selected() {
        all ??= everyResourceKey(config);
        return all;
      },
      diagnostics: [],
    };
  }
  const selected = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const namespaces: LoadedNamespace[] = [];
  const failing = new Map<string, { verdict: Verdict; placed: PlacedSelector }>();
  const judge = (key: string, placed: PlacedSelector[]): boolean => {
    const { selected: ok, verdicts } = evaluateSelectors(
      placed.map((p) => p.selector),
      target.tags,
      at,
    );
    if (!ok) {
      const i = verdicts.findIndex((v) => !v.ok);
      failing.set(key, { verdict: verdicts[i]!, placed: placed[i]! });
    }
    return ok;
  };
  for (const ns of config.namespaces) {
    const nsSelectors = namespaceSelectors(ns);
    const nsKey = resourceKey('namespaces', ns.name, ns.name);
    if (!judge(nsKey, nsSelectors)) continue;
    selected.add(nsKey);
    const resources = {} as LoadedNamespace['resources'];
    for (const kind of specKinds) {
      const kept: Declared<unknown>[] = [];
      for (const d of ns.resources[kind] as Declared<unknown>[]) {
        const key = resourceKey(kind, ns.name, nameOf(d));
        if (!judge(key, [...nsSelectors, ...selectorsIn(tagsOf(d), d.origin)])) continue;
        selected.add(key);
        kept.push(
          d.spec && tagsOf(d) !== undefined ? { ...d, spec: { ...(d.spec as object), tags: labelsOf(tagsOf(d)) } } : d,
        );
      }
      (resources as Record<string, Declared<unknown>[]>)[kind] = kept;
    }
    const declarations = ns.declarations.map((d) =>
      d.spec.tags !== undefined ? { ...d, spec: { ...d.spec, tags: labelsOf(d.spec.tags) } } : d,
    );
    namespaces.push({ name: ns.name, declarations, resources });
  }
  // Dependencies: a route's service and modules must come along with it.
  for (const ns of namespaces) {
    for (const route of ns.resources.routes) {
      const needs: { kind: NamespacedSpecKind; name: string; path: YamlPath }[] = [];
      if (route.spec.service !== undefined)
        needs.push({ kind: 'services', name: route.spec.service, path: ['service'] });
      // The canary's URLs are compiled into the route's generated split module, which requires
      // the canary module.
      const canary = route.spec.canary;
      if (canary?.service !== undefined)
        needs.push({ kind: 'services', name: canary.service, path: ['canary', 'service'] });
      if (canary?.module !== undefined)
        needs.push({ kind: 'modules', name: canary.module, path: ['canary', 'module'] });
      (route.spec.modules ?? []).forEach((m, i) => {
        needs.push({ kind: 'modules', name: m, path: ['modules', i] });
      });
      for (const need of needs) {
        const key = resourceKey(need.kind, ns.name, need.name);
        const why = failing.get(key);
        if (selected.has(key) || !why) continue; // missing altogether: checkConfig reports that
        diagnostics.push({
          code: 'DG1705',
          severity: 'error',
          message: `route '${ns.name}/${route.spec.name}' needs ${need.kind.slice(0, -1)} '${ns.name}/${need.name}', which target '${target.name}' does not get: selector '${why.verdict.selector}' (${where(why.placed.origin, why.placed.path)}) fails, because ${target.name} ${why.verdict.reason}`,
          location: locationOf(route.origin, need.path),
          hint: `give route '${route.spec.name}' a selector that excludes '${target.name}' too, or let ${need.kind.slice(0, -1)} '${need.name}' go to '${target.name}'`,
        });
      }
    }
  }
  return { config: { ...config, namespaces }, selected, diagnostics };
}

/** Whether any namespace or resource of the config carries a selector tag. */
export function hasSelectors(config: LoadedConfig): boolean {
  for (const ns of config.namespaces) {
    for (const d of ns.declarations) if (d.spec.tags?.some(isSelectorTag)) return true;
    for (const kind of specKinds) {
      for (const d of ns.resources[kind] as Declared<unknown>[]) if (tagsOf(d)?.some(isSelectorTag)) return true;
    }
  }
  return false;
}

function everyResourceKey(config: LoadedConfig): Set<string> {
  const out = new Set<string>();
  for (const ns of config.namespaces) {
    out.add(resourceKey('namespaces', ns.name, ns.name));
    for (const kind of specKinds)
      for (const d of ns.resources[kind] as Declared<unknown>[]) out.add(resourceKey(kind, ns.name, nameOf(d)));
  }
  return out;
}

export function where(origin: Origin, path: YamlPath): string {
  const loc = locationOf(origin, path);
  return `${loc.file}:${loc.line}:${loc.col}`;
}
