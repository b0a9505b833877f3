import path from 'node:path';
import type { Diagnostic } from '../errors/dgate-error.js';
import { parseDurationText } from '../model/duration.js';
import { locateInPkl, parentModuleOf, topLevelMember } from './locate-pkl.js';
import { withoutCommentsAndStrings } from './pkl-text.js';
import type { ConfigSource, ParsedDocument } from './parse-yaml.js';

/** What running pkl gave: each module's output, pkl's own error text, or why it did not finish. */
export type PklEvaluation =
  | { status: 'ok'; outputs: string[] }
  | { status: 'error'; stderr: string }
  | { status: 'timeout'; timeoutMs: number }
  | { status: 'missing'; detail: string }
  | { status: 'killed'; signal: string }
  | { status: 'crashed'; exitCode: number; stderr: string };

/** Where the modules live, to turn pkl's `file:` URIs back into the paths the user typed. */
export interface PklContext {
  /** Absolute path of the config root. */
  root: string;
  /** Every *.pkl source of the config, modules and libraries. */
  sources: readonly ConfigSource[];
  /** URI prefixes settings.pkl.allowedImports opens. */
  allowedImports: readonly string[];
  /** What is evaluated: a config (the default), or a bundle, whose Pkl sees no environment and imports only its own files. */
  scope?: 'config' | 'bundle';
}

export const isPklSource = (source: ConfigSource): boolean => source.rel.toLowerCase().endsWith('.pkl');

/**
 * The modules to evaluate: `main.pkl` at the root when there is one (it imports the rest);
 * otherwise every *.pkl file that amends another module (the dgate schema or a config module).
 * A file that does not amend is a library that modules import, not a config file of its own.
 */
export function selectPklModules(sources: readonly ConfigSource[]): ConfigSource[] {
  const pkl = sources.filter(isPklSource);
  const main = pkl.find((s) => s.rel === 'main.pkl');
  if (main) return [main];
  return pkl.filter((s) => amendsAModule(s.text));
}

/** Whether a Pkl file amends a module (a config or bundle file), rather than being a library. */
export function amendsAModule(text: string): boolean {
  return /^\s*amends\b/m.test(withoutCommentsAndStrings(text));
}

/**
 * Where a module to evaluate sets `output`, or a module of the same files that it amends or
 * extends does. dgate-cli reads a module's properties as its own JSON renderer writes them; an
 * `output` of the module's would put something else in their place (other text, other values,
 * another renderer), and when that happens to be JSON, it would be read without a word. Each
 * file is reported once, at its `output` line.
 */
export function moduleOutputSettings(
  modules: readonly ConfigSource[],
  sources: readonly ConfigSource[],
  scope: PklContext['scope'] = 'config',
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const reported = new Set<string>();
  for (const module of modules) {
    // The module, then its parents while they are files of the config (the schema sets no output).
    const seen = new Set<string>();
    let child: { path: string; keyword: 'amends' | 'extends' } | undefined;
    let source: ConfigSource | undefined = module;
    while (source && !seen.has(source.rel)) {
      seen.add(source.rel);
      const at = topLevelMember(source.text, 'output');
      if (at && !reported.has(source.rel)) {
        reported.add(source.rel);
        const what = scope === 'bundle' ? 'a bundle module' : 'a config module';
        diagnostics.push({
          code: 'DG1608',
          severity: 'error',
          message: child
            ? `${what} may not set \`output\`, nor may a module it amends or extends: ${child.path} ${child.keyword} ${source.path}, which sets it`
            : `${what} may not set \`output\`: it would replace the properties dgate-cli reads`,
          location: { file: source.path, ...at },
          hint: `remove \`output\`: dgate-cli renders ${scope === 'bundle' ? "a bundle's modules" : 'a config module'} as JSON itself, and reads only the properties the schema declares`,
        });
      }
      const parent = parentModuleOf(source.text);
      // Only a relative path names a file of the config; modulepath:, pkl:, https: and the like do not.
      if (!parent || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(parent.uri)) break;
      const rel = path.posix.normalize(path.posix.join(path.posix.dirname(source.rel), parent.uri));
      child = { path: source.path, keyword: parent.keyword };
      source = sources.find((s) => s.rel === rel);
    }
  }
  return diagnostics;
}

/** One ParsedDocument per evaluated module, located through the module's text. */
export function parsePklOutputs(
  modules: readonly ConfigSource[],
  outputs: readonly string[],
): { documents: ParsedDocument[]; diagnostics: Diagnostic[] } {
  const documents: ParsedDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  modules.forEach((source, i) => {
    const text = outputs[i] ?? '';
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      diagnostics.push({
        code: 'DG1608',
        severity: 'error',
        message: `the Pkl module did not render JSON`,
        location: { file: source.path, ...locateInPkl(source.text, undefined, ['output'], { key: true }) },
        hint: 'a config module must not set `output`: dgate-cli renders it as JSON itself',
      });
      return;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      diagnostics.push({
        code: 'DG1608',
        severity: 'error',
        message: 'the Pkl module did not render an object',
        location: { file: source.path, line: 1, col: 1 },
        hint: 'start the module with `amends "modulepath:/dgate/Config.pkl"`',
      });
      return;
    }
    if ((value as { settings?: { pkl?: unknown } }).settings?.pkl !== undefined) {
      diagnostics.push({
        code: 'DG1609',
        severity: 'error',
        message: 'settings.pkl is set in a Pkl module',
        location: { file: source.path, ...locateInPkl(source.text, value, ['settings', 'pkl'], { key: true }) },
        hint: 'settings.pkl is read before pkl runs: set it in a YAML file of the config',
      });
    }
    documents.push({
      source,
      value,
      index: 0,
      locate: (path, opts) => ({ file: source.path, ...locateInPkl(source.text, value, path, opts) }),
    });
  });
  return { documents, diagnostics };
}

/** settings.pkl of a config, from its YAML documents (the only place it may be set). */
export interface PklSettingsFound {
  allowedImports: string[];
  env: string[];
  /** settings.pkl.timeout in milliseconds, when set. */
  timeoutMs?: number;
}

/** Joins settings.pkl over every YAML document, as other settings join across files. */
export function pklSettingsOf(documents: readonly ParsedDocument[]): PklSettingsFound {
  const out: PklSettingsFound = { allowedImports: [], env: [] };
  for (const doc of documents) {
    const pkl = (doc.value as { settings?: { pkl?: Record<string, unknown> } } | null)?.settings?.pkl;
    if (!pkl || typeof pkl !== 'object') continue;
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    out.allowedImports = [...new Set([...out.allowedImports, ...strings(pkl.allowedImports)])];
    out.env = [...new Set([...out.env, ...strings(pkl.env)])];
    // A timeout that is not a duration is the schema's to report (DG1007); here it is left out.
    const timeoutNanos = typeof pkl.timeout === 'string' ? parseDurationText(pkl.timeout) : undefined;
    if (timeoutNanos !== undefined) out.timeoutMs = Math.max(out.timeoutMs ?? 0, Math.round(timeoutNanos / 1e6));
  }
  return out;
}
