import path from 'node:path';
import type { Diagnostic } from '../errors/dgate-error.js';
import { pklFailureDiagnostic } from '../load/pkl-errors.js';
import { DgateError } from '../errors/dgate-error.js';
import type { ConfigInput } from '../io/files.js';
import { evaluatePkl } from '../io/pkl-eval.js';
import {
  isPklSource,
  moduleOutputSettings,
  parsePklOutputs,
  pklSettingsOf,
  selectPklModules,
  type PklContext,
} from '../load/parse-pkl.js';
import { parseYamlSource, type ConfigSource, type ParsedDocument } from '../load/parse-yaml.js';
import { freeFormDefaultMembers } from '../load/pkl-text.js';

/** Pkl evaluation options from the command line; they add to settings.pkl. */
export interface PklOptions {
  /** Environment variables pkl may read (--pkl-env NAME). */
  env?: readonly string[];
  /** --pkl-timeout in milliseconds: overrides settings.pkl.timeout. */
  timeoutMs?: number;
}

export const defaultPklTimeoutMs = 30_000;

export type ParsedSources = Map<string, { documents: ParsedDocument[]; diagnostics: Diagnostic[] }>;

/**
 * Evaluates the config's Pkl modules, all in one sandboxed pkl process, into documents keyed
 * by `rel`, plus the problems pkl found (one at most: pkl stops at its first error). The YAML files are parsed first (and returned, so they are parsed once): their
 * settings.pkl says what the sandbox opens. A config without *.pkl files never starts pkl.
 */
export async function readPklDocuments(
  input: ConfigInput,
  options: PklOptions = {},
): Promise<{ parsed: ParsedSources; diagnostics: Diagnostic[] }> {
  const parsed: ParsedSources = new Map();
  const modules = selectPklModules(input.sources);
  if (modules.length === 0) return { parsed, diagnostics: [] };
  for (const source of input.sources) if (!isPklSource(source)) parsed.set(source.rel, parseYamlSource(source));
  const settings = pklSettingsOf([...parsed.values()].flatMap((p) => p.documents));
  const names = [...new Set([...settings.env, ...(options.env ?? [])])];
  for (const name of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new DgateError({
        code: 'DG1609',
        message: `--pkl-env '${name}' is not an environment variable name`,
        hint: 'name one variable per --pkl-env, e.g. --pkl-env STAGE',
      });
    }
  }
  // Only the named variables, and only those that are set, reach pkl.
  const env = Object.fromEntries(names.filter((n) => process.env[n] !== undefined).map((n) => [n, process.env[n]!]));
  const timeoutMs = options.timeoutMs ?? settings.timeoutMs ?? defaultPklTimeoutMs;
  // A JSON Schema `default` written as Pkl's own member would vanish from the output: found in the text.
  const droppedDefaults = input.sources.filter(isPklSource).flatMap((s) => freeFormDefaultMembers(s.path, s.text));
  const evaluated = await evaluatePklModules({
    root: input.root,
    modules,
    sources: input.sources.filter(isPklSource),
    allowedImports: settings.allowedImports,
    env,
    timeoutMs,
  });
  for (const m of modules)
    parsed.set(m.rel, { documents: evaluated.documents.filter((d) => d.source === m), diagnostics: [] });
  return { parsed, diagnostics: [...evaluated.diagnostics, ...droppedDefaults] };
}

/**
 * Runs pkl on `modules` (every one in one sandboxed process) and parses what they rendered.
 * A failure located in the user's files is returned as a diagnostic, with no documents; a failure
 * of pkl itself (missing, timed out, killed) ends the command. Configs and bundles both read Pkl
 * through here.
 */
export async function evaluatePklModules(req: {
  root: string;
  modules: readonly ConfigSource[];
  /** Every *.pkl file the modules may import, to locate errors in. */
  sources: readonly ConfigSource[];
  allowedImports: readonly string[];
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
  scope?: PklContext['scope'];
}): Promise<{ documents: ParsedDocument[]; diagnostics: Diagnostic[] }> {
  // A module that sets its own `output` is refused before pkl runs: what it renders is not what dgate-cli reads.
  const outputSettings = moduleOutputSettings(req.modules, req.sources, req.scope);
  if (outputSettings.length > 0) return { documents: [], diagnostics: outputSettings };
  const result = await evaluatePkl({
    root: req.root,
    modules: req.modules.map((m) => path.join(req.root, m.rel)),
    allowedImports: req.allowedImports,
    env: req.env,
    timeoutMs: req.timeoutMs,
  });
  if (result.status === 'ok') return parsePklOutputs(req.modules, result.outputs);
  const diagnostic = pklFailureDiagnostic(result, {
    root: req.root,
    sources: req.sources,
    allowedImports: req.allowedImports,
    scope: req.scope,
  });
  if (!diagnostic.location)
    throw new DgateError({ code: diagnostic.code, message: diagnostic.message, hint: diagnostic.hint });
  return { documents: [], diagnostics: [diagnostic] };
}
