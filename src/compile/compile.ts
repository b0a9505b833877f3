import type { Declared, LoadedConfig, Origin } from '../load/assemble.js';
import type { CompileTools } from '../model/kind.js';
import { emptyResources, kindOrder, kinds, sortByIdentity, type AnyResource } from '../model/registry.js';
import type { RouteSpec, SecretSource } from '../schema/generated/config.js';
import type { DesiredState, Resources, SecretRef, StateMetadata } from '../schema/generated/desired-state.js';
import { contentVersion } from '../state/canonical-json.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import type { BundleProvenance } from '../bundles/expand.js';
import { canariesOf, selectForTarget, type Target } from '../select/targets.js';
import { isTimeDependent } from '../select/schedule.js';
import { parseDuration } from '../model/duration.js';
import { resolveFileRef, type FileTable } from './file-refs.js';
import { addCanaries, withCanaryTagWeights } from './canary.js';
import { checkRouteCollisions } from './check-references.js';
import { reportInto } from './check-report.js';
import { isSelectorTag } from '../select/tags.js';

export const desiredStateFormat = 'dgate-cli/desired-state@1';

/**
 * Turns a checked config into the desired state: admin-API bodies with server defaults filled in,
 * sorted by kind and identity, hashed. Call it only when checkConfig found no errors.
 */
export function compileConfig(config: LoadedConfig, files: FileTable, metadata: StateMetadata): DesiredState {
  const resources = compileResources(config, files);
  return { format: desiredStateFormat, version: contentVersion(resources), metadata, resources };
}

/**
 * The desired state of one target at one instant: the resources its tags select, selector tags
 * stripped (they are ours, not DGate's), and, for a declared target, its name, tags and canaries.
 * Diagnostics (a route whose service the target does not get) mean there is no state.
 */
export function compileTarget(
  config: LoadedConfig,
  files: FileTable,
  metadata: StateMetadata,
  target: Target,
  at: number,
  bundles: readonly BundleProvenance[] = [],
): { state?: DesiredState; diagnostics: Diagnostic[] } {
  const selection = selectForTarget(config, target, at);
  if (selection.diagnostics.length > 0) return { diagnostics: selection.diagnostics };
  const collisions = targetRouteCollisions(selection.config, target);
  if (collisions.some((d) => d.severity === 'error')) return { diagnostics: collisions };
  const state = compileConfig(withCanaryTags(selection.config, canariesOf(target)), files, metadata);
  if (target.spec) {
    state.target = {
      name: target.name,
      serverTags: target.spec.tags ?? [],
      canaries: canariesOf(target),
      ...(isTimeDependent(config, target) ? { evaluatedAt: new Date(at).toISOString() } : {}),
    };
  }
  // Which bundle instance produced which of the resources this target gets.
  const present = new Set(
    kindOrder.flatMap((k) =>
      (state.resources[k] as AnyResource[]).map((r) => `${k}:${kinds[k].identity(r).join('/')}`),
    ),
  );
  const produced = bundles
    .map((b) => ({ ...b, resources: b.resources.filter((r) => present.has(r)) }))
    .filter((b) => b.resources.length > 0);
  if (produced.length > 0) state.bundles = produced;
  return { state, diagnostics: collisions };
}

/** The config with the canary weights a target's canary tags give (`canary@5%:auth-v2`). */
function withCanaryTags(config: LoadedConfig, tags: readonly { name: string; percent: number }[]): LoadedConfig {
  if (tags.length === 0) return config;
  return {
    ...config,
    namespaces: config.namespaces.map((ns) => {
      const specs = withCanaryTagWeights(
        ns.resources.routes.map((r) => r.spec),
        tags,
      );
      return {
        ...ns,
        resources: { ...ns.resources, routes: ns.resources.routes.map((r, i) => ({ ...r, spec: specs[i]! })) },
      };
    }),
  };
}

/**
 * Routes that collide in DGate's router on this target, among the pairs with a tag selector
 * (checkConfig reports the others, which every target gets): two routes one target never gets
 * together do not collide.
 */
function targetRouteCollisions(config: LoadedConfig, target: Target): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = reportInto(out);
  const selects = (r: Declared<RouteSpec>) => (r.spec.tags ?? []).some(isSelectorTag);
  for (const ns of config.namespaces) {
    const routes = ns.resources.routes.filter((r) => r.valid);
    if (!routes.some(selects)) continue;
    checkRouteCollisions(ns, routes, report, { name: target.name, pairs: (a, b) => selects(a) || selects(b) });
  }
  return out;
}

export function compileResources(config: LoadedConfig, files: FileTable): Resources {
  const out = emptyResources();
  for (const ns of config.namespaces) {
    const tools: CompileTools = {
      namespace: ns.name,
      fileBytes: (origin, ref) => fileBytes(files, resolveFileRef(origin as Origin, ref).rel),
      secretRef: (origin, source) => secretRef(origin as Origin, source as SecretSource),
      parseDuration,
    };
    for (const kind of kindOrder) {
      const info = kinds[kind];
      const declared =
        info.compiledFrom === 'namespace' ? [{ spec: ns, origin: undefined }] : ns.resources[info.compiledFrom];
      const list = out[kind] as AnyResource[];
      for (const d of declared) list.push(...info.compile(d, tools));
    }
    addCanaries(
      out,
      ns.name,
      ns.resources.routes.map((d) => d.spec),
    );
  }
  for (const kind of kindOrder) sortByIdentity(kind, out[kind] as AnyResource[]);
  return out;
}

function fileBytes(files: FileTable, rel: string | null): Uint8Array {
  const entry = rel ? files.get(rel) : undefined;
  if (entry?.status !== 'ok')
    throw new Error(`compile called with unreadable file ${rel ?? '(outside root)'}: run checkConfig first`);
  return entry.bytes;
}

/** A secret compiles to where its value lives, never to the value. */
function secretRef(origin: Origin, source: SecretSource): SecretRef {
  if (typeof source.fromEnv === 'string') return { fromEnv: source.fromEnv };
  if (typeof source.fromFile === 'string') {
    // An absolute path (allowed under settings.secretFileRoots) stays absolute.
    return {
      fromFile: resolveFileRef(origin, source.fromFile).rel ?? source.fromFile,
      trimTrailingNewline: source.trimTrailingNewline ?? true,
    };
  }
  if (typeof source.encrypted === 'string') return { encrypted: `${source.encrypted.trim()}\n` };
  if (typeof source.fromEncryptedFile === 'string')
    return { fromEncryptedFile: resolveFileRef(origin, source.fromEncryptedFile).rel ?? source.fromEncryptedFile };
  return { inline: true };
}
