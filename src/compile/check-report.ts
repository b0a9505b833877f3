import type { Code } from '../errors/codes.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import { closestMatch } from '../errors/suggest.js';
import { locationOf, type Declared, type Origin } from '../load/assemble.js';
import type { YamlPath } from '../load/parse-yaml.js';

/** What every check of a config reports through, and the helpers the checks share. */

export type Report = (
  code: Code,
  origin: Origin,
  sub: YamlPath,
  message: string,
  hint: string,
  opts?: { key?: boolean; warning?: boolean },
) => void;

/** A Report that adds each diagnostic to `diagnostics`, located at the origin's node (or its key). */
export function reportInto(diagnostics: Diagnostic[]): Report {
  return (code, origin, sub, message, hint, opts = {}) => {
    diagnostics.push({
      code,
      severity: opts.warning ? 'warning' : 'error',
      message,
      hint,
      location: locationOf(origin, sub, { key: opts.key }),
    });
  };
}

export function where(origin: Origin): string {
  const loc = locationOf(origin);
  return `${loc.file}:${loc.line}:${loc.col}`;
}

export function repeats<T>(list: readonly T[]): { index: number; first: number }[] {
  return list.flatMap((item, index) => (list.indexOf(item) < index ? [{ index, first: list.indexOf(item) }] : []));
}

export function names(list: Declared<{ name?: unknown }>[]): string[] {
  return list.map((d) => d.spec.name).filter((n): n is string => typeof n === 'string');
}

export function suggest(wanted: string, available: string[], kind: string, ns: string): string {
  if (available.length === 0) return `namespace '${ns}' declares no ${kind}s: add one named '${wanted}'`;
  const near = closestMatch(wanted, available);
  return near
    ? `did you mean '${near}'? (${kind}s in '${ns}': ${available.join(', ')})`
    : `${kind}s in '${ns}': ${available.join(', ')}`;
}
