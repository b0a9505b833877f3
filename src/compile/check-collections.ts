import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { compileUserSchema, userSchemaAjv } from '../schema/user-schema.js';
import { canonicalJson } from '../state/canonical-json.js';
import type { Declared, LoadedNamespace } from '../load/assemble.js';
import { pointerToPath } from '../load/check-schema.js';
import type { YamlPath } from '../load/parse-yaml.js';
import type { CollectionSpec } from '../schema/generated/config.js';

import type { Report } from './check-report.js';

/** Collections: schemas DGate can load, and documents that satisfy them. */

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
export class DocumentValidators {
  private readonly ajv = userSchemaAjv({ allErrors: true, strict: false, validateFormats: false });
  private readonly cache = new Map<string, ValidateFunction | Error>();

  get(schema: object): ValidateFunction | Error {
    const key = canonicalJson(schema);
    let entry = this.cache.get(key);
    if (!entry) {
      try {
        entry = compileUserSchema(this.ajv, schema);
      } catch (err) {
        entry = err as Error;
      }
      this.cache.set(key, entry);
    }
    return entry;
  }
}

export function checkCollection(
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
