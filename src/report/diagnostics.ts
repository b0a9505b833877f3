import { errorsIn, type Diagnostic } from '../errors/dgate-error.js';
import { countSummary, renderDiagnostics } from '../errors/render.js';
import type { Style } from './style.js';

/** A command's problems with what it checked, as validate, lint and the config-reading commands report them. */
export interface DiagnosticsReport {
  diagnostics: readonly Diagnostic[];
  /**
   * What was checked, named by the closing `✗` line (a config path, a bundle directory); without
   * it there is no closing line, for a caller that says what failed itself (an error it throws, a
   * line of its own before the problems).
   */
  subject?: string;
  /** Written after the counts on the closing line: ` in 3 files`, `; nothing compiled`. */
  after?: string;
}

/**
 * The one human form of a command's problems: each diagnostic (errors/render.ts), then, when any
 * of them is an error and there is a subject, `✗ subject: 2 errors, 1 warning` and `after`.
 * Every line ends in a newline; the text is empty when there is nothing to report.
 */
export function renderDiagnosticsReport(report: DiagnosticsReport, style: Style): string {
  const { diagnostics, subject, after = '' } = report;
  let out = diagnostics.length > 0 ? `${renderDiagnostics(diagnostics, style)}\n` : '';
  if (subject !== undefined && errorsIn(diagnostics).length > 0)
    out += `${style.red('✗')} ${subject}: ${countSummary(diagnostics)}${after}\n`;
  return out;
}
