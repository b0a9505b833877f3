import { specKinds } from '../model/registry.js';
import type { Ajv2020, ErrorObject } from 'ajv/dist/2020.js';
import { compileUserSchema, userSchemaAjv } from '../schema/user-schema.js';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
import {
  locationOf,
  type Declared,
  type LoadedConfig,
  type LoadedNamespace,
  type NamespacedSpecKind,
  type Origin,
} from '../load/assemble.js';
import { checkConfigSchema, pointerToPath } from '../load/check-schema.js';
import type { ParsedDocument, YamlPath } from '../load/parse-yaml.js';
import type { BundleManifest, BundleUse } from '../schema/generated/config.js';

/** A bundle as read from its source: manifest, resource files and module sources, all as data. */
export interface BundleContent {
  manifest: BundleManifest;
  manifestDoc: ParsedDocument;
  resourceDocs: ParsedDocument[];
  /** Files beside bundle.yaml, by path relative to the bundle directory (module sources). */
  files: ReadonlyMap<string, Uint8Array>;
}

/** One `bundles:` entry of the config, with the content its lock entry resolved to. */
export interface BundleInstance {
  use: Declared<BundleUse>;
  content: BundleContent;
}

/** Which bundle instance produced a resource (`kind:namespace/name`). */
export interface BundleProvenance {
  instance: string;
  bundle: string;
  version: string;
  namespace: string;
  resources: string[];
}

let parameterAjv: Ajv2020 | undefined;

/** The validator of bundle parameters, made on first use: a config without bundles never pays for it. */
function parameterValidator(): Ajv2020 {
  if (!parameterAjv) {
    parameterAjv = userSchemaAjv({ allErrors: true, strict: false, useDefaults: true });
    parameterAjv.addKeyword({ keyword: 'sensitive', schemaType: 'boolean' });
  }
  return parameterAjv;
}

/** The parameters a bundle marks `sensitive: true`: secret slots. */
export function sensitiveParameters(manifest: BundleManifest): Set<string> {
  const props =
    (manifest.parameters as { properties?: Record<string, { sensitive?: unknown }> } | undefined)?.properties ?? {};
  return new Set(
    Object.entries(props)
      .filter(([, p]) => p?.sensitive === true)
      .map(([name]) => name),
  );
}

function isParamRef(v: unknown): v is { param: string } {
  return (
    !!v &&
    typeof v === 'object' &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { param?: unknown }).param === 'string'
  );
}

/**
 * Adds every bundle instance's resources to the config: parameters checked against the bundle's
 * schema (defaults filled in), `{ param: NAME }` values replaced by the parameter's value (typed:
 * the whole value, never text inside a string), names prefixed with the instance name and the
 * bundle's own references rewritten to match, and module sources given their parameters through
 * one generated line, `const PARAMS = Object.freeze({...}), NAMES = Object.freeze({...});`:
 * the non-sensitive parameters, and each resource's name in this instance (for a module that
 * reads its bundle's collection, say).
 * A sensitive parameter can only fill a secret's value or a domain's key. Pure.
 */
export function expandBundles(
  config: LoadedConfig,
  instances: readonly BundleInstance[],
): { config: LoadedConfig; diagnostics: Diagnostic[]; provenance: BundleProvenance[] } {
  const diagnostics: Diagnostic[] = [];
  const provenance: BundleProvenance[] = [];
  const namespaces = new Map(
    config.namespaces.map((n) => [n.name, { ...n, declarations: [...n.declarations], resources: cloneResources(n) }]),
  );
  const documents = [...config.documents];
  for (const instance of instances) {
    const { use, content } = instance;
    const label = `bundle ${content.manifest.name}@${content.manifest.version} (instance '${use.spec.as}')`;
    const report = (code: Diagnostic['code'], location: Location, message: string, hint: string) =>
      diagnostics.push({ code, severity: 'error', message: `${label}: ${message}`, location, hint });
    // Parameters, against the bundle's schema, located at the config's `with`.
    const params: Record<string, unknown> = structuredClone(use.spec.with ?? {});
    const sensitive = sensitiveParameters(content.manifest);
    const validate = compileUserSchema(parameterValidator(), content.manifest.parameters ?? { type: 'object' });
    if (!validate(params)) {
      for (const e of validate.errors ?? [])
        report(
          'DG1804',
          locationOf(use.origin, ['with', ...pointerToPath(e.instancePath)]),
          describeParamError(e),
          "see the parameters in the bundle's bundle.yaml (or `dgate-cli bundle docs`)",
        );
      continue;
    }
    let slotsOk = true;
    for (const name of sensitive) {
      if (params[name] === undefined) continue;
      const source = checkConfigSchema({ ...use.origin.doc, value: params[name] }, 'SecretSource');
      if (source.diagnostics.length > 0) {
        slotsOk = false;
        report(
          'DG1806',
          locationOf(use.origin, ['with', name]),
          `parameter '${name}' is a secret slot and takes a secret source`,
          'give it { fromEnv: NAME }, { fromFile: path }, { encrypted: ... } or { fromEncryptedFile: path }, never the value itself',
        );
      }
    }
    if (!slotsOk) continue;
    documents.push(content.manifestDoc, ...content.resourceDocs);
    let ns = namespaces.get(use.spec.namespace);
    if (!ns) {
      ns = {
        name: use.spec.namespace,
        declarations: [],
        resources: { secrets: [], modules: [], services: [], collections: [], domains: [], routes: [] },
      };
      namespaces.set(ns.name, ns);
    }
    const prefix = `${use.spec.as}-`;
    const record: BundleProvenance = {
      instance: use.spec.as,
      bundle: content.manifest.name,
      version: content.manifest.version,
      namespace: ns.name,
      resources: [],
    };
    const plainParams = Object.fromEntries(Object.entries(params).filter(([k]) => !sensitive.has(k)));
    // Every name the bundle gives a resource, and the name it has in this instance.
    const names: Record<string, string> = {};
    for (const doc of content.resourceDocs) {
      for (const kind of specKinds) {
        const list = (doc.value as Record<string, unknown>)[kind];
        if (Array.isArray(list))
          for (const item of list)
            if (typeof (item as { name?: unknown })?.name === 'string')
              names[(item as { name: string }).name] = `${prefix}${(item as { name: string }).name}`;
      }
    }
    for (const doc of content.resourceDocs) {
      const resolve = (ref: { param: string }, path: YamlPath): unknown => {
        if (!(ref.param in params)) {
          if (!declaredParam(content.manifest, ref.param))
            report(
              'DG1805',
              locationOf({ doc, path: [] }, path),
              `'${spelledParam(doc, ref.param)}' names no parameter of the bundle`,
              `declare '${ref.param}' under parameters in ${content.manifestDoc.source.rel}, or fix the name`,
            );
          return undefined;
        }
        const secretSlot =
          path.length === 3 &&
          ((path[0] === 'secrets' && path[2] === 'value') || (path[0] === 'domains' && path[2] === 'key'));
        if (sensitive.has(ref.param) && !secretSlot) {
          report(
            'DG1806',
            locationOf({ doc, path: [] }, path),
            `sensitive parameter '${ref.param}' may only fill a secret's value or a domain's key`,
            'keep secret slots out of other fields: modules cannot read them, and anything else is stored in plain text',
          );
          return undefined;
        }
        return params[ref.param];
      };
      const file = substitute(doc.value, [], resolve) as Record<string, unknown>;
      // The file as the parameters made it, checked against the schema, located in the bundle's file.
      const schema = checkConfigSchema({ ...doc, value: file }, 'BundleResources');
      for (const d of schema.diagnostics) diagnostics.push({ ...d, message: `${label}: ${d.message}` });
      const written = doc.value as Record<string, unknown>;
      for (const kind of specKinds) {
        const list = file[kind];
        if (!Array.isArray(list)) continue;
        list.forEach((item, i) => {
          if (!item || typeof item !== 'object') return;
          const origin: Origin = { doc, path: [kind, i] };
          const valid =
            !schema.errorPaths.some((e) => e.length >= 2 && e[0] === kind && e[1] === i) &&
            !schema.errorPaths.some((e) => e.length === 0);
          const spec = renamed(
            kind,
            item as Record<string, unknown>,
            ((written[kind] as unknown[])[i] ?? {}) as Record<string, unknown>,
            prefix,
          );
          if (kind === 'modules' && valid)
            withPrelude(spec, content, doc, plainParams, names, (path, message) =>
              report('DG1807', locationOf(origin, path), message, 'name a file inside the bundle directory'),
            );
          (ns!.resources[kind] as Declared<unknown>[]).push({ spec, origin, valid });
          record.resources.push(`${kind}:${ns!.name}/${String(spec.name)}`);
        });
      }
    }
    if (ns.declarations.length === 0)
      ns.declarations.push({ spec: { name: ns.name }, origin: use.origin, valid: true });
    provenance.push(record);
  }
  const merged = [...namespaces.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { config: { ...config, documents, namespaces: merged }, diagnostics, provenance };
}

function cloneResources(ns: LoadedNamespace): LoadedNamespace['resources'] {
  return Object.fromEntries(specKinds.map((k) => [k, [...ns.resources[k]]])) as unknown as LoadedNamespace['resources'];
}

/** A parameter reference as the bundle's author wrote it: YAML or Pkl. */
export function spelledParam(doc: ParsedDocument, name: string): string {
  return doc.source.rel.endsWith('.pkl') ? `module.param("${name}")` : `{ param: ${name} }`;
}

function declaredParam(manifest: BundleManifest, name: string): boolean {
  return name in ((manifest.parameters as { properties?: object } | undefined)?.properties ?? {});
}

function describeParamError(e: ErrorObject): string {
  const where = e.instancePath ? `parameter '${pointerToPath(e.instancePath).join('.')}'` : 'the parameters';
  if (e.keyword === 'required')
    return `${where}: '${(e.params as { missingProperty: string }).missingProperty}' is required`;
  if (e.keyword === 'additionalProperties')
    return `${where}: '${(e.params as { additionalProperty: string }).additionalProperty}' is not a parameter of this bundle`;
  if (e.keyword === 'enum')
    return `${where} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where} ${e.message ?? 'is not valid'}`;
}

/** Replaces every `{ param: NAME }` with what `resolve` gives (undefined: leave the field out). */
function substitute(
  value: unknown,
  path: YamlPath,
  resolve: (ref: { param: string }, path: YamlPath) => unknown,
): unknown {
  if (isParamRef(value)) return structuredClone(resolve(value, path));
  if (Array.isArray(value))
    return value.map((v, i) => substitute(v, [...path, i], resolve)).filter((v) => v !== undefined);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const s = substitute(v, [...path, k], resolve);
      if (s !== undefined) out[k] = s;
    }
    return out;
  }
  return value;
}

/**
 * Prefixes the resource's name, and the names it references inside the bundle: a route's service
 * and modules when the bundle wrote them literally. A name that came from a parameter refers to
 * the user's own resources and is kept as given.
 */
function renamed(
  kind: NamespacedSpecKind,
  spec: Record<string, unknown>,
  written: Record<string, unknown>,
  prefix: string,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...spec, name: `${prefix}${String(spec.name)}` };
  if (kind === 'routes') {
    if (typeof written.service === 'string') out.service = `${prefix}${written.service}`;
    if (Array.isArray(written.modules)) {
      out.modules = written.modules.flatMap((m, i) =>
        typeof m === 'string'
          ? [`${prefix}${m}`]
          : isParamRef(m)
            ? [(spec.modules as unknown[] | undefined)?.[i]].flat()
            : [],
      );
    }
  }
  return out;
}

/** A bundle module's source: the generated PARAMS and NAMES line, then the file's text. */
function withPrelude(
  spec: Record<string, unknown>,
  content: BundleContent,
  doc: ParsedDocument,
  params: Record<string, unknown>,
  names: Record<string, string>,
  fail: (path: YamlPath, message: string) => void,
): void {
  let text: string;
  if (typeof spec.file === 'string') {
    const dir = doc.source.rel.includes('/') ? doc.source.rel.slice(0, doc.source.rel.lastIndexOf('/') + 1) : '';
    const bytes = content.files.get(`${dir}${spec.file}`.replace(/^\.\//, ''));
    if (!bytes) {
      fail(['file'], `module file '${spec.file}' is not in the bundle`);
      return;
    }
    text = new TextDecoder().decode(bytes);
    if (!spec.type) spec.type = /\.js$/.test(spec.file) ? 'javascript' : 'typescript';
    delete spec.file;
  } else {
    text = String(spec.source ?? '');
  }
  // One line, so that line numbers in DGate's errors are the file's plus one.
  spec.source = `const PARAMS = Object.freeze(${JSON.stringify(params)}), NAMES = Object.freeze(${JSON.stringify(names)});\n${text}`;
}
