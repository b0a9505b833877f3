import { printableText } from '../report/printable.js';
import type { Style } from '../report/style.js';
import { codes } from './codes.js';
import type { Diagnostic, Location } from './dgate-error.js';

export function formatLocation(location: Location | undefined): string {
  return location ? `${location.file}:${location.line}:${location.col}` : '';
}

/** `file:line:col: error DG1103: message` then an indented hint: the one human form of a problem. */
export function renderDiagnostic(d: Diagnostic, style: Style): string {
  const where = d.location ? `${style.bold(formatLocation(d.location))}: ` : '';
  const label = d.severity === 'error' ? style.red(`error ${d.code}`) : style.yellow(`warning ${d.code}`);
  // Messages quote names and answers from the cluster, which may hold terminal escape sequences.
  const lines = [`${where}${label}: ${printableText(d.message)}`];
  if (d.hint) lines.push(`  ${style.dim('hint:')} ${printableText(d.hint)}`);
  return lines.join('\n');
}

export function renderDiagnostics(diagnostics: readonly Diagnostic[], style: Style): string {
  return diagnostics.map((d) => renderDiagnostic(d, style)).join('\n');
}

/** The JSON form: stable keys, one object per problem, with the code's title for tools that group. */
export function diagnosticsToJson(diagnostics: readonly Diagnostic[]): object[] {
  return diagnostics.map((d) => ({
    code: d.code,
    title: codes[d.code],
    severity: d.severity,
    message: d.message,
    file: d.location?.file ?? null,
    line: d.location?.line ?? null,
    col: d.location?.col ?? null,
    hint: d.hint ?? null,
  }));
}

export function countSummary(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
