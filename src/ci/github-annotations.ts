import type { Diagnostic } from '../errors/dgate-error.js';

/**
 * GitHub Actions workflow commands (`::error file=…,line=…::message`), escaped as the runner
 * unescapes them (actions/toolkit, packages/core/src/command.ts): in the message `%`, CR and LF;
 * in a property value also `:` and `,`, which would end the value.
 */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One workflow command line (with its newline): `::name key=value,key=value::message`. */
export function renderWorkflowCommand(
  name: string,
  properties: readonly (readonly [string, string | number])[],
  message: string,
): string {
  const props = properties.map(([k, v]) => `${k}=${escapeCommandProperty(String(v))}`).join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeCommandData(message)}\n`;
}

/**
 * Each diagnostic as an annotation: `::error` or `::warning`, at its file, line and column when it
 * has them, titled with its code; the hint follows the message on a line of its own. `fileOf`
 * turns a location's file into the path GitHub knows (relative to the repository root).
 */
export function renderAnnotations(
  diagnostics: readonly Diagnostic[],
  fileOf: (file: string) => string = (f) => f,
): string {
  return diagnostics
    .map((d) => {
      const where: [string, string | number][] = d.location
        ? [
            ['file', fileOf(d.location.file)],
            ['line', d.location.line],
            ['col', d.location.col],
          ]
        : [];
      const text = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
      return renderWorkflowCommand(d.severity, [...where, ['title', d.code]], text);
    })
    .join('');
}
