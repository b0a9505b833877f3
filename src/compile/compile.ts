import type { LoadedConfig, Origin } from '../load/assemble.js';
import { emptyResources, kindOrder, kinds, sortByIdentity, type AnyResource } from '../model/registry.js';
import type { SecretSource } from '../schema/generated/config.js';
import type { DesiredState, Resources, SecretRef, StateMetadata } from '../schema/generated/desired-state.js';
import { contentVersion } from '../state/canonical-json.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import type { BundleProvenance } from '../bundles/expand.js';
import { canariesOf, isTimeDependent, selectForTarget, type Target } from '../select/targets.js';
import { moduleTypeOf } from './check.js';
import { parseDuration } from './duration.js';
import { resolveFileRef, type FileTable } from './file-refs.js';

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
  const state = compileConfig(selection.config, files, metadata);
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
  return { state, diagnostics: [] };
}

export function compileResources(config: LoadedConfig, files: FileTable): Resources {
  const out = emptyResources();
  for (const ns of config.namespaces) {
    const tags = ns.declarations.find((d) => d.spec.tags !== undefined)?.spec.tags;
    out.namespaces.push(withTags({ name: ns.name }, tags));
    const namespace = ns.name;
    for (const { spec, origin } of ns.resources.secrets) {
      out.secrets.push(
        withTags(
          {
            name: spec.name,
            namespace,
            data: secretRef(origin, spec.value),
            ...(spec.keepVersions ? { keepVersions: spec.keepVersions } : {}),
          },
          spec.tags,
        ),
      );
    }
    for (const { spec, origin } of ns.resources.modules) {
      const bytes =
        typeof spec.file === 'string'
          ? fileBytes(files, resolveFileRef(origin, spec.file).rel)
          : new TextEncoder().encode(spec.source ?? '');
      out.modules.push(
        withTags(
          {
            name: spec.name,
            namespace,
            payload: Buffer.from(bytes).toString('base64'),
            moduleType: moduleTypeOf(spec) ?? 'typescript',
          },
          spec.tags,
        ),
      );
    }
    for (const { spec } of ns.resources.services) {
      const service = {
        name: spec.name,
        namespace,
        urls: spec.urls.map(normalizeUrl),
        retries: spec.retries ?? 3,
        retryTimeout: parseDuration(spec.retryTimeout ?? '0'),
        connectTimeout: parseDuration(spec.connectTimeout ?? '0'),
        requestTimeout: parseDuration(spec.requestTimeout ?? '0'),
        tlsSkipVerify: spec.tlsSkipVerify ?? false,
        http2Only: spec.http2Only ?? false,
        ...(spec.hideDGateHeaders !== undefined ? { hideDGateHeaders: spec.hideDGateHeaders } : {}),
        ...(spec.disableQueryParams !== undefined ? { disableQueryParams: spec.disableQueryParams } : {}),
      };
      out.services.push(withTags(service, spec.tags));
    }
    for (const { spec } of ns.resources.collections) {
      out.collections.push(
        withTags(
          {
            name: spec.name,
            namespace,
            schema: (spec.schema as Record<string, unknown> | undefined) ?? null,
            visibility: spec.visibility ?? 'public',
            type: spec.type ?? 'document',
          },
          spec.tags,
        ),
      );
      for (const doc of spec.documents ?? []) {
        out.documents.push({ id: doc.id, namespace, collection: spec.name, data: doc.data });
      }
    }
    for (const { spec, origin } of ns.resources.domains) {
      const cert =
        spec.cert === undefined
          ? undefined
          : typeof spec.cert === 'string'
            ? spec.cert
            : new TextDecoder().decode(fileBytes(files, resolveFileRef(origin, spec.cert.file).rel));
      out.domains.push(
        withTags(
          {
            name: spec.name,
            namespace,
            patterns: spec.patterns,
            priority: spec.priority ?? 0,
            ...(cert !== undefined ? { cert } : {}),
            ...(spec.key ? { key: secretRef(origin, spec.key) } : {}),
          },
          spec.tags,
        ),
      );
    }
    for (const { spec } of ns.resources.routes) {
      // DGate stores a route's modules sorted and de-duplicated; say so here, so that equal is equal.
      const modules = [...new Set(spec.modules ?? [])].sort();
      out.routes.push(
        withTags(
          {
            name: spec.name,
            namespace,
            paths: spec.paths,
            methods: spec.methods,
            preserveHost: spec.preserveHost ?? false,
            stripPath: spec.stripPath ?? false,
            ...(spec.service !== undefined ? { service: spec.service } : {}),
            ...(modules.length > 0 ? { modules: modules as [string, ...string[]] } : {}),
          },
          spec.tags,
        ),
      );
    }
  }
  for (const kind of kindOrder) sortByIdentity(kind, out[kind] as AnyResource[]);
  return out;
}

/** Empty tag lists are omitted: DGate drops them too, and equal must mean equal. */
function withTags<T extends object>(resource: T, tags: string[] | undefined): T & { tags?: [string, ...string[]] } {
  return tags && tags.length > 0 ? { ...resource, tags: tags as [string, ...string[]] } : resource;
}

function fileBytes(files: FileTable, rel: string | null): Uint8Array {
  const entry = rel ? files.get(rel) : undefined;
  if (entry?.status !== 'ok')
    throw new Error(`compile called with unreadable file ${rel ?? '(outside root)'}: run checkConfig first`);
  return entry.bytes;
}

/** Go's url.String() lower-cases the scheme; doing the same keeps plans free of spurious changes. */
export function normalizeUrl(url: string): string {
  return url.replace(/^[A-Za-z][A-Za-z0-9+.-]*:/, (scheme) => scheme.toLowerCase());
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
