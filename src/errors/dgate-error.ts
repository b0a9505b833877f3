import type { Code } from './codes.js';

/** A place in a user's file; line and col are 1-based. */
export interface Location {
  file: string;
  line: number;
  col: number;
}

export type Severity = 'error' | 'warning';

/** One problem found in the user's input: what, where, and how to fix it. */
export interface Diagnostic {
  code: Code;
  severity: Severity;
  message: string;
  location?: Location;
  hint?: string;
}

/**
 * The one error type dgate-cli throws for a problem the user can act on. Anything else that
 * escapes a command is an internal error.
 */
export class DgateError extends Error {
  readonly code: Code;
  readonly location?: Location;
  readonly hint?: string;
  /** Further problems, when one error stands for several (validation). */
  readonly diagnostics: Diagnostic[];
  /** The exit code when this error ends a command, if not 1 (130: an interrupt). */
  readonly exitCode?: number;

  constructor(init: {
    code: Code;
    message: string;
    location?: Location;
    hint?: string;
    cause?: unknown;
    diagnostics?: Diagnostic[];
    exitCode?: number;
  }) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'DgateError';
    this.code = init.code;
    this.location = init.location;
    this.hint = init.hint;
    this.diagnostics = init.diagnostics ?? [];
    if (init.exitCode !== undefined) this.exitCode = init.exitCode;
  }

  toDiagnostic(): Diagnostic {
    return { code: this.code, severity: 'error', message: this.message, location: this.location, hint: this.hint };
  }
}

export function errorsIn(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return diagnostics.filter((d) => d.severity === 'error');
}

/** Orders diagnostics by file, line, column, then code, so output never depends on check order. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort((a, b) => {
    const fa = a.location?.file ?? '';
    const fb = b.location?.file ?? '';
    if (fa !== fb) return fa < fb ? -1 : 1;
    const la = a.location?.line ?? 0;
    const lb = b.location?.line ?? 0;
    if (la !== lb) return la - lb;
    const ca = a.location?.col ?? 0;
    const cb = b.location?.col ?? 0;
    if (ca !== cb) return ca - cb;
    if (a.code !== b.code) return a.code < b.code ? -1 : 1;
    return a.message < b.message ? -1 : a.message > b.message ? 1 : 0;
  });
}
