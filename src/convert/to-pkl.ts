import { configSchema as configFileSchema } from '../schema/generated/config.schema.js';

/**
 * Renders config file values (what a YAML file holds, or what a Pkl module evaluated to) as Pkl
 * modules that amend the dgate schema, and evaluate back to the same values. The JSON Schema
 * says, at each place, whether a value is one of the schema's classes (amended in place:
 * `services { new { ... } }`) or free-form JSON (a collection's schema, a document's data),
 * which is written as `Dynamic` objects and `List(...)`.
 */

export type Schema = Record<string, unknown>;
const defs = (configFileSchema as unknown as { $defs: Record<string, Schema> }).$defs;

// Pkl keywords and reserved words, and `_` (a lambda's ignored parameter): a property so named is
// written in backticks, a key of free-form JSON as an entry (["super"] = ...).
const keywords = new Set(
  (
    'abstract amends as class const else extends external false fixed for function hidden if import in is let local module new ' +
    'nothing null open out outer read super this throw trace true typealias unknown when case delete override protected record switch vararg _'
  ).split(' '),
);

/** The config file schema, for walking a value alongside it. */
export const configFileRoot = configFileSchema as unknown as Schema;

/** A schema with its $refs followed. */
export function resolve(schema: Schema | undefined): Schema | undefined {
  let s = schema;
  for (let i = 0; s && typeof s.$ref === 'string' && i < 10; i++) s = defs[(s.$ref as string).replace('#/$defs/', '')];
  return s;
}

/** A Pkl string literal. */
export function pklString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\u{${code.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

function propertyName(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !keywords.has(name) ? name : `\`${name}\``;
}

const isIdentifier = (name: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !keywords.has(name);
const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A JSON number as a Pkl literal that evaluates to the same double. An integer beyond 2^53 is
 * written as a Float (`1e+21`): as an Int literal, pkl refuses one past 2^63, and a JS number
 * that large is a double anyway. Any other number's shortest form (`2.5`, `1e-7`) is valid Pkl.
 */
function pklNumber(n: number): string {
  return Number.isInteger(n) && !Number.isSafeInteger(n) ? n.toExponential() : String(n);
}

function scalar(value: unknown): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'string') return pklString(value);
  if (typeof value === 'number') return pklNumber(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}

/** How to render: in a bundle's resource file, `{ param: NAME }` is written `module.param("NAME")`. */
interface RenderOptions {
  params: boolean;
}

function paramRef(value: unknown, options: RenderOptions): string | undefined {
  if (!options.params || !value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  const name = (value as { param?: unknown }).param;
  return keys.length === 1 && typeof name === 'string' ? `module.param(${pklString(name)})` : undefined;
}

/** Free-form JSON as a Pkl expression: objects are Dynamic, arrays List. */
function freeForm(value: unknown, indent: string, options: RenderOptions): string {
  const s = scalar(value) ?? paramRef(value, options);
  if (s !== undefined) return s;
  if (Array.isArray(value)) return `List(${value.map((v) => freeForm(v, indent, options)).join(', ')})`;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return 'new Dynamic {}';
  const inner = `${indent}  `;
  // `default` as a member of a Dynamic is Pkl's template for new elements, never rendered: a
  // JSON Schema default written so would vanish. As an entry (["default"]) it renders as the key.
  const members = entries.map(
    ([k, v]) =>
      `${inner}${isIdentifier(k) && k !== 'default' ? k : `[${pklString(k)}]`} = ${freeForm(v, inner, options)}`,
  );
  return `new Dynamic {\n${members.join('\n')}\n${indent}}`;
}

/** The lines of one property of a schema class. */
function member(
  key: string,
  value: unknown,
  schema: Schema | undefined,
  indent: string,
  options: RenderOptions,
): string[] {
  const s = resolve(schema);
  const name = propertyName(key);
  const simple = scalar(value) ?? paramRef(value, options);
  if (simple !== undefined) return [`${indent}${name} = ${simple}`];
  if (!s || (s.type !== 'object' && s.type !== 'array' && !s.oneOf) || (s.type === 'object' && !s.properties)) {
    // Free-form: a Dynamic object or a list.
    return [`${indent}${name} = ${freeForm(value, indent, options)}`];
  }
  if (Array.isArray(value)) {
    const items = resolve(s.items as Schema | undefined);
    const scalars = value.map((v) => scalar(v) ?? paramRef(v, options));
    if (scalars.every((v) => v !== undefined) && scalars.join('; ').length + indent.length + name.length < 90) {
      return [`${indent}${name} {${scalars.length > 0 ? ` ${scalars.join('; ')} ` : ''}}`];
    }
    return [`${indent}${name} {`, ...value.flatMap((v) => element(v, items, `${indent}  `, options)), `${indent}}`];
  }
  if (s.oneOf && !s.properties) {
    // A union (a domain's cert: a string or { file }): the object branch is a class of its own.
    const branch = (s.oneOf as Schema[]).map(resolve).find((b) => b?.type === 'object' && b.properties);
    if (!branch) return [`${indent}${name} = ${freeForm(value, indent, options)}`];
    const className = (branch.title as string | undefined) ?? pascal(key);
    return [
      `${indent}${name} = new ${className} {`,
      ...body(value as Record<string, unknown>, branch, `${indent}  `, options),
      `${indent}}`,
    ];
  }
  return [`${indent}${name} {`, ...body(value as Record<string, unknown>, s, `${indent}  `, options), `${indent}}`];
}

function element(value: unknown, schema: Schema | undefined, indent: string, options: RenderOptions): string[] {
  const simple = scalar(value) ?? paramRef(value, options);
  if (simple !== undefined) return [`${indent}${simple}`];
  if (schema?.type === 'object' && schema.properties && value && typeof value === 'object' && !Array.isArray(value)) {
    return [`${indent}new {`, ...body(value as Record<string, unknown>, schema, `${indent}  `, options), `${indent}}`];
  }
  return [`${indent}${freeForm(value, indent, options)}`];
}

function body(value: Record<string, unknown>, schema: Schema, indent: string, options: RenderOptions): string[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  return Object.entries(value).flatMap(([k, v]) => member(k, v, properties[k], indent, options));
}

/** What a Pkl file of each kind amends, and the schema its value follows. */
const pklKinds = {
  config: { amends: 'Config.pkl', schema: configFileRoot, params: false },
  bundle: { amends: 'Bundle.pkl', schema: defs.BundleManifest!, params: false },
  bundleResources: { amends: 'BundleResources.pkl', schema: defs.BundleResources!, params: true },
} as const;

/** The schema a config file or a bundle's file follows. */
export function schemaOfKind(kind: keyof typeof pklKinds): Schema {
  return pklKinds[kind].schema;
}

/**
 * A whole file's value as a Pkl module amending the dgate schema: a config file (the default),
 * a bundle's manifest, or a bundle's resource file (parameter references as module.param).
 */
export function renderConfigAsPkl(
  value: Record<string, unknown>,
  header: string,
  kind: keyof typeof pklKinds = 'config',
): string {
  const { amends, schema, params } = pklKinds[kind];
  const rest = Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'version' || kind === 'bundle'));
  const lines = body(rest, schema, '', { params });
  const comment = header
    ? `${header
        .split('\n')
        .map((l) => `// ${l}`.trimEnd())
        .join('\n')}\n`
    : '';
  return `${comment}amends "modulepath:/dgate/${amends}"\n${lines.length > 0 ? `\n${lines.join('\n')}\n` : ''}`;
}
