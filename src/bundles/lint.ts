import { Ajv2020 } from 'ajv/dist/2020.js';
import semver from 'semver';
import type { Diagnostic } from '../errors/dgate-error.js';
import { locate, type ParsedDocument, type YamlPath } from '../load/parse-yaml.js';
import type { BundleContent } from './expand.js';
import { sensitiveParameters, spelledParam } from './expand.js';

/**
 * What `bundle lint` checks beyond the schema: the parameter schema compiles, every parameter
 * is used (by a `{ param }` or by a module through PARAMS), no sensitive parameter reaches
 * anything but a secret value or domain key, versions and ranges are semver, and every module
 * file is there. Pure.
 */
export function lintBundle(content: BundleContent): Diagnostic[] {
  const out: Diagnostic[] = [];
  const at = (doc: ParsedDocument, path: YamlPath) => locate(doc, path);
  const { manifest, manifestDoc } = content;
  if (!semver.valid(manifest.version))
    out.push({
      code: 'DG1809',
      severity: 'error',
      message: `version '${manifest.version}' is not semver`,
      location: at(manifestDoc, ['version']),
      hint: 'write MAJOR.MINOR.PATCH, e.g. 1.0.0',
    });
  if (manifest.dgateCli !== undefined && semver.validRange(manifest.dgateCli) === null) {
    out.push({
      code: 'DG1809',
      severity: 'error',
      message: `dgateCli '${manifest.dgateCli}' is not a semver range`,
      location: at(manifestDoc, ['dgateCli']),
      hint: 'e.g. ">=0.1.0" or "^1"',
    });
  }
  const params = (manifest.parameters ?? {}) as { type?: unknown; properties?: Record<string, unknown> };
  try {
    const ajv = new Ajv2020({ strict: true, strictRequired: false });
    ajv.addKeyword({ keyword: 'sensitive', schemaType: 'boolean' });
    ajv.compile(params);
  } catch (err) {
    out.push({
      code: 'DG1809',
      severity: 'error',
      message: `the parameter schema does not compile: ${(err as Error).message}`,
      location: at(manifestDoc, ['parameters']),
      hint: 'parameters is a JSON Schema (draft 2020-12) for the `with:` object',
    });
  }
  if (manifest.parameters !== undefined && params.type !== 'object') {
    out.push({
      code: 'DG1809',
      severity: 'error',
      message: 'the parameter schema must be an object schema (type: object)',
      location: at(manifestDoc, ['parameters']),
      hint: 'declare each parameter under properties',
    });
  }
  const declared = Object.keys(params.properties ?? {});
  const sensitive = sensitiveParameters(manifest);
  const used = new Set<string>();
  for (const doc of content.resourceDocs) {
    walk(doc.value, [], (ref, path) => {
      used.add(ref);
      if (!declared.includes(ref))
        out.push({
          code: 'DG1805',
          severity: 'error',
          message: `'${spelledParam(doc, ref)}' names no parameter of the bundle`,
          location: at(doc, path),
          hint: `declare '${ref}' under parameters in ${content.manifestDoc.source.rel}`,
        });
      const slot =
        path.length === 3 &&
        ((path[0] === 'secrets' && path[2] === 'value') || (path[0] === 'domains' && path[2] === 'key'));
      if (sensitive.has(ref) && !slot)
        out.push({
          code: 'DG1806',
          severity: 'error',
          message: `sensitive parameter '${ref}' fills ${path.join('.')}, which is not a secret's value or a domain's key`,
          location: at(doc, path),
          hint: 'a secret slot may only fill a secret value or a domain key',
        });
    });
  }
  for (const [rel, bytes] of content.files) {
    if (!/\.(js|ts)$/.test(rel)) continue;
    const text = new TextDecoder().decode(bytes);
    for (const m of text.matchAll(/PARAMS\.([A-Za-z_$][\w$]*)/g)) {
      used.add(m[1]!);
      if (sensitive.has(m[1]!))
        out.push({
          code: 'DG1806',
          severity: 'error',
          message: `${rel} reads sensitive parameter '${m[1]}' from PARAMS, which never holds secret slots`,
          location: { file: rel, line: text.slice(0, m.index).split('\n').length, col: 1 },
          hint: 'modules cannot see secret slots; pass a hash or a non-secret value instead',
        });
    }
  }
  for (const name of declared) {
    if (!used.has(name))
      out.push({
        code: 'DG1805',
        severity: 'warning',
        message: `parameter '${name}' is declared but never used`,
        location: at(manifestDoc, ['parameters', 'properties', name]),
        hint: 'use it in a resource file ({ param: NAME } in YAML, module.param("NAME") in Pkl) or a module (PARAMS.NAME), or remove it',
      });
  }
  return out;
}

function walk(value: unknown, path: YamlPath, visit: (ref: string, path: YamlPath) => void): void {
  if (
    value &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { param?: unknown }).param === 'string'
  ) {
    visit((value as { param: string }).param, path);
    return;
  }
  if (Array.isArray(value))
    value.forEach((v, i) => {
      walk(v, [...path, i], visit);
    });
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, [...path, k], visit);
}

/** A README section for the bundle, made from its parameter schema. */
export function bundleDocs(content: BundleContent): string {
  const { manifest } = content;
  const params = (manifest.parameters ?? {}) as {
    required?: string[];
    properties?: Record<
      string,
      {
        type?: unknown;
        default?: unknown;
        description?: string;
        enum?: unknown[];
        items?: { type?: unknown; enum?: unknown[] };
        sensitive?: boolean;
      }
    >;
  };
  const required = new Set(params.required ?? []);
  const typeOf = (p: NonNullable<typeof params.properties>[string]): string => {
    if (p.sensitive) return 'secret source';
    if (p.enum) return p.enum.map((v) => JSON.stringify(v)).join(' \\| ');
    if (p.type === 'array') return `[${p.items?.enum ? p.items.enum.join(', ') : String(p.items?.type ?? 'any')}]`;
    return String(p.type ?? 'any');
  };
  const rows = Object.entries(params.properties ?? {}).map(
    ([name, p]) =>
      `| \`${name}\` | ${typeOf(p)} | ${required.has(name) ? 'required' : p.default !== undefined ? `\`${JSON.stringify(p.default)}\`` : ''} | ${(p.description ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ')} |`,
  );
  return [
    `## ${manifest.name} ${manifest.version}`,
    '',
    manifest.description,
    '',
    '```yaml',
    'bundles:',
    `  - use: ${manifest.name}@^${semver.major(manifest.version)}.${semver.minor(manifest.version)}`,
    '    as: NAME',
    '    namespace: NAMESPACE',
    '    with: { ... }',
    '```',
    '',
    '| parameter | type | default | |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
