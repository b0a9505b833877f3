import type {
  CollectionSpec,
  ConfigFile,
  DomainSpec,
  ModuleSpec,
  NamespaceSpec,
  RouteSpec,
  SecretSpec,
  ServiceSpec,
  TargetSpec,
  BundleUse,
} from '../schema/generated/config.js';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
import { specKinds, type SpecKey } from '../model/registry.js';
import { checkConfigSchema } from './check-schema.js';
import { isPklSource } from './parse-pkl.js';
import { locate, parseYamlSource, type ConfigSource, type ParsedDocument, type YamlPath } from './parse-yaml.js';

/** Where a piece of config was written: a document and the path to the node inside it. */
export interface Origin {
  doc: ParsedDocument;
  path: YamlPath;
}

/** A resource as the user wrote it, with its origin. `valid` is false when it broke the schema. */
export interface Declared<T> {
  spec: T;
  origin: Origin;
  valid: boolean;
}

/** The resource kinds that live inside a namespace declaration, as the config file spells them. */
export type NamespacedSpecKind = SpecKey;

export interface NamespacedSpecs {
  secrets: SecretSpec;
  modules: ModuleSpec;
  services: ServiceSpec;
  collections: CollectionSpec;
  domains: DomainSpec;
  routes: RouteSpec;
}

/** One namespace, merged from every file that declares it. */
export interface LoadedNamespace {
  name: string;
  declarations: Declared<NamespaceSpec>[];
  resources: { [K in NamespacedSpecKind]: Declared<NamespacedSpecs[K]>[] };
}

/** A whole config: every file parsed and merged, in a deterministic order. */
export interface LoadedConfig {
  documents: ParsedDocument[];
  namespaces: LoadedNamespace[];
  /** The targets every file declares, in file order (names are checked unique later). */
  targets: Declared<TargetSpec>[];
  /** The bundle instances every file uses, in file order. */
  bundles: Declared<BundleUse>[];
}

export function locationOf(origin: Origin, sub: YamlPath = [], opts: { key?: boolean } = {}): Location {
  return locate(origin.doc, [...origin.path, ...sub], opts);
}

/**
 * Parses, schema-checks and merges config sources. Sources are taken in path order, so the
 * result does not depend on the order the file system lists them in. `evaluated` holds what was
 * parsed already, by `rel`: the documents Pkl modules evaluated to, and YAML files parsed early
 * for their Pkl settings.
 */
export function loadConfig(
  sources: readonly ConfigSource[],
  evaluated: ReadonlyMap<string, { documents: ParsedDocument[]; diagnostics: Diagnostic[] }> = new Map(),
): { config: LoadedConfig; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const byName = new Map<string, LoadedNamespace>();
  const targets: Declared<TargetSpec>[] = [];
  const bundles: Declared<BundleUse>[] = [];
  const ordered = [...sources].sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  for (const source of ordered) {
    // Pkl modules arrive evaluated (by rel); a *.pkl file not among them is a library that
    // modules import, not a config file of its own.
    const parsed =
      evaluated.get(source.rel) ?? (isPklSource(source) ? { documents: [], diagnostics: [] } : parseYamlSource(source));
    diagnostics.push(...parsed.diagnostics);
    for (const doc of parsed.documents) {
      documents.push(doc);
      const schema = checkConfigSchema(doc);
      diagnostics.push(...schema.diagnostics);
      mergeDocument(doc, schema.errorPaths, byName);
      collectTargets(doc, schema.errorPaths, targets);
      collectList(doc, 'bundles', schema.errorPaths, bundles);
    }
  }
  const namespaces = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { config: { documents, namespaces, targets, bundles }, diagnostics };
}

function startsWith(path: YamlPath, prefix: YamlPath): boolean {
  return prefix.length <= path.length && prefix.every((seg, i) => path[i] === seg);
}

function collectTargets(doc: ParsedDocument, errorPaths: YamlPath[], into: Declared<TargetSpec>[]): void {
  const list = (doc.value as Partial<ConfigFile> | null)?.targets;
  if (!Array.isArray(list)) return;
  list.forEach((item, i) => {
    if (!item || typeof item !== 'object') return;
    const path: YamlPath = ['targets', i];
    into.push({ spec: item, origin: { doc, path }, valid: !errorPaths.some((e) => startsWith(e, path)) });
  });
}

function collectList<T>(doc: ParsedDocument, key: 'bundles', errorPaths: YamlPath[], into: Declared<T>[]): void {
  const list = (doc.value as Record<string, unknown> | null)?.[key];
  if (!Array.isArray(list)) return;
  list.forEach((item, i) => {
    if (!item || typeof item !== 'object') return;
    const path: YamlPath = [key, i];
    into.push({ spec: item as T, origin: { doc, path }, valid: !errorPaths.some((e) => startsWith(e, path)) });
  });
}

function mergeDocument(doc: ParsedDocument, errorPaths: YamlPath[], byName: Map<string, LoadedNamespace>): void {
  const broken = (path: YamlPath) => errorPaths.some((e) => startsWith(e, path));
  const brokenAt = (path: YamlPath) => errorPaths.some((e) => e.length === path.length && startsWith(e, path));
  const file = doc.value as Partial<ConfigFile> | null;
  if (!file || typeof file !== 'object' || !Array.isArray(file.namespaces)) return;
  file.namespaces.forEach((ns, i) => {
    if (!ns || typeof ns !== 'object' || typeof ns.name !== 'string') return;
    const nsPath: YamlPath = ['namespaces', i];
    let loaded = byName.get(ns.name);
    if (!loaded) {
      loaded = {
        name: ns.name,
        declarations: [],
        resources: { secrets: [], modules: [], services: [], collections: [], domains: [], routes: [] },
      };
      byName.set(ns.name, loaded);
    }
    // The namespace's own fields: its name, its tags, and the mapping itself (unknown or missing fields).
    const ownValid = !broken([...nsPath, 'name']) && !broken([...nsPath, 'tags']) && !brokenAt(nsPath);
    loaded.declarations.push({ spec: ns, origin: { doc, path: nsPath }, valid: ownValid });
    for (const kind of specKinds) {
      const list = (ns as unknown as Record<string, unknown>)[kind];
      if (!Array.isArray(list)) continue;
      list.forEach((item, j) => {
        if (!item || typeof item !== 'object') return;
        const path: YamlPath = [...nsPath, kind, j];
        (loaded.resources[kind] as Declared<unknown>[]).push({
          spec: item,
          origin: { doc, path },
          valid: !broken(path),
        });
      });
    }
  });
}

/**
 * The settings of a whole config: a setting made in any file applies to all; lists from
 * several files are joined, and a flag set in any file is set.
 */
export function configSettings(config: LoadedConfig): NonNullable<ConfigFile['settings']> {
  const out: NonNullable<ConfigFile['settings']> = {};
  for (const doc of config.documents) {
    const settings = (doc.value as Partial<ConfigFile> | null)?.settings;
    if (!settings || typeof settings !== 'object') continue;
    if (settings.allowPlaintextSecrets === true) out.allowPlaintextSecrets = true;
    for (const key of ['ageRecipients', 'secretFileRoots'] as const) {
      const list = settings[key];
      if (Array.isArray(list))
        out[key] = [...new Set([...(out[key] ?? []), ...list.filter((v): v is string => typeof v === 'string')])];
    }
  }
  return out;
}
