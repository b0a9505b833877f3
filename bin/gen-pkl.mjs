#!/usr/bin/env node
// Generates schema/dgate/Config.pkl (a config module), Bundle.pkl (a bundle's manifest) and
// BundleResources.pkl (a bundle's resource file) from schema/config.schema.json: the JSON Schema is
// the source of truth, the Pkl schemas follow it (fields, types, defaults, constraints, doc comments). Run by
// `npm run gen:types` (bin/gen-types.mjs); a unit test fails when the committed file is stale.
// A JSON Schema construct this generator does not know is an error, never silently dropped.
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const pklSchemaFile = path.join(root, 'schema', 'dgate', 'Config.pkl');
export const pklBundleFile = path.join(root, 'schema', 'dgate', 'Bundle.pkl');
export const pklBundleResourcesFile = path.join(root, 'schema', 'dgate', 'BundleResources.pkl');
const jsonSchemaFile = path.join(root, 'schema', 'config.schema.json');

// Pkl keywords and reserved words, and `_`: a property so named is written in backticks.
const keywords = new Set(
  (
    'abstract amends as class const else extends external false fixed for function hidden if import in is let local module new ' +
    'nothing null open out outer read super this throw trace true typealias unknown when case delete override protected record switch vararg _'
  ).split(' '),
);
// Keywords each kind of schema may carry; anything else fails the generator.
const annotationKeys = new Set(['description', 'title', 'default', 'deprecated', '$comment', 'examples']);
const known = {
  string: new Set(['type', 'minLength', 'maxLength', 'pattern', 'enum', 'const']),
  integer: new Set(['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'enum', 'const']),
  number: new Set(['type', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum']),
  boolean: new Set(['type', 'const']),
  array: new Set(['type', 'items', 'minItems', 'maxItems', 'uniqueItems']),
  object: new Set(['type', 'properties', 'required', 'additionalProperties', 'oneOf', 'dependentRequired']),
};

class UnsupportedSchema extends Error {}

// Classes and typealiases of pkl:base, which every module sees unqualified.
const pklBaseTypes = new Set(
  (
    'Any Boolean Bytes Class Collection DataSize DataSizeUnit Duration DurationUnit Dynamic Float Function Function0 Function1 ' +
    'Function2 Function3 Function4 Function5 Int Int16 Int32 Int8 IntSeq List Listing Map Mapping Module Null Number Object Pair ' +
    'Regex RegexMatch Resource Set String Typed UInt UInt16 UInt32 UInt8 Uri Comparable Char Mixin'
  ).split(' '),
);

/** Fails loudly: a construct with no faithful Pkl equivalent must not vanish from the Pkl schema. */
function unsupported(where, what) {
  throw new UnsupportedSchema(`gen-pkl: ${where}: ${what} has no Pkl mapping in bin/gen-pkl.mjs; extend the generator`);
}

function pklString(s) {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20) out += `\\u{${code.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

/** A raw Pkl string (`#"..."#`): backslashes stay as written, so a pattern needs no escaping. */
function pklRawString(s) {
  let hashes = '#';
  while (s.includes(`"${hashes}`) || s.includes(`\\${hashes}`)) hashes += '#';
  return `${hashes}"${s}"${hashes}`;
}

function pklLiteral(value, where) {
  if (typeof value === 'string') return pklString(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return unsupported(where, `default ${JSON.stringify(value)}`);
}

function propertyName(name) {
  if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) || keywords.has(name)) return `\`${name}\``;
  return name;
}

function docComment(text, indent) {
  if (!text) return [];
  return text.split('\n').map((line) => `${indent}///${line ? ` ${line}` : ''}`);
}

const pascal = (s) =>
  s.replace(/(^|[-_ ])([a-z])/g, (_, __, c) => c.toUpperCase()).replace(/^[a-z]/, (c) => c.toUpperCase());

function checkKeys(schema, allowed, where) {
  for (const key of Object.keys(schema)) {
    if (!allowed.has(key) && !annotationKeys.has(key)) unsupported(where, `keyword '${key}'`);
  }
}

/** A schema that allows any JSON value, null included: Pkl's `Any`. */
const isAnyValue = (schema) =>
  schema === true ||
  (typeof schema === 'object' && schema !== null && Object.keys(schema).every((k) => annotationKeys.has(k)));

function typeWithConstraints(base, constraints) {
  return constraints.length === 0 ? base : `${base}(${constraints.join(', ')})`;
}

function rangeConstraint(schema, subject, where) {
  const out = [];
  const { minimum: min, maximum: max, exclusiveMinimum: xmin, exclusiveMaximum: xmax } = schema;
  for (const [k, v] of Object.entries({ minimum: min, maximum: max, exclusiveMinimum: xmin, exclusiveMaximum: xmax })) {
    if (v !== undefined && typeof v !== 'number') unsupported(where, `${k} ${JSON.stringify(v)}`);
  }
  if (min !== undefined && max !== undefined) out.push(`${subject}isBetween(${min}, ${max})`);
  else if (min !== undefined) out.push(`${subject ? subject.slice(0, -1) : 'this'} >= ${min}`);
  else if (max !== undefined) out.push(`${subject ? subject.slice(0, -1) : 'this'} <= ${max}`);
  if (xmin !== undefined) out.push(`${subject ? subject.slice(0, -1) : 'this'} > ${xmin}`);
  if (xmax !== undefined) out.push(`${subject ? subject.slice(0, -1) : 'this'} < ${xmax}`);
  return out;
}

class Generator {
  /**
   * `paramRefs`: every property and list element may also be a `Param` (`{ param: NAME }` once
   * rendered), as a bundle's resource files allow.
   */
  constructor(schema, { paramRefs = false } = {}) {
    this.schema = schema;
    this.paramRefs = paramRefs;
    this.defs = schema.$defs ?? {};
    /** Emitted blocks (classes and typealiases) in order, keyed by Pkl name. */
    this.blocks = new Map();
    /** $def name -> Pkl name, for defs already emitted or being emitted. */
    this.defNames = new Map();
  }

  resolveRef(ref, where) {
    const m = /^#\/\$defs\/([A-Za-z0-9_]+)$/.exec(ref);
    if (!m || !this.defs[m[1]]) unsupported(where, `$ref '${ref}'`);
    return m[1];
  }

  /** The Pkl type of a $def: a class for an object, a typealias for anything else. */
  defType(name, _where) {
    if (this.defNames.has(name)) return this.defNames.get(name);
    const def = this.defs[name];
    let pklName = def.title ?? name;
    // A module that amends this one sees pkl:base before our typealiases: a def named like a
    // base type (Duration) would silently mean the base type there.
    if (pklBaseTypes.has(pklName)) pklName += 'String';
    this.defNames.set(name, pklName);
    if (def.type === 'object' && def.properties) {
      this.emitClass(pklName, def, `$defs/${name}`);
      return pklName;
    }
    this.blocks.set(pklName, null); // reserve the slot, so blocks keep a stable, readable order
    const type = this.typeOf(def, `$defs/${name}`, pklName);
    const lines = [...docComment(def.description, ''), `typealias ${pklName} = ${type.type}`];
    this.blocks.set(pklName, lines.join('\n'));
    return pklName;
  }

  /**
   * The Pkl type for a schema. Returns { type, nullableOk } where the type string carries the
   * schema's constraints. `nameHint` names an inline object's class.
   */
  typeOf(schema, where, nameHint) {
    if (isAnyValue(schema)) return { type: 'Any' };
    if (typeof schema !== 'object' || schema === null) unsupported(where, `schema ${JSON.stringify(schema)}`);
    if (schema.$ref) {
      checkKeys(schema, new Set(['$ref']), where);
      const name = this.resolveRef(schema.$ref, where);
      const def = this.defs[name];
      const type = this.defType(name, where);
      return { type: typeWithConstraints(type, this.objectConstraints(def, where)) };
    }
    if (schema.oneOf && schema.type === undefined) {
      checkKeys(schema, new Set(['oneOf']), where);
      const alternatives = schema.oneOf.map((alt, i) => this.typeOf(alt, `${where}/oneOf/${i}`, nameHint).type);
      return { type: alternatives.map((t) => (t.includes('|') ? `(${t})` : t)).join('|') };
    }
    if (schema.enum) {
      const type = schema.type ?? 'string';
      checkKeys(schema, new Set(['enum', 'type']), where);
      if (!schema.enum.every((v) => typeof v === 'string') || type !== 'string')
        unsupported(where, 'an enum of non-strings');
      return { type: schema.enum.map(pklString).join('|') };
    }
    if (schema.const !== undefined) {
      if (typeof schema.const !== 'string') unsupported(where, `const ${JSON.stringify(schema.const)}`);
      checkKeys(schema, new Set(['const', 'type']), where);
      return { type: pklString(schema.const) };
    }
    if (Array.isArray(schema.type)) unsupported(where, `a list of types ${JSON.stringify(schema.type)}`);
    const allowed = known[schema.type];
    if (!allowed) unsupported(where, `type ${JSON.stringify(schema.type)}`);
    checkKeys(schema, allowed, where);
    switch (schema.type) {
      case 'string': {
        const c = [];
        const { minLength: min, maxLength: max } = schema;
        if (min !== undefined && max !== undefined) c.push(`length.isBetween(${min}, ${max})`);
        else if (min === 1) c.push('!isEmpty');
        else if (min !== undefined) c.push(`length >= ${min}`);
        else if (max !== undefined) c.push(`length <= ${max}`);
        if (schema.pattern !== undefined) c.push(`contains(Regex(${pklRawString(schema.pattern)}))`);
        return { type: typeWithConstraints('String', c) };
      }
      case 'integer':
        return { type: typeWithConstraints('Int', rangeConstraint(schema, '', where)) };
      case 'number':
        return { type: typeWithConstraints('Number', rangeConstraint(schema, '', where)) };
      case 'boolean':
        return { type: 'Boolean' };
      case 'array': {
        if (!schema.items) unsupported(where, 'an array without items');
        const item = this.typeOf(schema.items, `${where}/items`, nameHint);
        if (this.paramRefs) item.type = orParam(item.type);
        const c = [];
        const { minItems: min, maxItems: max } = schema;
        if (min !== undefined && max !== undefined) c.push(`length.isBetween(${min}, ${max})`);
        else if (min === 1) c.push('!isEmpty');
        else if (min !== undefined) c.push(`length >= ${min}`);
        else if (max !== undefined) c.push(`length <= ${max}`);
        if (schema.uniqueItems === true) c.push('isDistinct');
        else if (schema.uniqueItems !== undefined && schema.uniqueItems !== false) unsupported(where, 'uniqueItems');
        return { type: typeWithConstraints(`Listing<${item.type}>`, c) };
      }
      case 'object': {
        if (!schema.properties) {
          if (schema.oneOf || schema.dependentRequired || schema.required)
            unsupported(where, 'constraints on a free-form object');
          // A map of one value type (a smoke check's headers): Pkl's Mapping.
          if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
            const value = this.typeOf(schema.additionalProperties, `${where}/additionalProperties`, nameHint);
            return { type: `Mapping<String, ${value.type}>` };
          }
          // Free-form JSON (a collection's JSON Schema, bundle parameters): Pkl's Dynamic.
          if (schema.additionalProperties !== undefined && schema.additionalProperties !== true)
            unsupported(where, 'additionalProperties without properties');
          return { type: 'Dynamic' };
        }
        if (schema.additionalProperties !== false)
          unsupported(where, 'an object with properties that also allows others');
        const name = schema.title ?? pascal(nameHint);
        if (this.blocks.has(name)) unsupported(where, `a second class named ${name} (give the inline object a title)`);
        this.emitClass(name, schema, where);
        return { type: typeWithConstraints(name, this.objectConstraints(schema, where)) };
      }
    }
    return unsupported(where, 'this schema');
  }

  /**
   * Constraints JSON Schema states on an object as a whole: exactly-one-of groups and
   * dependencies. Fields are named through `this` (the value checked): a bare name could resolve
   * to a property of the enclosing class instead.
   */
  objectConstraints(schema, where) {
    const c = [];
    if (schema.type === 'object' && schema.oneOf) {
      const fields = schema.oneOf.map((alt, i) => {
        const keys = Object.keys(alt);
        if (keys.length !== 1 || keys[0] !== 'required' || alt.required.length !== 1)
          unsupported(`${where}/oneOf/${i}`, 'a oneOf branch other than { required: [one field] }');
        return alt.required[0];
      });
      c.push(`List(${fields.map((f) => `this.${propertyName(f)}`).join(', ')}).count((it) -> it != null) == 1`);
    }
    if (schema.type === 'object' && schema.dependentRequired) {
      for (const [field, needs] of Object.entries(schema.dependentRequired)) {
        for (const other of needs) c.push(`this.${propertyName(field)} == null || this.${propertyName(other)} != null`);
      }
    }
    return c;
  }

  /** The lines of one property: doc comment, annotations, `name: Type = default`. */
  propertyLines(name, schema, required, where, indent, ownerName) {
    const description =
      schema.description ?? (schema.$ref ? this.defs[this.resolveRef(schema.$ref, where)]?.description : undefined);
    const lines = docComment(description, indent);
    if (schema.deprecated === true) lines.push(`${indent}@Deprecated`);
    const hint = this.blocks.has(pascal(name)) || this.defs[pascal(name)] ? `${ownerName}${pascal(name)}` : name;
    let { type } = this.typeOf(schema, where, hint);
    if (this.paramRefs && schema.const === undefined) type = orParam(type);
    const def = schema.default;
    if (def !== undefined) {
      lines.push(`${indent}${propertyName(name)}: ${type} = ${pklLiteral(def, where)}`);
    } else if (schema.const !== undefined) {
      lines.push(`${indent}${propertyName(name)}: ${type} = ${pklLiteral(schema.const, where)}`);
    } else if (required) {
      lines.push(`${indent}${propertyName(name)}: ${type}`);
    } else {
      lines.push(`${indent}${propertyName(name)}: ${type.includes('|') || type.includes('(') ? `(${type})` : type}?`);
    }
    return lines;
  }

  emitClass(name, schema, where) {
    this.blocks.set(name, null);
    const required = new Set(schema.required ?? []);
    for (const r of required)
      if (!schema.properties[r]) unsupported(where, `required field '${r}' that has no property`);
    const body = [];
    for (const [prop, sub] of Object.entries(schema.properties)) {
      if (body.length > 0) body.push('');
      body.push(...this.propertyLines(prop, sub, required.has(prop), `${where}/properties/${prop}`, '  ', name));
    }
    const lines = [...docComment(schema.description, ''), `class ${name} {`, ...body, '}'];
    this.blocks.set(name, lines.join('\n'));
  }

  /**
   * The module text. `rootDef` names a $def to use as the module's properties instead of the
   * schema's root; `moduleName` and `usage` say what the module is and how a file amends it.
   */
  generate({ rootDef, moduleName = 'dgate.Config', usage = defaultUsage, source = 'schema/config.schema.json' } = {}) {
    const root = rootDef ? this.defs[rootDef] : this.schema;
    const where = rootDef ? `$defs/${rootDef}` : 'root';
    if (!root) unsupported(where, 'a missing definition');
    if (root.type !== 'object' || root.additionalProperties !== false)
      unsupported(where, 'a root that is not a closed object');
    checkKeys(root, new Set(['$schema', '$id', '$defs', ...known.object]), where);
    const required = new Set(root.required ?? []);
    const body = [];
    const ownerName = moduleName.split('.').pop();
    for (const [prop, sub] of Object.entries(root.properties)) {
      body.push('');
      body.push(
        ...this.propertyLines(
          prop,
          sub,
          required.has(prop),
          `${rootDef ? `${where}/` : ''}properties/${prop}`,
          '',
          ownerName,
        ),
      );
    }
    const header = [
      `// GENERATED by bin/gen-pkl.mjs from ${source}. Do not edit: change the JSON Schema`,
      '// and run `npm run gen:types`.',
      ...docComment(root.description, ''),
      '///',
      ...usage.map((line) => `///${line ? ` ${line}` : ''}`),
      `module ${moduleName}`,
    ];
    const blocks = [...this.blocks.values()].filter(Boolean);
    if (this.paramRefs) blocks.push(paramBlock);
    return `${[...header, ...body, '', ...blocks.flatMap((b) => [b, '']), ...this.outputBlock(root)].join('\n')}\n`;
  }

  /**
   * How the module renders. Pkl's JsonRenderer leaves out a property or entry whose value is
   * null, which is right for a class's unset optional fields (YAML leaves them out too) and wrong
   * for free-form JSON (`data`, `schema`, `with`, `parameters`: Dynamic, Mapping, Map), where a
   * null is a value and dropping it changes the version. There, a null is replaced by a directive
   * that renders as the JSON `null` (converters run before the null check). A required property
   * that may be null (a document's `data`) gets the same by its path. Classes themselves are not
   * converted, so a required property left unset is still reported at its path.
   */
  outputBlock(root) {
    const converters = [
      '      [Dynamic] = (it) -> withNulls(it)',
      '      [Mapping] = (it) -> withNulls(it)',
      '      [Map] = (it) -> withNulls(it)',
      // A value gets one converter, a path's before a class's: this one does the class's work too.
      ...this.requiredNullablePaths(root, '', new Set()).map((p) => `      [${pklString(p)}] = (it) -> withNulls(it)`),
    ];
    return [
      '',
      'output {',
      '  local jsonNull = new RenderDirective { text = "null" }',
      '  local function keepNulls(entries: Map): Map = entries.mapValues((_, value) -> value ?? jsonNull)',
      '  local function withNulls(value: Any): Any =',
      '    if (value is Dynamic && value.length() == 0 && value.toMap().containsValue(null)) keepNulls(value.toMap())',
      '    else if (value is Mapping && value.containsValue(null)) keepNulls(value.toMap())',
      '    else if (value is Map && value.containsValue(null)) keepNulls(value)',
      '    else value ?? jsonNull',
      '  renderer = new JsonRenderer {',
      '    converters {',
      ...converters,
      '    }',
      '  }',
      '}',
    ];
  }

  /**
   * The paths (as renderer converters name them: `namespaces[*].collections[*].documents[*].data`)
   * of the required properties that take any JSON value, null included, below `schema`.
   */
  requiredNullablePaths(schema, prefix, ancestors) {
    if (!schema || typeof schema !== 'object') return [];
    const s = schema.$ref ? this.defs[this.resolveRef(schema.$ref, prefix || 'root')] : schema;
    if (ancestors.has(s)) return [];
    ancestors.add(s);
    const paths = [];
    if (s.type === 'array') paths.push(...this.requiredNullablePaths(s.items, `${prefix}[*]`, ancestors));
    for (const branch of s.oneOf ?? []) paths.push(...this.requiredNullablePaths(branch, prefix, ancestors));
    const required = new Set(s.required ?? []);
    for (const [name, sub] of Object.entries(s.properties ?? {})) {
      const at = prefix ? `${prefix}.${name}` : name;
      if (required.has(name) && isAnyValue(sub)) paths.push(at);
      else paths.push(...this.requiredNullablePaths(sub, at, ancestors));
    }
    ancestors.delete(s);
    return paths;
  }
}

const defaultUsage = [
  'A config module starts with `amends "modulepath:/dgate/Config.pkl"`; dgate-cli puts this',
  'schema on the module path.',
];

/**
 * `T` or a parameter reference, with `T` the union's default (`*`): without it, amending the
 * property (`routes { new { ... } }`) would not know which type to amend and make a Dynamic.
 * Parenthesised, since `T` may be a union or carry constraints.
 */
function orParam(type) {
  return `*${/[|(]/.test(type) ? `(${type})` : type}|Param`;
}

const paramBlock = [
  '/// A parameter of the bundle, standing for a whole value: `url = param("upstream")`. dgate-cli',
  "/// replaces it with the instance's value (typed, never text inside a string).",
  'class Param {',
  "  /// The parameter's name, as bundle.pkl (or bundle.yaml) declares it under `parameters`.",
  '  param: String(!isEmpty)',
  '}',
  '',
  '/// A reference to the bundle parameter `name`.',
  'function param(name: String): Param = new Param { param = name }',
].join('\n');

/** Returns the Pkl schema generated from a JSON Schema object (throws on an unmappable construct). */
export function generatePklFromSchema(schema, options = {}) {
  const { paramRefs, ...moduleOptions } = options;
  return new Generator(schema, { paramRefs }).generate(moduleOptions);
}

/** Returns the generated Pkl schema files, keyed by output path. */
export async function generatePkl() {
  const schema = JSON.parse(await readFile(jsonSchemaFile, 'utf8'));
  return new Map([
    [pklSchemaFile, generatePklFromSchema(schema)],
    [
      pklBundleFile,
      generatePklFromSchema(schema, {
        rootDef: 'BundleManifest',
        moduleName: 'dgate.Bundle',
        usage: [
          'A bundle\'s bundle.pkl starts with `amends "modulepath:/dgate/Bundle.pkl"`. `parameters` is a',
          'JSON Schema written as a Pkl object; a property named `default` is written `["default"] = ...`.',
        ],
      }),
    ],
    [
      pklBundleResourcesFile,
      generatePklFromSchema(schema, {
        rootDef: 'BundleResources',
        moduleName: 'dgate.BundleResources',
        paramRefs: true,
        usage: [
          'A bundle\'s resource file in Pkl starts with `amends "modulepath:/dgate/BundleResources.pkl"`;',
          'any field or list element may be `param("NAME")`, a parameter of the bundle.',
        ],
      }),
    ],
  ]);
}
