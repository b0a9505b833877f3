import type { Code } from '../errors/codes.js';
import type { Severity } from '../errors/dgate-error.js';

/**
 * Turns a parsed OpenAPI 3.0/3.1 document (its `$ref`s already resolved) into the value of one
 * dgate-cli config file: one service and one route per operation. Pure: the command reads the
 * spec and writes the file; problems come back as diagnostics located by a path into the spec,
 * which the command turns into `file:line:col`.
 *
 * One route per operation, not per path: a route's name comes from its operation's `operationId`
 * (one id, one route), `x-dgate-*` extensions can differ per operation (an auth module on writes
 * only), and a spec change to one operation rewrites one route. DGate's router (a fork of chi)
 * keeps each method of a pattern apart, so routes sharing a path with different methods coexist.
 */

/** A place in the spec: the keys from its root (`['paths', '/pet/{id}', 'get']`). */
export type SpecPath = readonly (string | number)[];

/** A problem found in the spec, located by the path of the value it is about. */
export interface SpecProblem {
  code: Code;
  severity: Severity;
  message: string;
  hint?: string;
  at: SpecPath;
  /** True when the location is the key at `at`, not its value. */
  key?: boolean;
}

export interface OpenApiImportRequest {
  /** The dereferenced OpenAPI document. */
  spec: unknown;
  namespace: string;
  /** Replaces the spec's `servers` (the upstream DGate proxies to). */
  serviceUrl?: string;
  /** The value of the file an earlier import wrote, whose fields the import does not own are kept. */
  previous?: Record<string, unknown>;
}

export interface RouteSpecOut {
  name: string;
  paths: string[];
  methods: string[];
  service: string;
  [field: string]: unknown;
}

export interface OpenApiImport {
  /** The config file's value (`version`, `namespaces`), or undefined when there are errors. */
  config?: Record<string, unknown>;
  problems: SpecProblem[];
  /** Operations the spec marks `x-dgate-ignore: true`, by method and path. */
  ignored: string[];
}

/** The HTTP methods an OpenAPI path item can hold; DGate v0.11 routes every one of them. */
export const openApiMethods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Route fields the import writes only when the spec says them through an extension. */
const extensionFields = {
  'x-dgate-modules': 'modules',
  'x-dgate-strip-path': 'stripPath',
  'x-dgate-preserve-host': 'preserveHost',
} as const;
const knownExtensions = new Set([...Object.keys(extensionFields), 'x-dgate-tags', 'x-dgate-name', 'x-dgate-ignore']);

/** Route fields the import always writes: everything else a user set on a generated route is kept. */
export const ownedRouteFields = ['name', 'paths', 'methods', 'service', 'tags'] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A name as dgate-cli's name rule wants it: letters, digits, '.', '_' and '-'. */
export function sanitizeName(raw: string): string {
  return raw
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|-+$/g, '');
}

/** An OpenAPI tag as a DGate tag: `openapi:<tag>`, white space as '-' (validate warns on white space). */
export function tagFromOpenApi(tag: string): string {
  return `openapi:${tag.trim().replace(/\s+/g, '-')}`;
}

/**
 * The DGate (chi) path pattern for an OpenAPI path template, or why it has none. DGate v0.11.1
 * matches route paths with chi (`github.com/dgate-io/chi-router`): `{name}` matches one segment
 * up to the character after `}`, as an OpenAPI template parameter does, so the template is kept
 * as it is. What chi reads differently is refused: `*` (a wildcard there, a character in
 * OpenAPI), `:` in a parameter (a regular expression there), parameters side by side (no
 * character ends the first), an unnamed or repeated parameter. A query string or fragment is
 * removed before: a request matches by its path alone.
 */
export function dgatePathFor(template: string): { path: string } | { problem: string; hint: string } {
  if (!template.startsWith('/'))
    return { problem: 'does not start with /', hint: 'OpenAPI paths and DGate route paths both start with /' };
  if (template.includes('*'))
    return {
      problem:
        "has a '*', which DGate's router reads as a wildcard (it matches any rest of the path), not as a character",
      hint: 'rename the path, or mark its operations x-dgate-ignore: true and write the route by hand',
    };
  const names: string[] = [];
  let depth = 0;
  let last = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '{') {
      if (depth > 0) return { problem: 'has a { inside a parameter', hint: 'write parameters as {name}' };
      if (last === '}')
        return {
          problem: 'has two parameters side by side, which DGate cannot tell apart (nothing ends the first one)',
          hint: 'put a character between them, e.g. /{name}.{ext}',
        };
      depth = 1;
      const end = template.indexOf('}', i);
      if (end === -1) return { problem: 'has a { without a }', hint: 'write parameters as {name}' };
      const name = template.slice(i + 1, end);
      if (name === '') return { problem: 'has a parameter without a name', hint: 'name it, e.g. /users/{id}' };
      if (name.includes(':'))
        return {
          problem: `has a parameter '{${name}}' with ':', which DGate's router reads as a regular expression`,
          hint: 'rename the parameter without ":"',
        };
      if (names.includes(name))
        return { problem: `repeats the parameter '{${name}}', which DGate refuses`, hint: 'name each parameter once' };
      names.push(name);
    } else if (ch === '}') {
      if (depth === 0) return { problem: 'has a } without a {', hint: 'write parameters as {name}' };
      depth = 0;
    }
    last = ch;
  }
  return { path: template };
}

/**
 * What chi files a pattern under: parameters are one node whatever their name, so `/a/{x}` and
 * `/a/{y}` are the same route to it (and the second handler for a method makes it fail).
 */
function routerKey(path: string): string {
  return path.replace(/\{[^}]*\}/g, '{}');
}

function stringList(value: unknown, at: SpecPath, what: string, problems: SpecProblem[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string' && v !== '')) return value as string[];
  problems.push({
    code: 'DG1503',
    severity: 'error',
    message: `${what} must be a list of non-empty strings`,
    hint: `e.g. ${what.split(' ')[0]}: [auth]`,
    at,
  });
  return undefined;
}

/** The extensions of a path item and an operation, the operation's winning. */
function extensionsOf(item: Obj, op: Obj, itemAt: SpecPath, opAt: SpecPath, problems: SpecProblem[]): Obj {
  const out: Obj = {};
  for (const [source, at] of [
    [item, itemAt],
    [op, opAt],
  ] as const) {
    for (const [k, v] of Object.entries(source)) {
      if (!k.startsWith('x-dgate-')) continue;
      if (!knownExtensions.has(k)) {
        problems.push({
          code: 'DG1503',
          severity: 'error',
          message: `unknown extension '${k}'`,
          hint: `the x-dgate extensions are ${[...knownExtensions].join(', ')}`,
          at: [...at, k],
          key: true,
        });
        continue;
      }
      const field =
        k === 'x-dgate-modules' ? 'list' : k === 'x-dgate-tags' ? 'list' : k === 'x-dgate-name' ? 'name' : 'bool';
      if (field === 'list') {
        const list = stringList(v, [...at, k], k, problems);
        if (list) out[k] = list;
      } else if (field === 'name') {
        if (typeof v === 'string' && /^[A-Za-z0-9._-]+$/.test(v)) out[k] = v;
        else
          problems.push({
            code: 'DG1503',
            severity: 'error',
            message: `${k} must be a name of letters, digits, '.', '_' and '-'`,
            hint: 'e.g. x-dgate-name: get-pet',
            at: [...at, k],
          });
      } else if (typeof v === 'boolean') out[k] = v;
      else
        problems.push({
          code: 'DG1503',
          severity: 'error',
          message: `${k} must be true or false`,
          hint: `e.g. ${k}: true`,
          at: [...at, k],
        });
    }
  }
  return out;
}

/** The upstream URL: --service-url, or the first server with its variables at their defaults. */
function serviceUrlOf(spec: Obj, given: string | undefined, problems: SpecProblem[]): string | undefined {
  if (given !== undefined) return given;
  const servers = spec.servers;
  const first = Array.isArray(servers) && isObj(servers[0]) ? servers[0] : undefined;
  if (!first || typeof first.url !== 'string') {
    problems.push({
      code: 'DG1501',
      severity: 'error',
      message: 'the spec has no servers, so the upstream URL is unknown',
      hint: 'pass --service-url, e.g. --service-url http://127.0.0.1:8080/',
      at: [],
    });
    return undefined;
  }
  const variables = isObj(first.variables) ? first.variables : {};
  const url = first.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
    const v = variables[name];
    return isObj(v) && typeof v.default === 'string' ? v.default : whole;
  });
  if (!/^https?:\/\/[^/]/i.test(url)) {
    problems.push({
      code: 'DG1501',
      severity: 'error',
      message: `servers[0].url '${first.url}' is not an absolute http(s) URL, so the upstream is unknown`,
      hint: 'pass --service-url with the upstream the spec describes, e.g. --service-url http://127.0.0.1:8080/api/v3',
      at: ['servers', 0, 'url'],
    });
    return undefined;
  }
  return url;
}

/** Maps the spec to one config file's value; see the module comment. */
export function importOpenApi(req: OpenApiImportRequest): OpenApiImport {
  const problems: SpecProblem[] = [];
  const ignored: string[] = [];
  const spec = req.spec;
  if (!isObj(spec) || typeof spec.openapi !== 'string' || !/^3\.[01]\./.test(spec.openapi)) {
    const version = isObj(spec) ? (spec.openapi ?? spec.swagger) : undefined;
    problems.push({
      code: 'DG1501',
      severity: 'error',
      message: `not an OpenAPI 3.0 or 3.1 document${version === undefined ? '' : ` (it says ${JSON.stringify(version)})`}`,
      hint: 'import openapi reads OpenAPI 3.0 and 3.1; convert a Swagger 2.0 document first (e.g. with swagger2openapi)',
      at:
        isObj(spec) && (spec.openapi ?? spec.swagger) !== undefined
          ? [spec.openapi !== undefined ? 'openapi' : 'swagger']
          : [],
    });
    return { problems, ignored };
  }
  const info = isObj(spec.info) ? spec.info : {};
  const serviceName =
    (typeof spec['x-dgate-service'] === 'string' && sanitizeName(spec['x-dgate-service'])) ||
    sanitizeName(typeof info.title === 'string' ? info.title.toLowerCase() : '') ||
    'api';
  const url = serviceUrlOf(spec, req.serviceUrl, problems);

  const routes: RouteSpecOut[] = [];
  const taken = new Map<string, SpecPath>();
  const routed = new Map<string, { template: string; name: string }>();
  const paths = isObj(spec.paths) ? spec.paths : {};
  /** Adds the route of one operation, or says why there is none. */
  const addRoute = (template: string, path: string, item: Obj, method: (typeof openApiMethods)[number]) => {
    const op = item[method] as Obj;
    const itemAt: SpecPath = ['paths', template];
    const opAt: SpecPath = [...itemAt, method];
    const ext = extensionsOf(item, op, itemAt, opAt, problems);
    const upper = method.toUpperCase();
    const key = `${upper} ${routerKey(path)}`;
    const earlier = routed.get(key);
    if (earlier && template !== path) {
      problems.push({
        code: 'DG1505',
        severity: 'warning',
        message: `${upper} '${template}' is served by route '${earlier.name}' (${upper} '${earlier.template}'): a request carries no ${template.includes('#') ? 'fragment' : 'query string'} for DGate's router to tell them apart`,
        hint: 'nothing to do if one route for both is right; its x-dgate extensions are not applied, so set them on that operation',
        at: itemAt,
        key: true,
      });
      return;
    }
    if (earlier) {
      problems.push({
        code: 'DG1502',
        severity: 'error',
        message: `${upper} '${template}' is the same route to DGate as ${upper} '${earlier.template}' (its router tells parameters apart by place, not name), and DGate refuses a second handler for it`,
        hint: 'OpenAPI also treats such templates as the same path: remove one, or mark it x-dgate-ignore: true',
        at: itemAt,
        key: true,
      });
      return;
    }
    const base =
      (ext['x-dgate-name'] as string | undefined) ||
      (typeof op.operationId === 'string' ? sanitizeName(op.operationId) : '') ||
      sanitizeName(`${method}-${template.replace(/[{}]/g, '')}`) ||
      method;
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.set(name, opAt);
    routed.set(key, { template, name });
    const tags = [
      ...(Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string').map(tagFromOpenApi) : []),
      ...((ext['x-dgate-tags'] as string[] | undefined) ?? []),
    ];
    const route: RouteSpecOut = { name, paths: [path], methods: [upper], service: serviceName };
    for (const [extension, field] of Object.entries(extensionFields))
      if (ext[extension] !== undefined) route[field] = ext[extension];
    if (tags.length > 0) route.tags = [...new Set(tags)];
    routes.push(route);
  };
  // Paths with a query string or fragment ('/files/{id}#get_shared_link', a way some specs tell
  // operations on one HTTP path apart) come second: their operation shares the plain path's route.
  const later: (() => void)[] = [];
  for (const [template, item] of Object.entries(paths)) {
    // Keys starting x- are extensions of the Paths Object, not paths.
    if (!isObj(item) || template.startsWith('x-')) continue;
    const ops = openApiMethods.filter((m) => isObj(item[m]));
    const wanted = ops.filter((m) => {
      const op = item[m] as Obj;
      const skip = op['x-dgate-ignore'] === true || (item['x-dgate-ignore'] === true && op['x-dgate-ignore'] !== false);
      if (skip) ignored.push(`${m.toUpperCase()} ${template}`);
      return !skip;
    });
    if (wanted.length === 0) continue;
    const httpPath = template.replace(/[?#].*$/s, '');
    const mapped = dgatePathFor(httpPath);
    if ('problem' in mapped) {
      problems.push({
        code: 'DG1502',
        severity: 'error',
        message: `path '${template}' ${mapped.problem}`,
        hint: mapped.hint,
        at: ['paths', template],
        key: true,
      });
      continue;
    }
    const add = () => {
      for (const method of wanted) addRoute(template, mapped.path, item, method);
    };
    if (httpPath === template) add();
    else later.push(add);
  }
  for (const add of later) add();
  if (routes.length === 0 && !problems.some((p) => p.severity === 'error'))
    problems.push({
      code: 'DG1501',
      severity: 'error',
      message: 'the spec has no operations to import',
      hint: 'add paths with operations, or check that x-dgate-ignore does not leave none',
      at: isObj(spec.paths) ? ['paths'] : [],
    });
  if (problems.some((p) => p.severity === 'error') || url === undefined) return { problems, ignored };

  const previous = previousResources(req.previous, req.namespace);
  const service = { ...previous.services.get(serviceName), name: serviceName, urls: [url] };
  const merged = routes.map((route) => mergeRoute(route, previous.routes.get(route.name)));
  const namespace = { name: req.namespace, services: [service], routes: merged };
  return { config: { version: 'v1', namespaces: [namespace] }, problems, ignored };
}

/**
 * A generated route with the fields the import does not own taken from the earlier file, in the
 * earlier file's order, so that an unchanged operation is written back byte for byte.
 */
function mergeRoute(route: RouteSpecOut, before: Obj | undefined): RouteSpecOut {
  if (!before) return route;
  const out: Obj = {};
  for (const [k, v] of Object.entries(before)) {
    if (k in route)
      out[k] = route[k]; // owned, or set by an x-dgate extension: the spec wins
    else if (!(ownedRouteFields as readonly string[]).includes(k)) out[k] = v;
  }
  for (const [k, v] of Object.entries(route)) if (!(k in out)) out[k] = v;
  return out as RouteSpecOut;
}

function previousResources(
  previous: Record<string, unknown> | undefined,
  namespace: string,
): { services: Map<string, Obj>; routes: Map<string, Obj> } {
  const services = new Map<string, Obj>();
  const routes = new Map<string, Obj>();
  const namespaces = previous && Array.isArray(previous.namespaces) ? previous.namespaces : [];
  for (const ns of namespaces) {
    if (!isObj(ns) || ns.name !== namespace) continue;
    for (const s of Array.isArray(ns.services) ? ns.services : [])
      if (isObj(s) && typeof s.name === 'string') services.set(s.name, s);
    for (const r of Array.isArray(ns.routes) ? ns.routes : [])
      if (isObj(r) && typeof r.name === 'string') routes.set(r.name, r);
  }
  return { services, routes };
}

/** How the new file's routes differ from the earlier one's, by name. */
export function summarizeImport(
  config: Record<string, unknown>,
  previous: Record<string, unknown> | undefined,
  namespace: string,
): { added: string[]; changed: string[]; removed: string[]; unchanged: number } {
  const now = previousResources(config, namespace).routes;
  const before = previousResources(previous, namespace).routes;
  const same = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
  const added = [...now.keys()].filter((n) => !before.has(n));
  const removed = [...before.keys()].filter((n) => !now.has(n));
  const changed = [...now.keys()].filter((n) => before.has(n) && !same(now.get(n), before.get(n)));
  return { added, changed, removed, unchanged: now.size - added.length - changed.length };
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObj(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys(v[k])]),
  );
}
