import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import * as validators from '../schema/generated/config.validators.js';
import { redactCredentials } from '../model/admin-url.js';
import { closestMatch } from '../errors/suggest.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import type { Code } from '../errors/codes.js';
import { locate, type ParsedDocument, type YamlPath } from './parse-yaml.js';

/** The validators, compiled ahead of time by bin/gen-validators.mjs (compiling here costs ~200 ms). */
const compiled = validators as unknown as Record<string, ValidateFunction>;

function validatorFor(definition?: string): ValidateFunction {
  const validate = compiled[definition ?? 'config'];
  if (!validate) throw new Error(`no precompiled validator for ${definition}: add it to bin/gen-validators.mjs`);
  return validate;
}

/**
 * Checks one parsed document against schema/config.schema.json (or one of its definitions, such
 * as BundleManifest); every problem is reported. `errorPaths` lists where the document broke the
 * schema, so later checks can leave those parts out.
 */
export function checkConfigSchema(
  parsed: ParsedDocument,
  definition?: string,
): { diagnostics: Diagnostic[]; errorPaths: YamlPath[] } {
  const validate = validatorFor(definition);
  if (validate(parsed.value)) return { diagnostics: [], errorPaths: [] };
  const errors = validate.errors ?? [];
  return {
    diagnostics: explainSchemaErrors(errors, parsed),
    errorPaths: errors.map((e) => pointerToPath(e.instancePath)),
  };
}

/** A JSON pointer (`/a/0/b`) as a path of keys and list indexes. */
export function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** Where in the schema a failing keyword lives, e.g. `Name` for `#/$defs/Name/pattern`. */
function definitionOf(error: ErrorObject): string | undefined {
  const m = /#\/\$defs\/([^/]+)\/[^/]+$/.exec(error.schemaPath);
  return m?.[1];
}

/** A readable label for the value at `path`: `field 'retries'`, `item 2 of 'urls'`. */
function label(path: YamlPath): string {
  const last = path[path.length - 1];
  if (last === undefined) return 'the file';
  if (typeof last === 'number') {
    const parent = path[path.length - 2];
    return parent === undefined ? `item ${last + 1}` : `item ${last + 1} of '${parent}'`;
  }
  return `field '${last}'`;
}

const kindOfList: Record<string, string> = {
  namespaces: 'namespace',
  services: 'service',
  modules: 'module',
  routes: 'route',
  domains: 'domain',
  collections: 'collection',
  documents: 'document',
  secrets: 'secret',
};

/**
 * The resource a path sits in, named as the semantic checks name it: `service 'shop/catalog'`.
 * `kind` is that resource's kind; `own` is true when the path is the resource itself or its name.
 */
function context(value: unknown, path: YamlPath): { text: string; kind?: string; own: boolean } {
  let node: unknown = value;
  let text = '';
  let kind: string | undefined;
  let depth = -1;
  const names: string[] = [];
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    node = node && typeof node === 'object' ? (node as Record<string | number, unknown>)[seg] : undefined;
    const listKind = typeof path[i - 1] === 'string' ? kindOfList[path[i - 1] as string] : undefined;
    if (listKind && typeof seg === 'number') {
      const rec = node as Record<string, unknown> | undefined;
      const name = rec && typeof rec === 'object' ? (rec.name ?? rec.id) : undefined;
      const shown = typeof name === 'string' ? name : `#${seg + 1}`;
      names.push(shown);
      kind = listKind;
      depth = i;
      text = `${listKind} '${names.join('/')}'`;
    }
  }
  const rest = path.length - 1 - depth;
  const own = depth >= 0 && (rest === 0 || (rest === 1 && path[path.length - 1] === 'name'));
  return { text, kind, own };
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') {
    // A malformed admin URL may still carry a password: it is never echoed.
    const shown = redactCredentials(v);
    return `string "${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}"`;
  }
  return `${typeof v} ${String(v)}`;
}

function describeType(t: unknown): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    integer: 'an integer',
    number: 'a number',
    boolean: 'true or false',
    null: 'null',
  };
  return Array.isArray(t) ? t.map((x) => names[x] ?? x).join(' or ') : (names[String(t)] ?? String(t));
}

/**
 * Turns ajv's errors into one diagnostic per real problem. A failed `oneOf` hides the errors of
 * its branches (they only say why each alternative did not fit), and is explained from the
 * alternatives themselves.
 */
function explainSchemaErrors(errors: ErrorObject[], parsed: ParsedDocument): Diagnostic[] {
  const oneOfFailures = errors.filter((e) => e.keyword === 'oneOf');
  const insideFailedOneOf = (e: ErrorObject) =>
    e.keyword !== 'oneOf' &&
    oneOfFailures.some(
      (o) =>
        e.schemaPath.startsWith(o.schemaPath.replace(/oneOf$/, 'oneOf/')) && e.instancePath.startsWith(o.instancePath),
    );
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    if (insideFailedOneOf(error)) continue;
    const d = explainOne(error, parsed);
    if (!d) continue;
    const key = `${d.code}|${d.location?.line}|${d.location?.col}|${d.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}

function explainOne(error: ErrorObject, parsed: ParsedDocument): Diagnostic | undefined {
  const path = pointerToPath(error.instancePath);
  const where = context(parsed.value, path);
  const inWhere = where.text ? ` in ${where.text}` : '';
  const diag = (code: Code, message: string, hint: string, at: YamlPath = path, key = false): Diagnostic => ({
    code,
    severity: 'error',
    message,
    hint,
    location: locate(parsed, at, { key }),
  });
  const parentSchema = (error.parentSchema ?? {}) as Record<string, unknown>;
  const description = typeof parentSchema.description === 'string' ? parentSchema.description : '';
  switch (error.keyword) {
    case 'additionalProperties': {
      const field = String((error.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((parentSchema.properties as object) ?? {});
      const suggestion = closestMatch(field, allowed);
      const atRoot = path.length === 0;
      return diag(
        'DG1002',
        `unknown field '${field}'${atRoot ? ' at the top of the file' : inWhere}`,
        suggestion ? `did you mean '${suggestion}'?` : `allowed fields here: ${allowed.join(', ')}`,
        [...path, field],
        true,
      );
    }
    case 'required': {
      const field = String((error.params as { missingProperty: string }).missingProperty);
      if (path.length === 0 && field === 'version') {
        return diag('DG1004', `missing 'version'`, "every config file starts with 'version: v1'");
      }
      return diag('DG1004', `missing required field '${field}'${inWhere}`, `add '${field}:'${hintFor(field)}`);
    }
    case 'type':
      return diag(
        'DG1003',
        `${label(path)}${inWhere} must be ${describeType((error.params as { type: unknown }).type)}, not ${typeName(error.data)}`,
        `write ${describeType((error.params as { type: unknown }).type)}${description ? `: ${description.charAt(0).toLowerCase()}${description.slice(1)}` : ''}`,
      );
    case 'enum':
    case 'const': {
      const allowed =
        error.keyword === 'enum'
          ? (error.params as { allowedValues: unknown[] }).allowedValues
          : [(error.params as { allowedValue: unknown }).allowedValue];
      const suggestion = typeof error.data === 'string' ? closestMatch(error.data, allowed.map(String)) : undefined;
      return diag(
        'DG1005',
        `${label(path)}${inWhere} is ${typeName(error.data)}, which is not allowed`,
        suggestion ? `did you mean '${suggestion}'? allowed: ${allowed.join(', ')}` : `allowed: ${allowed.join(', ')}`,
      );
    }
    case 'pattern': {
      const def = definitionOf(error);
      if (def === 'SafeName') {
        const subject = where.own && where.kind ? `${where.kind} name` : `${label(path)}${inWhere}`;
        return diag(
          'DG1006',
          `${subject} ${JSON.stringify(error.data)} is not a valid name: names may use only letters, digits, '.', '_' and '-'`,
          'rename it, e.g. replace spaces and slashes with "-"',
        );
      }
      if (def === 'Duration' || def === 'SignedDuration') {
        if (typeof error.data === 'string' && /^-\d/.test(error.data)) {
          // Only connect and request timeouts may be negative (SignedDuration): DGate refuses a negative retryTimeout.
          const hint =
            path[path.length - 1] === 'retryTimeout'
              ? 'DGate refuses a negative retryTimeout ("retry timeout must be greater than 0"): write 0 for none'
              : 'write a duration of 0 or more, such as 250ms';
          return diag('DG1007', `${label(path)}${inWhere} is negative: ${typeName(error.data)}`, hint);
        }
        return diag(
          'DG1007',
          `${label(path)}${inWhere} is not a duration: ${typeName(error.data)}`,
          'write a duration such as 250ms, 5s, 1m or 1h30m',
        );
      }
      return diag(
        'DG1012',
        `${label(path)}${inWhere} does not have the expected form: ${typeName(error.data)}`,
        patternHint(path, description),
      );
    }
    case 'oneOf':
      return explainOneOf(error, path, inWhere, diag, description);
    case 'minimum':
    case 'maximum':
      return diag(
        'DG1009',
        `${label(path)}${inWhere} is ${String(error.data)}, but must be ${error.keyword === 'minimum' ? 'at least' : 'at most'} ${String((error.params as { limit: number }).limit)}`,
        description || 'choose a value within the range',
      );
    case 'uniqueItems': {
      const { i, j } = error.params as { i: number; j: number };
      const [first, second] = [Math.min(i, j), Math.max(i, j)];
      return diag(
        'DG1010',
        `${label(path)}${inWhere} lists the same value twice (items ${first + 1} and ${second + 1})`,
        'remove the repeated item',
        [...path, second],
      );
    }
    case 'minItems':
    case 'minLength':
      return diag(
        'DG1011',
        `${label(path)}${inWhere} must not be empty`,
        description || 'give it a value, or remove the field',
      );
    case 'maxLength':
      return diag(
        'DG1009',
        `${label(path)}${inWhere} is too long`,
        `at most ${String((error.params as { limit: number }).limit)} characters`,
      );
    case 'dependentRequired': {
      const { property, missingProperty } = error.params as { property: string; missingProperty: string };
      return diag(
        'DG1013',
        `'${property}' needs '${missingProperty}'${inWhere}`,
        `set both '${property}' and '${missingProperty}', or neither`,
        [...path, property],
        true,
      );
    }
    default:
      return diag(
        'DG1012',
        `${label(path)}${inWhere}: ${error.message ?? 'invalid value'}`,
        description || 'see the file format reference in README.md',
      );
  }
}

function hintFor(field: string): string {
  const examples: Record<string, string> = {
    name: ' with a name made of letters, digits, ".", "_" or "-"',
    urls: ' with the upstream URLs, e.g. [http://127.0.0.1:8080]',
    paths: ' with path patterns, e.g. [/api/*]',
    methods: ' with HTTP methods, e.g. [GET, POST]',
    patterns: ' with host patterns, e.g. ["shop.example.com"]',
    value: ' with a source, e.g. { fromEnv: MY_SECRET }',
    data: ' with the document body',
    id: ' with a document id',
  };
  return examples[field] ?? '';
}

function patternHint(path: YamlPath, description: string): string {
  const parent = path[path.length - 2];
  if (parent === 'urls') return 'an upstream URL needs a scheme and host, e.g. http://127.0.0.1:8080';
  if (parent === 'paths') return "a route path starts with '/', e.g. /api/*";
  if (parent === 'tags') return 'tags take no white space, e.g. team:checkout';
  if (path[path.length - 1] === 'fromEnv')
    return 'an environment variable name: letters, digits and _, not starting with a digit';
  return description || 'see the file format reference in README.md';
}

function explainOneOf(
  error: ErrorObject,
  path: YamlPath,
  inWhere: string,
  diag: (code: Code, message: string, hint: string, at?: YamlPath, key?: boolean) => Diagnostic,
  description: string,
): Diagnostic {
  const branches = ((error.schema as unknown[]) ?? []) as Record<string, unknown>[];
  const alternatives = branches.map((b) =>
    Array.isArray(b.required) && b.required.length === 1 ? String(b.required[0]) : undefined,
  );
  const data = error.data;
  // A whole resource (path ends in a list index) is named by its context: "module 'auth' needs ...".
  const subject = typeof path[path.length - 1] === 'number' && inWhere ? inWhere.slice(4) : `${label(path)}${inWhere}`;

  if (alternatives.every((a) => a !== undefined) && data && typeof data === 'object' && !Array.isArray(data)) {
    const names = alternatives as string[];
    const present = names.filter((n) => n in (data as object));
    const list = names.map((n) => `'${n}'`).join(', ');
    if (present.length === 0) {
      return diag('DG1008', `${subject} needs one of ${list}`, description || `set exactly one of ${list}`);
    }
    return diag(
      'DG1008',
      `${present.map((n) => `'${n}'`).join(' and ')} cannot be used together${inWhere}`,
      `keep exactly one of ${list}`,
      [...path, present[1]!],
      true,
    );
  }
  return diag(
    'DG1012',
    `${subject} does not match any allowed form (got ${typeName(data)})`,
    description || 'see the file format reference',
  );
}
