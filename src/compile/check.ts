import path from 'node:path';
import { Script } from 'node:vm';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { canonicalJson } from '../state/canonical-json.js';
import type { Code } from '../errors/codes.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import { closestMatch } from '../errors/suggest.js';
import {
  configSettings,
  locationOf,
  type Declared,
  type LoadedConfig,
  type LoadedNamespace,
  type Origin,
} from '../load/assemble.js';
import { pointerToPath } from '../load/check-schema.js';
import type { YamlPath } from '../load/parse-yaml.js';
import { moduleTypeOf } from '../model/kinds/modules.js';
import { secretHashTagPrefix } from '../model/kinds/secrets.js';
import { labelOf } from '../model/kinds/shared.js';
import type { KindKey } from '../model/kind.js';
import { kinds, specKinds, systemNamespace } from '../model/registry.js';
import { tombstoneTag } from '../model/tombstones.js';
import { isSelectorTag } from '../select/tags.js';
import type {
  CollectionSpec,
  DomainSpec,
  ModuleSpec,
  RouteSpec,
  SecretSource,
  ServiceSpec,
} from '../schema/generated/config.js';
import { resolveFileRef, type FileTable } from './file-refs.js';

type Report = (
  code: Code,
  origin: Origin,
  sub: YamlPath,
  message: string,
  hint: string,
  opts?: { key?: boolean; warning?: boolean },
) => void;

/**
 * The checks that need more than one file at a time or knowledge of DGate: references,
 * duplicates, module files, collection schemas and documents, and the rules DGate only enforces
 * when a write is applied (where a failure wedges the node, so we must catch them first).
 */
/** age's armor decoder (`armor.decode` of age-encryption), given by the caller: see usesEncryptedValues. */
export type ArmorDecoder = (text: string) => Uint8Array;

/**
 * Whether any secret source of the config is an `encrypted:` value, whose armor checkConfig
 * decodes. Loading age-encryption costs about 140 ms, so callers load it only then.
 */
export function usesEncryptedValues(config: LoadedConfig): boolean {
  return config.namespaces.some(
    (ns) =>
      ns.resources.secrets.some((s) => typeof s.spec.value?.encrypted === 'string') ||
      ns.resources.domains.some((d) => typeof d.spec.key?.encrypted === 'string'),
  );
}

export function checkConfig(config: LoadedConfig, files: FileTable, decodeArmor?: ArmorDecoder): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report: Report = (code, origin, sub, message, hint, opts = {}) => {
    diagnostics.push({
      code,
      severity: opts.warning ? 'warning' : 'error',
      message,
      hint,
      location: locationOf(origin, sub, { key: opts.key }),
    });
  };
  const documentValidators = new DocumentValidators();
  const settings = configSettings(config);
  const secrets: SecretRules = {
    plaintextAllowed: settings.allowPlaintextSecrets === true,
    fileRoots: settings.secretFileRoots ?? [],
    files,
    decodeArmor,
  };
  for (const ns of config.namespaces) {
    if (ns.name === systemNamespace) {
      for (const d of ns.declarations)
        report(
          'DG1118',
          d.origin,
          ['name'],
          `namespace '${systemNamespace}' is reserved for dgate-cli's apply lock and release history`,
          'give the namespace another name',
        );
    }
    checkDuplicates(ns, report);
    checkNamespaceTags(ns, report);
    checkNamesAndTags(ns, report);
    const valid = <T>(list: Declared<T>[]) => list.filter((d) => d.valid);
    for (const route of valid(ns.resources.routes)) checkRoute(ns, route, report);
    for (const service of valid(ns.resources.services)) checkService(ns, service, report);
    for (const module of valid(ns.resources.modules)) checkModule(ns, module, files, report);
    for (const domain of valid(ns.resources.domains)) checkDomain(ns, domain, files, secrets, report);
    for (const collection of valid(ns.resources.collections))
      checkCollection(ns, collection, documentValidators, report);
    checkSecretVersionNames(ns, report);
    for (const secret of valid(ns.resources.secrets))
      checkSecretSource(
        secret.origin,
        ['value'],
        secret.spec.value,
        `secret '${ns.name}/${secret.spec.name}'`,
        secrets,
        report,
      );
  }
  return diagnostics;
}

function where(origin: Origin): string {
  const loc = locationOf(origin);
  return `${loc.file}:${loc.line}:${loc.col}`;
}

function checkDuplicates(ns: LoadedNamespace, report: Report): void {
  for (const kind of specKinds) {
    const first = new Map<string, Declared<unknown>>();
    for (const item of ns.resources[kind] as Declared<{ name?: unknown }>[]) {
      if (typeof item.spec.name !== 'string') continue;
      const earlier = first.get(item.spec.name);
      if (earlier) {
        report(
          'DG1101',
          item.origin,
          ['name'],
          `${kinds[kind].singular} '${item.spec.name}' is defined twice in namespace '${ns.name}' (first at ${where(earlier.origin)})`,
          'remove one definition or rename one of them',
        );
      } else {
        first.set(item.spec.name, item);
      }
    }
  }
  for (const collection of ns.resources.collections) {
    const ids = new Map<string, Origin>();
    (collection.spec.documents ?? []).forEach((doc, i) => {
      if (!doc || typeof doc.id !== 'string') return;
      const origin: Origin = { doc: collection.origin.doc, path: [...collection.origin.path, 'documents', i] };
      const earlier = ids.get(doc.id);
      if (earlier) {
        report(
          'DG1101',
          origin,
          ['id'],
          `document '${doc.id}' is defined twice in collection '${ns.name}/${collection.spec.name}' (first at ${where(earlier)})`,
          'give each document its own id',
        );
      } else {
        ids.set(doc.id, origin);
      }
    });
  }
}

function checkNamespaceTags(ns: LoadedNamespace, report: Report): void {
  const tagged = ns.declarations.filter((d) => d.valid && d.spec.tags !== undefined);
  const first = tagged[0];
  for (const other of tagged.slice(1)) {
    if (JSON.stringify(other.spec.tags) !== JSON.stringify(first!.spec.tags)) {
      report(
        'DG1102',
        other.origin,
        ['tags'],
        `namespace '${ns.name}' has different tags here than at ${where(first!.origin)}`,
        'set the namespace tags in one file only, or make them identical',
        { key: true },
      );
    }
  }
}

/**
 * DGate takes any name, and refuses only an empty one for a namespace, route, domain or collection
 * ("name is required") and a document id with a '/' (the id is a path segment); those are errors.
 * Everything else it stores, so the rest are warnings: a dump of a running cluster must validate.
 * test/server/dgate-acceptance.test.ts shows both sides on a real server.
 */
const kindsThatNeedAName = new Set<string>(['namespaces', 'routes', 'domains', 'collections']);

/** Letters, digits, '.', '_' and '-': what every tool and file system takes as a name. */
const safeName = /^[A-Za-z0-9._-]+$/;

/** `label` says what the name is ('route name', 'document id'), `place` where (" in namespace 'shop'"). */
function checkName(
  origin: Origin,
  sub: YamlPath,
  name: string,
  label: string,
  place: string,
  needsOne: boolean,
  report: Report,
): void {
  if (name === '') {
    report(
      'DG1011',
      origin,
      sub,
      `${label}${place} is empty`,
      needsOne
        ? 'DGate refuses it ("name is required"): give it a name'
        : 'DGate stores it, but a resource without a name is hard to tell apart or refer to: give it one',
      { warning: !needsOne },
    );
    return;
  }
  if (!safeName.test(name)) {
    report(
      'DG1006',
      origin,
      sub,
      `${label} ${JSON.stringify(name)}${place} is not a safe name: DGate accepts it, but names are safest as letters, digits, '.', '_' and '-'`,
      name.includes('/')
        ? `DGate keys resources as name/namespace, so a '/' can make two resources one (route 'a/b' in 'c' is route 'a' in 'b/c'); rename it, e.g. replace slashes with "-"`
        : 'rename it, e.g. replace spaces and slashes with "-"',
      { warning: true },
    );
  }
  if (name.length > 253) {
    report(
      'DG1009',
      origin,
      sub,
      `${label}${place} is ${name.length} characters long`,
      'DGate accepts it, but other tools (and file names, such as dump writes) may not: keep names to 253 characters',
      { warning: true },
    );
  }
}

/** A document id is a path segment of the admin API (PUT /document/{id}): DGate cannot store one with a '/'. */
function checkDocumentId(origin: Origin, id: string, place: string, report: Report): void {
  if (id === '') {
    report(
      'DG1011',
      origin,
      ['id'],
      `document id${place} is empty`,
      'DGate cannot store it (PUT /document/ has no id): give it an id',
    );
  } else if (id.includes('/')) {
    report(
      'DG1006',
      origin,
      ['id'],
      `document id ${JSON.stringify(id)}${place} has a '/'`,
      'DGate cannot store it: the id is one segment of the admin API\'s path; replace the slash, e.g. with "-"',
    );
  } else {
    checkName(origin, ['id'], id, 'document id', place, true, report);
  }
}

/**
 * Plain tags DGate stores as given, duplicates and white space included: warnings only. Selectors
 * are checked elsewhere. Each label is checked as it is sent (`\#x` is the label `#x`). The tags
 * dgate-cli writes for itself are refused where dgate-cli would misread them (reservedTagProblem).
 */
function checkTags(
  origin: Origin,
  tags: readonly string[] | undefined,
  kind: KindKey,
  what: string,
  report: Report,
): void {
  const written = tags ?? [];
  const labels = written.map(labelOf);
  written.forEach((tag, i) => {
    if (isSelectorTag(tag)) return;
    const label = labels[i]!;
    const reserved = reservedTagProblem(kind, label);
    if (reserved) {
      report(
        'DG1122',
        origin,
        ['tags', i],
        `${what} has the tag ${JSON.stringify(label)}, ${reserved.message}`,
        reserved.hint,
        {
          warning: reserved.warning,
        },
      );
    }
    if (label === '') {
      report('DG1011', origin, ['tags', i], `${what} has an empty tag`, 'DGate stores it as given; remove it', {
        warning: true,
      });
    } else if (/\s/.test(label)) {
      report(
        'DG1012',
        origin,
        ['tags', i],
        `${what} has the tag ${JSON.stringify(label)}, with white space in it`,
        'DGate stores it as given, but tags are easier to select and search without white space, e.g. team:checkout',
        { warning: true },
      );
    }
  });
  for (const { index, first } of repeats(labels)) {
    if (isSelectorTag(written[index]!)) continue;
    report(
      'DG1010',
      origin,
      ['tags', index],
      `${what} lists the tag ${JSON.stringify(labels[index])} twice (items ${first + 1} and ${index + 1})`,
      'DGate stores it twice; remove the repeated tag',
      { warning: true },
    );
  }
}

/**
 * The tags dgate-cli writes for itself. DGate stores them like any other, so a user's resource
 * carrying one would be taken for dgate-cli's: refused where dgate-cli would then misbehave, a
 * warning where nothing reads it (the value-hash prefix on a kind that is not a secret).
 */
function reservedTagProblem(
  kind: KindKey,
  label: string,
): { message: string; hint: string; warning: boolean } | undefined {
  if (label === tombstoneTag) {
    return {
      message: 'which dgate-cli reserves for the tombstones a failed apply leaves on raft',
      hint: `dgate-cli would take this ${kinds[kind].singular} for a tombstone a failed apply left: get marks it, dump leaves it out, and a plan whose config does not declare it deletes it on a single node (lists it apart on raft), even outside --select-tag; use another tag`,
      warning: false,
    };
  }
  if (label.startsWith(secretHashTagPrefix)) {
    return kind === 'secrets'
      ? {
          message: `which starts with '${secretHashTagPrefix}', the prefix dgate-cli reserves for the keyed hash of a secret's value`,
          hint: 'dgate-cli would read it as the hash of the value it applied last and leave it out of the tags it compares, so plan would show a change after every apply; remove it (dgate-cli adds its own when DGATE_CLI_HASH_KEY is set)',
          warning: false,
        }
      : {
          message: `which starts with '${secretHashTagPrefix}', the prefix dgate-cli reserves for the keyed hash of a secret's value`,
          hint: `on a ${kinds[kind].singular} nothing reads it and DGate stores it as given, but on a secret it would be refused; use another tag`,
          warning: true,
        };
  }
  return undefined;
}

function checkNamesAndTags(ns: LoadedNamespace, report: Report): void {
  const declaration = ns.declarations.find((d) => d.valid);
  if (declaration) checkName(declaration.origin, ['name'], ns.name, 'namespace name', '', true, report);
  // Tags may be set in several files (checkNamespaceTags makes them equal): each place is checked.
  for (const d of ns.declarations)
    if (d.valid) checkTags(d.origin, d.spec.tags, 'namespaces', `namespace '${ns.name}'`, report);
  for (const kind of specKinds) {
    for (const item of ns.resources[kind] as Declared<{ name: string; tags?: string[] }>[]) {
      if (!item.valid) continue;
      const what = `${kinds[kind].singular} '${ns.name}/${item.spec.name}'`;
      checkName(
        item.origin,
        ['name'],
        item.spec.name,
        `${kinds[kind].singular} name`,
        ` in namespace '${ns.name}'`,
        kindsThatNeedAName.has(kind),
        report,
      );
      checkTags(item.origin, item.spec.tags, kind, what, report);
    }
  }
  for (const collection of ns.resources.collections) {
    if (!collection.valid) continue;
    (collection.spec.documents ?? []).forEach((doc, i) => {
      const origin: Origin = { doc: collection.origin.doc, path: [...collection.origin.path, 'documents', i] };
      checkDocumentId(origin, doc.id, ` in collection '${ns.name}/${collection.spec.name}'`, report);
    });
  }
}

/** The index of each item listed before (DGate keeps such repeats, or drops them, but never refuses them). */
function repeats<T>(list: readonly T[]): { index: number; first: number }[] {
  return list.flatMap((item, index) => (list.indexOf(item) < index ? [{ index, first: list.indexOf(item) }] : []));
}

function names(list: Declared<{ name?: unknown }>[]): string[] {
  return list.map((d) => d.spec.name).filter((n): n is string => typeof n === 'string');
}

function suggest(wanted: string, available: string[], kind: string, ns: string): string {
  if (available.length === 0) return `namespace '${ns}' declares no ${kind}s: add one named '${wanted}'`;
  const near = closestMatch(wanted, available);
  return near
    ? `did you mean '${near}'? (${kind}s in '${ns}': ${available.join(', ')})`
    : `${kind}s in '${ns}': ${available.join(', ')}`;
}

function checkRoute(ns: LoadedNamespace, route: Declared<RouteSpec>, report: Report): void {
  const spec = route.spec;
  const id = `route '${ns.name}/${spec.name}'`;
  if (spec.service !== undefined && !names(ns.resources.services).includes(spec.service)) {
    report(
      'DG1103',
      route.origin,
      ['service'],
      `${id} names service '${spec.service}', which namespace '${ns.name}' does not declare`,
      suggest(spec.service, names(ns.resources.services), 'service', ns.name),
    );
  }
  const moduleNames = names(ns.resources.modules);
  (spec.modules ?? []).forEach((m, i) => {
    if (!moduleNames.includes(m)) {
      report(
        'DG1104',
        route.origin,
        ['modules', i],
        `${id} names module '${m}', which namespace '${ns.name}' does not declare`,
        suggest(m, moduleNames, 'module', ns.name),
      );
    }
  });
  for (const { index, first } of repeats(spec.modules ?? [])) {
    report(
      'DG1010',
      route.origin,
      ['modules', index],
      `${id} lists module '${spec.modules![index]}' twice (items ${first + 1} and ${index + 1})`,
      'DGate stores each module of a route once; remove the repeated one',
      { warning: true },
    );
  }
  const mods = [...new Set(spec.modules ?? [])];
  const sorted = [...mods].sort();
  if (mods.length > 1 && mods.join('\0') !== sorted.join('\0')) {
    report(
      'DG1903',
      route.origin,
      ['modules'],
      `${id} lists modules as [${mods.join(', ')}], but DGate runs '${sorted[0]}' (the first in name order)`,
      `list them as [${sorted.join(', ')}] to say what runs, or rename the entry module so it sorts first`,
      { warning: true },
    );
  }
  const service = ns.resources.services.find((s) => s.spec.name === spec.service);
  const bareUrl = service?.spec.urls?.find(
    (u) => typeof u === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]+$/.test(u),
  );
  const wildcard = spec.paths.find((p) => p.endsWith('*'));
  if (spec.stripPath && wildcard && bareUrl) {
    const example = `${wildcard.slice(0, -1)}x`;
    report(
      'DG1904',
      route.origin,
      ['stripPath'],
      `${id} strips its path, but service '${spec.service}' has the URL '${bareUrl}' with no path, so DGate v0.11 forwards '${example}' to the upstream as 'x', without a leading '/'`,
      `add a '/' to the service URL ('${bareUrl}/'): DGate joins the rest of the path onto it`,
      { key: true, warning: true },
    );
  }
  if (spec.methods.includes('*') && spec.methods.length > 1) {
    report(
      'DG1105',
      route.origin,
      ['methods'],
      `${id} combines '*' with other methods, which DGate rejects`,
      'use ["*"] alone for every method, or list the methods',
    );
  }
  if (spec.paths.length === 0) {
    report(
      'DG1011',
      route.origin,
      ['paths'],
      `${id} has no paths, so it matches no request`,
      'DGate accepts a route without paths; give it one, e.g. [/api/*], or remove the route',
      { key: true, warning: true },
    );
  } else if (spec.methods.length === 0) {
    report(
      'DG1011',
      route.origin,
      ['methods'],
      `${id} has paths but no methods, which DGate rejects`,
      'list the methods, e.g. [GET, POST], or ["*"] for every method',
      { key: true },
    );
  }
  spec.paths.forEach((p, i) => {
    const problem = pathProblem(p);
    if (problem?.refused)
      report(
        'DG1116',
        route.origin,
        ['paths', i],
        `${id} path '${p}' ${problem.text}`,
        'path patterns look like /exact, /users/{id} or /api/*',
      );
    else if (problem)
      report(
        'DG1116',
        route.origin,
        ['paths', i],
        `${id} path '${p}' ${problem.text}`,
        'DGate accepts it and matches one path segment there; name the parameter, e.g. /users/{id}, to say what it holds',
        { warning: true },
      );
  });
}

/**
 * The chi router rules DGate applies when it rebuilds a namespace's routes: a path it refuses
 * there (`refused`) wedges the node. An unnamed parameter `{}` it accepts.
 */
function pathProblem(p: string): { text: string; refused: boolean } | undefined {
  const star = p.indexOf('*');
  if (star !== -1 && star !== p.length - 1) return { text: "has a '*' that is not at the end", refused: true };
  let depth = 0;
  for (const ch of p) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (depth < 0 || depth > 1) return { text: 'has unbalanced { } around a parameter', refused: true };
  }
  if (depth !== 0) return { text: 'has unbalanced { } around a parameter', refused: true };
  // '{}' and '{:regex}' are parameters named '': two of them repeat a name too.
  const params = [...p.matchAll(/\{([^}:]*)/g)].map((m) => m[1]);
  if (new Set(params).size !== params.length) return { text: 'repeats a parameter name', refused: true };
  if (params.includes('')) return { text: 'has a parameter without a name', refused: false };
  return undefined;
}

function checkService(ns: LoadedNamespace, service: Declared<ServiceSpec>, report: Report): void {
  const id = `service '${ns.name}/${service.spec.name}'`;
  service.spec.urls.forEach((u, i) => {
    let parsed: URL | undefined;
    try {
      parsed = new URL(u);
    } catch {
      parsed = undefined;
    }
    if (!parsed?.host) {
      // DGate drops the connection on a URL it cannot parse, and then fails every list of services.
      report(
        'DG1106',
        service.origin,
        ['urls', i],
        `${id} has an upstream URL that cannot be parsed: '${u}'`,
        'write it as scheme://host[:port][/path], e.g. http://127.0.0.1:8080',
      );
      return;
    }
    if (!['http:', 'https:'].includes(parsed.protocol)) {
      report(
        'DG1106',
        service.origin,
        ['urls', i],
        `${id} has an upstream URL with scheme '${parsed.protocol.slice(0, -1)}'`,
        'DGate accepts it, but proxies only to http:// and https:// upstreams',
        { warning: true },
      );
    }
    if (/\s/.test(u)) {
      report(
        'DG1106',
        service.origin,
        ['urls', i],
        `${id} has an upstream URL with white space in it: ${JSON.stringify(u)}`,
        'DGate stores it %-escaped, as Go writes URLs (a space as %20), and dgate-cli sends and compares it so: write it escaped to say what DGate keeps',
        { warning: true },
      );
    }
  });
  for (const { index, first } of repeats(service.spec.urls)) {
    report(
      'DG1010',
      service.origin,
      ['urls', index],
      `${id} lists the upstream URL '${service.spec.urls[index]}' twice (items ${first + 1} and ${index + 1})`,
      'DGate keeps both; remove the repeated one',
      { warning: true },
    );
  }
  if (service.spec.retries !== undefined && service.spec.retries > 1000) {
    report(
      'DG1009',
      service.origin,
      ['retries'],
      `${id} retries a failed upstream request ${service.spec.retries} times`,
      'DGate accepts it, but so many retries is usually a typo',
      { warning: true },
    );
  }
  for (const field of ['connectTimeout', 'requestTimeout'] as const) {
    const value = service.spec[field];
    if (value?.startsWith('-')) {
      report(
        'DG1007',
        service.origin,
        [field],
        `${id} has a negative ${field}: ${value}`,
        'DGate accepts it, but a timeout below zero is a mistake: write 0 for none',
        { warning: true },
      );
    }
  }
  for (const field of ['hideDGateHeaders', 'disableQueryParams'] as const) {
    if (service.spec[field] !== undefined) {
      report(
        'DG1902',
        service.origin,
        [field],
        `${id} sets '${field}', which DGate v0.11 accepts and then discards`,
        'remove it: it has no effect on the gateway',
        { key: true, warning: true },
      );
    }
  }
}

function checkFileRef(
  origin: Origin,
  sub: YamlPath,
  ref: string,
  files: FileTable | undefined,
  what: string,
  report: Report,
): void {
  const resolved = resolveFileRef(origin, ref);
  if (!resolved.rel) {
    report(
      'DG1110',
      origin,
      sub,
      `${what} names '${ref}', which is outside the config root`,
      'move the file inside the config directory and name it with a relative path',
    );
    return;
  }
  if (!files) return;
  const entry = files.get(resolved.rel);
  if (!entry || entry.status === 'missing') {
    report(
      'DG1109',
      origin,
      sub,
      `${what} names '${ref}', which does not exist (looked for ${resolved.rel} under the config root)`,
      'check the path: it is relative to the file that names it',
    );
  } else if (entry.status === 'not-a-file') {
    report('DG1111', origin, sub, `${what} names '${ref}', which is not a file`, 'name a file, not a directory');
  } else if (entry.status === 'outside-root') {
    report(
      'DG1110',
      origin,
      sub,
      `${what} names '${ref}', which links to a file outside the config root`,
      'copy the file into the config directory instead of linking to it',
    );
  }
}

function checkModule(ns: LoadedNamespace, module: Declared<ModuleSpec>, files: FileTable, report: Report): void {
  const spec = module.spec;
  const id = `module '${ns.name}/${spec.name}'`;
  let source: string | undefined = spec.source;
  if (typeof spec.file === 'string') {
    checkFileRef(module.origin, ['file'], spec.file, files, id, report);
    if (!moduleTypeOf(spec)) {
      report(
        'DG1108',
        module.origin,
        ['file'],
        `${id} has file '${spec.file}', whose extension says neither TypeScript nor JavaScript`,
        "name the file .ts or .js, or set 'type: typescript' or 'type: javascript'",
      );
    }
    const rel = resolveFileRef(module.origin, spec.file).rel;
    const entry = rel ? files.get(rel) : undefined;
    source = entry?.status === 'ok' ? new TextDecoder().decode(entry.bytes) : undefined;
  }
  if (moduleTypeOf(spec) === 'javascript' && source !== undefined) {
    const problem = scriptSyntaxError(source);
    if (problem) {
      // DGate stores any module; it compiles one only for a route that uses it, and that failure wedges the node.
      const usedBy = ns.resources.routes.find((r) => (r.spec.modules ?? []).includes(spec.name));
      const fix = problem.esm
        ? 'DGate loads JavaScript modules as CommonJS scripts: write exports.requestHandler = ... (or module.exports), or make it a .ts module, which DGate transpiles'
        : 'fix the syntax error';
      report(
        'DG1117',
        module.origin,
        [typeof spec.file === 'string' ? 'file' : 'source'],
        `${id} is JavaScript that DGate cannot load: line ${problem.line}: ${problem.message}`,
        usedBy
          ? `${fix}; DGate would reject route '${usedBy.spec.name}', which uses it, and stop taking writes`
          : `${fix}; DGate accepts it while no route uses it, but rejects the first route that does (and stops taking writes)`,
        { warning: !usedBy },
      );
    }
  }
}

/**
 * Compiles (never runs) a JavaScript module the way DGate loads it: as a CommonJS script. A
 * module that fails here would fail inside DGate when a route first uses it: an apply-time error.
 */
function scriptSyntaxError(source: string): { line: number; message: string; esm: boolean } | undefined {
  try {
    new Script(`(function (exports, require, module) {\n${source}\n})`, { filename: 'module.js' });
    return undefined;
  } catch (err) {
    const stackLine = /module\.js:(\d+)/.exec(String((err as Error).stack))?.[1];
    const line = stackLine ? Math.max(1, Number(stackLine) - 1) : 1;
    const message = (err as Error).message;
    const esm =
      /\b(import|export)\b/.test(message) || /^\s*(import|export)\b/m.test(source.split('\n')[line - 1] ?? '');
    return { line, message, esm };
  }
}

function checkDomain(
  ns: LoadedNamespace,
  domain: Declared<DomainSpec>,
  files: FileTable,
  secrets: SecretRules,
  report: Report,
): void {
  const spec = domain.spec;
  const id = `domain '${ns.name}/${spec.name}'`;
  // DGate stores patterns without looking at them: every problem here is a warning.
  if (spec.patterns.length === 0) {
    report(
      'DG1011',
      domain.origin,
      ['patterns'],
      `${id} has no host patterns, so no request reaches the namespace through it`,
      'DGate accepts it; give it a pattern, e.g. [shop.example.com], or remove the domain',
      { key: true, warning: true },
    );
  }
  spec.patterns.forEach((p, i) => {
    if (p === '') {
      report(
        'DG1011',
        domain.origin,
        ['patterns', i],
        `${id} has an empty host pattern, which matches no host`,
        'DGate accepts it; remove it',
        { warning: true },
      );
    } else if (p.length >= 2 && p.startsWith('/') && p.endsWith('/')) {
      try {
        new RegExp(p.slice(1, -1));
      } catch (err) {
        report(
          'DG1107',
          domain.origin,
          ['patterns', i],
          `${id} has a regular expression that does not compile: ${(err as Error).message}`,
          'DGate accepts it and fails only when matching a request; it uses Go RE2 syntax between the slashes, e.g. /^(www\\.)?shop\\.example\\.com$/',
          { warning: true },
        );
      }
    } else if (/\s/.test(p)) {
      report(
        'DG1107',
        domain.origin,
        ['patterns', i],
        `${id} has a host pattern with white space: '${p}'`,
        'DGate accepts it, but no host name has white space; host patterns look like shop.example.com, *.example.com or *',
        { warning: true },
      );
    }
  });
  for (const { index, first } of repeats(spec.patterns)) {
    report(
      'DG1010',
      domain.origin,
      ['patterns', index],
      `${id} lists the host pattern '${spec.patterns[index]}' twice (items ${first + 1} and ${index + 1})`,
      'DGate keeps both; remove the repeated one',
      { warning: true },
    );
  }
  if ((spec.cert === undefined) !== (spec.key === undefined)) {
    const [has, lacks] = spec.cert !== undefined ? ['cert', 'key'] : ['key', 'cert'];
    report(
      'DG1013',
      domain.origin,
      [has],
      `${id} has a '${has}' but no '${lacks}'`,
      `DGate stores it, but serves TLS for a domain only with both: set both 'cert' and 'key', or neither`,
      { key: true, warning: true },
    );
  }
  if (spec.cert && typeof spec.cert === 'object')
    checkFileRef(domain.origin, ['cert', 'file'], spec.cert.file, files, id, report);
  if (spec.key) checkSecretSource(domain.origin, ['key'], spec.key, `${id} key`, secrets, report);
}

/** A secret that keeps versions owns the names NAME.v<k>: no other secret may use one. */
function checkSecretVersionNames(ns: LoadedNamespace, report: Report): void {
  const keeping = ns.resources.secrets
    .filter((s) => s.valid && s.spec.keepVersions !== undefined)
    .map((s) => s.spec.name);
  for (const secret of ns.resources.secrets) {
    const base = /^(.+)\.v[1-9][0-9]*$/.exec(secret.spec.name)?.[1];
    if (base !== undefined && keeping.includes(base)) {
      report(
        'DG1121',
        secret.origin,
        ['name'],
        `secret '${ns.name}/${secret.spec.name}' has the name of a version of secret '${base}', which keeps versions`,
        `rename it: ${base}.v1, ${base}.v2, ... are written by dgate-cli for keepVersions`,
      );
    }
  }
}

/** What the secret checks need to know about the whole config. */
interface SecretRules {
  plaintextAllowed: boolean;
  /** settings.secretFileRoots: absolute directories fromFile may read from. */
  fileRoots: string[];
  files: FileTable;
  decodeArmor?: ArmorDecoder;
}

/** Whether an absolute secret file lies inside one of the allowed roots (after normalizing away ..). */
export function insideSecretFileRoots(file: string, roots: readonly string[]): boolean {
  const normalized = path.posix.normalize(file);
  return roots.some((root) => {
    const r = path.posix.normalize(root).replace(/\/+$/, '');
    return normalized === r || normalized.startsWith(`${r}/`);
  });
}

function checkSecretSource(
  origin: Origin,
  sub: YamlPath,
  source: SecretSource,
  what: string,
  rules: SecretRules,
  report: Report,
): void {
  if (typeof source.value === 'string') {
    if (rules.plaintextAllowed) {
      report(
        'DG1901',
        origin,
        [...sub, 'value'],
        `${what} is written in plain text in the config`,
        'reference it instead, e.g. { fromEnv: NAME }, { encrypted: ... } or { fromFile: path }, so it stays out of git',
        { key: true, warning: true },
      );
    } else {
      report(
        'DG1119',
        origin,
        [...sub, 'value'],
        `${what} is written in plain text in the config, which would put it in git`,
        'reference it with { fromEnv: NAME }, { fromFile: path }, or encrypt it (`dgate-cli secret encrypt`) into { encrypted: ... }; for a local demo only, set `settings: { allowPlaintextSecrets: true }`',
        { key: true },
      );
    }
  }
  if (typeof source.fromFile === 'string') {
    const absolute = path.posix.isAbsolute(source.fromFile);
    if (absolute && !insideSecretFileRoots(source.fromFile, rules.fileRoots)) {
      report(
        'DG1110',
        origin,
        [...sub, 'fromFile'],
        `${what} is read from '${source.fromFile}', an absolute path outside every directory settings.secretFileRoots allows`,
        `list its directory under settings.secretFileRoots (e.g. [${path.posix.dirname(path.posix.normalize(source.fromFile))}]), or keep the file inside the config root`,
      );
    } else if (!absolute && !resolveFileRef(origin, source.fromFile).rel) {
      report(
        'DG1110',
        origin,
        [...sub, 'fromFile'],
        `${what} is read from '${source.fromFile}', which is outside the config root`,
        'keep secret files inside the config directory (and out of git) with a relative path, or use an absolute path under settings.secretFileRoots',
      );
    }
  }
  if (typeof source.encrypted === 'string') {
    if (!rules.decodeArmor)
      throw new Error(
        'checkConfig: the config has encrypted values, and no armor decoder was given (see usesEncryptedValues)',
      );
    const problem = armorProblem(source.encrypted, rules.decodeArmor);
    if (problem)
      report(
        'DG1120',
        origin,
        [...sub, 'encrypted'],
        `${what} is not an age-encrypted value: ${problem}`,
        'paste the whole output of `dgate-cli secret encrypt`, from -----BEGIN AGE ENCRYPTED FILE----- to -----END AGE ENCRYPTED FILE-----, as a block scalar (encrypted: |)',
      );
  }
  if (typeof source.fromEncryptedFile === 'string') {
    checkFileRef(origin, [...sub, 'fromEncryptedFile'], source.fromEncryptedFile, rules.files, what, report);
  }
}

/** Why a string is not an ASCII-armored age file, or undefined when it is one. */
function armorProblem(text: string, decode: ArmorDecoder): string | undefined {
  try {
    const bytes = decode(text.trim());
    return new TextDecoder().decode(bytes.slice(0, 21)) === 'age-encryption.org/v1'
      ? undefined
      : 'the armor does not hold an age file';
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Keywords that make DGate v0.11.1's schema loader panic while it holds its write lock, which
 * drops the connection and leaves the node refusing every later write (checked against a real
 * server; see docs/dgate-quirks.md).
 */
export const collectionSchemaKeywordsDgateCannotLoad = [
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'patternProperties',
] as const;

/**
 * Keywords whose value DGate decodes as a schema object: a true/false schema there crashes its
 * loader (each verified against a real server). `items`, `additionalProperties` and `$defs` take
 * booleans safely, and DGate does not decode what is under `items` at all.
 */
const schemaValuedKeywords = [
  'not',
  'contains',
  'if',
  'then',
  'else',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
];
const schemaMapKeywords = ['properties', 'dependentSchemas'];
const schemaListKeywords = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

function findUnloadableKeywords(
  schema: unknown,
  path: YamlPath,
  out: { path: YamlPath; keyword: string; why: string }[],
): void {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) return;
  const s = schema as Record<string, unknown>;
  for (const k of collectionSchemaKeywordsDgateCannotLoad) {
    if (k in s) out.push({ path: [...path, k], keyword: k, why: `'${k}'` });
  }
  for (const k of schemaValuedKeywords) {
    if (typeof s[k] === 'boolean')
      out.push({ path: [...path, k], keyword: k, why: `a true/false schema under '${k}'` });
    else findUnloadableKeywords(s[k], [...path, k], out);
  }
  for (const k of schemaMapKeywords) {
    const map = s[k];
    if (!map || typeof map !== 'object') continue;
    for (const [name, sub] of Object.entries(map)) {
      if (typeof sub === 'boolean')
        out.push({ path: [...path, k, name], keyword: k, why: `a true/false schema for '${name}' under '${k}'` });
      else findUnloadableKeywords(sub, [...path, k, name], out);
    }
  }
  for (const k of schemaListKeywords) {
    const list = s[k];
    if (!Array.isArray(list)) continue;
    list.forEach((sub, i) => {
      if (typeof sub === 'boolean')
        out.push({ path: [...path, k, i], keyword: k, why: `a true/false schema in '${k}'` });
      else findUnloadableKeywords(sub, [...path, k, i], out);
    });
  }
  for (const k of ['additionalProperties', '$defs', 'definitions']) {
    const sub = s[k];
    if (!sub || typeof sub !== 'object') continue;
    if (k === 'additionalProperties') findUnloadableKeywords(sub, [...path, k], out);
    else for (const [name, def] of Object.entries(sub)) findUnloadableKeywords(def, [...path, k, name], out);
  }
}

function documentErrorMessage(e: ErrorObject): string {
  const at = e.instancePath ? `at '${e.instancePath}' ` : '';
  switch (e.keyword) {
    case 'required':
      return `is missing '${(e.params as { missingProperty: string }).missingProperty}'`;
    case 'additionalProperties':
      return `has field '${(e.params as { additionalProperty: string }).additionalProperty}', which the schema does not allow`;
    default:
      return `${at}${e.message ?? 'is invalid'}`;
  }
}

/**
 * Compiled collection schemas, one Ajv for the whole check and one compile per distinct schema:
 * compiling is the expensive part (code generation), and configs repeat schemas across namespaces.
 */
class DocumentValidators {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
  private readonly cache = new Map<string, ValidateFunction | Error>();

  get(schema: object): ValidateFunction | Error {
    const key = canonicalJson(schema);
    let entry = this.cache.get(key);
    if (!entry) {
      try {
        entry = this.ajv.compile(schema);
      } catch (err) {
        entry = err as Error;
      }
      this.cache.set(key, entry);
    }
    return entry;
  }
}

function checkCollection(
  ns: LoadedNamespace,
  collection: Declared<CollectionSpec>,
  validators: DocumentValidators,
  report: Report,
): void {
  const spec = collection.spec;
  const id = `collection '${ns.name}/${spec.name}'`;
  const documents = spec.documents ?? [];
  if (spec.type !== undefined && !['document', 'fetcher'].includes(spec.type)) {
    report(
      'DG1005',
      collection.origin,
      ['type'],
      `${id} has type ${JSON.stringify(spec.type)}`,
      'DGate v0.11 discards the type, so it stores the collection all the same; write document or fetcher',
      { warning: true },
    );
  }
  if (spec.visibility !== undefined && !['public', 'private'].includes(spec.visibility)) {
    report(
      'DG1005',
      collection.origin,
      ['visibility'],
      `${id} has visibility ${JSON.stringify(spec.visibility)}, which DGate stores as given and treats as public`,
      'write public or private',
      { warning: true },
    );
  }
  if ((spec.type ?? 'document') !== 'document' && documents.length > 0) {
    report(
      'DG1112',
      collection.origin,
      ['documents'],
      `${id} has type '${spec.type}', so it is not meant to hold documents`,
      "DGate v0.11 discards the type and stores them all the same; set 'type: document', or move the documents to a document collection",
      { key: true, warning: true },
    );
  }
  if (spec.schema === undefined) return;
  const unloadable: { path: YamlPath; keyword: string; why: string }[] = [];
  findUnloadableKeywords(spec.schema, ['schema'], unloadable);
  for (const u of unloadable) {
    report(
      'DG1114',
      collection.origin,
      u.path,
      `${id} schema uses ${u.why}, which makes DGate v0.11 crash while loading the collection`,
      'express the rule without it (e.g. enum or pattern instead of minimum/maximum), or check documents in a module',
      { key: typeof u.path[u.path.length - 1] === 'string' },
    );
  }
  if (unloadable.length > 0) return;
  const validate = validators.get(spec.schema);
  if (validate instanceof Error) {
    report(
      'DG1113',
      collection.origin,
      ['schema'],
      `${id} schema is not a valid JSON Schema: ${validate.message}`,
      'fix the schema (JSON Schema draft 2020-12)',
    );
    return;
  }
  documents.forEach((doc, i) => {
    if (!doc || doc.data === undefined || validate(doc.data)) return;
    for (const e of validate.errors ?? []) {
      report(
        'DG1115',
        collection.origin,
        ['documents', i, 'data', ...pointerToPath(e.instancePath)],
        `document '${doc.id}' in ${id} ${documentErrorMessage(e)}`,
        `DGate v0.11 never validates documents, so it would store it; make the document match the collection schema (schema rule ${e.schemaPath})`,
        { warning: true },
      );
    }
  });
}
