import { Script } from 'node:vm';
import type { Declared, LoadedNamespace, Origin } from '../load/assemble.js';
import type { YamlPath } from '../load/parse-yaml.js';
import { moduleTypeOf } from '../model/kinds/modules.js';
import type { ModuleSpec } from '../schema/generated/config.js';
import { resolveFileRef, type FileTable } from './file-refs.js';

import type { Report } from './check-report.js';
import type { DocumentValidators } from './check-collections.js';
import { varNamePattern } from '../model/module-vars.js';

/** Modules: their files, language and syntax (DGate compiles them only when a route runs them). */

export function checkFileRef(
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

export function checkModule(
  ns: LoadedNamespace,
  module: Declared<ModuleSpec>,
  files: FileTable,
  report: Report,
  schemas: DocumentValidators,
): void {
  const spec = module.spec;
  const id = `module '${ns.name}/${spec.name}'`;
  checkVars(id, module, report, schemas);
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

/** The keys that make an object a secret source (schema SecretSource): never a module variable. */
const secretSourceKeys = ['fromEnv', 'fromFile', 'encrypted', 'fromEncryptedFile'];

/**
 * Module variables: names a module can read as VARS.name, values its varsSchema allows, and no
 * secret. A value is written into the module's source, which DGate returns to anyone who can read
 * the admin API (and v0.11 modules cannot read secrets), so a secret reference there is refused.
 */
function checkVars(id: string, module: Declared<ModuleSpec>, report: Report, schemas: DocumentValidators): void {
  const { vars, varsSchema } = module.spec;
  if (varsSchema !== undefined && vars === undefined) {
    report(
      'DG1128',
      module.origin,
      ['varsSchema'],
      `${id} has varsSchema but no vars`,
      'add vars, or remove varsSchema',
      {
        warning: true,
      },
    );
  }
  if (!vars) return;
  for (const [name, value] of Object.entries(vars)) {
    if (!varNamePattern.test(name)) {
      report(
        'DG1128',
        module.origin,
        ['vars', name],
        `${id} has variable '${name}', which a module cannot read as VARS.${name}`,
        'name it like a JavaScript identifier: letters, digits, _ and $, not starting with a digit',
        { key: true },
      );
    }
    const secretKey =
      value && typeof value === 'object' && !Array.isArray(value)
        ? secretSourceKeys.find((k) => k in (value as object))
        : undefined;
    if (secretKey) {
      report(
        'DG1129',
        module.origin,
        ['vars', name, secretKey],
        `${id} has variable '${name}' that names a secret (${secretKey}); vars are written into the module's source, which DGate returns to anyone who can read the admin API`,
        'keep the secret out of the module: store a hash of it and compare hashes, as the api-key bundle does (bundles/api-key), or keep the secret in a DGate secret the upstream reads',
      );
    }
  }
  if (varsSchema === undefined) return;
  const validate = schemas.get(varsSchema);
  if (validate instanceof Error) {
    report(
      'DG1128',
      module.origin,
      ['varsSchema'],
      `${id} varsSchema is not a valid JSON Schema: ${validate.message}`,
      'fix the schema (JSON Schema draft 2020-12)',
    );
    return;
  }
  if (validate(vars)) return;
  for (const e of validate.errors ?? []) {
    const path = e.instancePath
      .split('/')
      .slice(1)
      .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const missing = e.keyword === 'required' ? ` '${(e.params as { missingProperty: string }).missingProperty}'` : '';
    report(
      'DG1128',
      module.origin,
      ['vars', ...path],
      `${id} vars${e.instancePath ? ` at '${e.instancePath}'` : ''} ${e.message ?? 'is invalid'}${missing}`,
      "make vars satisfy the module's varsSchema, or change the schema",
    );
  }
}
