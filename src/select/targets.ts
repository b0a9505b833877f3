import { specKinds } from '../model/registry.js';
import { hasCredentials } from '../model/admin-url.js';
import type { Code } from '../errors/codes.js';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
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
import { changeInstants, evaluateSelectors, type Verdict } from './evaluate.js';
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

/** A selector as written, with where it was written (for messages). */
interface PlacedSelector {
  selector: Selector;
  origin: Origin;
  path: YamlPath;
}

function selectorsIn(tags: readonly string[] | undefined, origin: Origin): PlacedSelector[] {
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

function namespaceSelectors(ns: LoadedNamespace): PlacedSelector[] {
  // checkNamespaceTags makes every declaration that sets tags set the same ones.
  const declared = ns.declarations.find((d) => d.spec.tags !== undefined);
  return declared ? selectorsIn(declared.spec.tags, declared.origin) : [];
}

function tagsOf(d: Declared<unknown>): string[] | undefined {
  return (d.spec as { tags?: string[] }).tags;
}

function nameOf(d: Declared<unknown>): string {
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

function where(origin: Origin, path: YamlPath): string {
  const loc = locationOf(origin, path);
  return `${loc.file}:${loc.line}:${loc.col}`;
}

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

export interface Explanation {
  target: string;
  selected: boolean;
  /** The namespace's selectors, then the resource's own, each with its verdict and where it was written. */
  verdicts: (Verdict & { scope: 'namespace' | 'resource'; location: Location })[];
}

/** Why a resource is or is not selected for a target, selector by selector. */
export function explainSelection(
  ns: LoadedNamespace,
  resource: Declared<unknown> | null,
  target: Target,
  at: number,
): Explanation {
  const placed = [
    ...namespaceSelectors(ns).map((p) => ({ p, scope: 'namespace' as const })),
    ...(resource ? selectorsIn(tagsOf(resource), resource.origin).map((p) => ({ p, scope: 'resource' as const })) : []),
  ];
  const { selected, verdicts } = evaluateSelectors(
    placed.map((x) => x.p.selector),
    target.tags,
    at,
  );
  return {
    target: target.name,
    selected,
    verdicts: verdicts.map((v, i) => ({
      ...v,
      scope: placed[i]!.scope,
      location: locationOf(placed[i]!.p.origin, placed[i]!.p.path),
    })),
  };
}

/**
 * The checks of targets and tags that need no cluster: selector and server-tag syntax (located
 * at the character that is wrong), unique target names, canaries naming a module or route, and
 * (when those pass) that no target gets a route without its service or modules, now or at any
 * instant a time tag is scheduled for. Pass `now` null to skip that last check, which needs a
 * config free of other errors.
 */
export function checkTargets(config: LoadedConfig, now: number | null): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (
    code: Code,
    origin: Origin,
    path: YamlPath,
    message: string,
    hint: string,
    opts: { offset?: number; warning?: boolean } = {},
  ) => {
    diagnostics.push({
      code,
      severity: opts.warning ? 'warning' : 'error',
      message,
      hint,
      location: tagLocation(origin, path, opts.offset),
    });
  };
  let selectorCount = 0;
  const checkTags = (tags: readonly string[] | undefined, origin: Origin) => {
    (tags ?? []).forEach((text, i) => {
      if (!isSelectorTag(text)) return;
      selectorCount++;
      const parsed = parseSelector(text);
      if (!parsed.ok) {
        report(
          'DG1701',
          origin,
          ['tags', i],
          `tag selector '${text}' is not valid: ${parsed.error.message}`,
          selectorHint,
          { offset: parsed.error.offset },
        );
      }
    });
  };
  for (const ns of config.namespaces) {
    for (const d of ns.declarations) if (d.valid) checkTags(d.spec.tags, d.origin);
    for (const kind of specKinds) {
      for (const d of ns.resources[kind] as Declared<unknown>[]) if (d.valid) checkTags(tagsOf(d), d.origin);
    }
  }
  const names = new Map<string, Origin>();
  const canaryTargets = new Set<string>();
  for (const t of config.targets) {
    if (!t.valid) continue;
    const first = names.get(t.spec.name);
    if (first) {
      report(
        'DG1702',
        t.origin,
        ['name'],
        `target '${t.spec.name}' is declared twice (first at ${where(first, ['name'])})`,
        'give each target its own name, or remove one',
      );
    } else {
      names.set(t.spec.name, t.origin);
    }
    t.spec.admin.forEach((url, i) => {
      // The URL itself is not shown: the point is that its password appears nowhere.
      if (hasCredentials(url))
        report(
          'DG1711',
          t.origin,
          ['admin', i],
          `admin URL ${i + 1} of target '${t.spec.name}' has credentials written into it, which dgate-cli does not send`,
          "write the URL without them, and name the environment variables that hold them in the target's auth: { userEnv, passwordEnv } or { keyEnv }",
        );
    });
    (t.spec.tags ?? []).forEach((text, i) => {
      const parsed = parseServerTag(text);
      if (!parsed.ok) {
        report(
          'DG1703',
          t.origin,
          ['tags', i],
          `server tag '${text}' of target '${t.spec.name}' is not valid: ${parsed.error.message}`,
          serverTagHint,
          { offset: parsed.error.offset },
        );
        return;
      }
      if (parsed.value.kind === 'canary') {
        const name = parsed.value.name;
        canaryTargets.add(name);
        const exists = config.namespaces.some(
          (ns) =>
            ns.resources.modules.some((m) => m.spec.name === name) ||
            ns.resources.routes.some((r) => r.spec.name === name),
        );
        if (!exists) {
          report(
            'DG1704',
            t.origin,
            ['tags', i],
            `canary tag '${text}' of target '${t.spec.name}' names '${name}', which is neither a module nor a route of this config`,
            'name a module or route the config declares, or remove the canary tag',
          );
        }
      }
    });
  }
  if (now !== null && selectorCount > 0 && !diagnostics.some((d) => d.severity === 'error')) {
    const seen = new Set<string>();
    for (const target of targetsOf(config)) {
      for (const instant of [now, ...scheduledInstants(config, target, now)]) {
        for (const d of selectForTarget(config, target, instant).diagnostics) {
          const key = `${d.location?.file}:${d.location?.line}:${d.location?.col}:${target.name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          diagnostics.push(
            instant === now ? d : { ...d, message: `from ${new Date(instant).toISOString()}, ${d.message}` },
          );
        }
      }
    }
  }
  if (selectorCount > 0 && config.targets.length === 0) {
    const first = firstSelector(config);
    if (first) {
      report(
        'DG1706',
        first.origin,
        first.path,
        `this config uses tag selectors but declares no targets: every selector is judged against a cluster without tags`,
        'declare the clusters under `targets:` with their server tags (see docs/targets.md)',
        { warning: true },
      );
    }
  }
  return diagnostics;
}

function firstSelector(config: LoadedConfig): { origin: Origin; path: YamlPath } | undefined {
  for (const ns of config.namespaces) {
    for (const d of [...ns.declarations, ...specKinds.flatMap((k) => ns.resources[k] as Declared<unknown>[])]) {
      const i = (tagsOf(d) ?? []).findIndex(isSelectorTag);
      if (i >= 0) return { origin: d.origin, path: ['tags', i] };
    }
  }
  return undefined;
}

const selectorHint =
  "selectors are #name:value (must have), !name:value (must not have), ?name:a,b (any of), ?*name:a,b (exactly one of), optionally after @(2026-12-01T00:00:00Z); names and values use letters, digits, '_', '-' and '.'";
const serverTagHint =
  "server tags are name:value or value, canary@5%:NAME, or @(2026-12-01T00:00:00Z)#name:value; names and values use letters, digits, '_', '-' and '.'";

/** The location of a character inside a tag: the tag's own location, moved past an opening quote. */
function tagLocation(origin: Origin, path: YamlPath, offset: number | undefined): Location {
  const loc = locationOf(origin, path);
  if (offset === undefined) return loc;
  const line = origin.doc.source.text.split('\n')[loc.line - 1] ?? '';
  const quoted = line[loc.col - 1] === '"' || line[loc.col - 1] === "'" ? 1 : 0;
  return { ...loc, col: loc.col + quoted + offset };
}
