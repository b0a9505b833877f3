import path from 'node:path';
import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { ciModeFrom, ciModes, type CiMode } from '../ci/ci-mode.js';
import { renderAnnotations } from '../ci/github-annotations.js';
import { DgateError, errorsIn, type Diagnostic } from '../errors/dgate-error.js';
import { renderDiagnostic } from '../errors/render.js';
import { renderDiagnosticsReport } from '../report/diagnostics.js';
import { createStyle, type Style } from '../report/style.js';
import { ExitCode } from './exit-codes.js';
import { heldSecrets } from '../io/held-secrets.js';
import { valueNamed } from './value-names.js';

/** The stream, with every sensitive value this process holds masked in what is written to it. */
function redacting<T extends NodeJS.WritableStream>(stream: T): T {
  return new Proxy(stream, {
    get(target, prop, receiver) {
      if (prop !== 'write') {
        const value = Reflect.get(target, prop, receiver) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (chunk: unknown, ...rest: unknown[]) => {
        const text =
          typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : chunk;
        const out = typeof text === 'string' && heldSecrets.size > 0 ? heldSecrets.redact(text) : chunk;
        return (target.write as (...a: unknown[]) => boolean).call(target, out, ...rest);
      };
    },
  });
}

/**
 * Every dgate-cli command extends this. It decides colour once, runs the command, and is the one
 * place that turns a thrown error into output (stderr) and an exit code: a DgateError is shown
 * with its code, location and hint; anything else is an internal error, with a stack only
 * under --debug.
 */
export abstract class BaseCommand extends Command {
  color = Option.Boolean('--color', {
    description: 'Force colour on (or off with --no-color); default: on for a terminal unless NO_COLOR is set',
  });
  debug = Option.Boolean('--debug', false, {
    description: 'Show internal details (stack traces) when something unexpected fails',
  });
  ci = valueNamed(
    'SYSTEM',
    Option.String('--ci', {
      description:
        'Speak to a CI system: github (annotations, step summary, outputs), gitlab, or none; default from $GITHUB_ACTIONS / $GITLAB_CI',
      validator: t.isEnum(ciModes),
    }),
  );

  protected abstract run(): Promise<number>;

  /** Styles for stdout; diagnostics on stderr use `errStyle`. */
  protected get style(): Style {
    return createStyle(this.useColour(this.context.stdout));
  }

  protected get errStyle(): Style {
    return createStyle(this.useColour(this.context.stderr));
  }

  /** The CI system this run speaks to: --ci, else the environment's. */
  protected get ciMode(): CiMode {
    return ciModeFrom(this.ci, process.env);
  }

  /**
   * Under GitHub Actions, problems as workflow commands, which the runner turns into annotations
   * on the lines they name. On stdout, as actions/toolkit writes them, unless stdout carries a
   * document (--format json, markdown...), which they would corrupt: then on stderr, which the
   * runner reads for commands too.
   */
  protected annotate(diagnostics: readonly Diagnostic[]): void {
    if (this.ciMode !== 'github' || diagnostics.length === 0) return;
    const format = (this as { format?: unknown }).format;
    const stream = format === undefined || format === 'human' ? this.context.stdout : this.context.stderr;
    stream.write(renderAnnotations(diagnostics, githubPath));
  }

  private useColour(stream: NodeJS.WritableStream): boolean {
    if (this.color !== undefined) return this.color;
    if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
    if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
    return Boolean((stream as { isTTY?: boolean }).isTTY);
  }

  async execute(): Promise<number> {
    // Whatever a command writes passes the held-secrets filter: a server's error text may echo a
    // request body, secret value included (see src/io/held-secrets.ts).
    this.context = { ...this.context, stdout: redacting(this.context.stdout), stderr: redacting(this.context.stderr) };
    try {
      return await this.run();
    } catch (err) {
      return this.fail(err);
    }
  }

  /**
   * Prints a config's problems to stderr. Returns true when there are errors, after a closing
   * line saying that nothing was `done` (compiled, planned, applied).
   */
  protected reportDiagnostics(diagnostics: readonly Diagnostic[], source: string, done: string): boolean {
    this.annotate(diagnostics);
    this.context.stderr.write(
      renderDiagnosticsReport({ diagnostics, subject: source, after: `; nothing ${done}` }, this.errStyle),
    );
    return errorsIn(diagnostics).length > 0;
  }

  /** Shows an error that does not end the command (one target of several failed), prefixed with what it concerns. */
  protected reportError(err: DgateError, concerning: string): void {
    const d = err.toDiagnostic();
    this.context.stderr.write(`${renderDiagnostic({ ...d, message: `${concerning}: ${d.message}` }, this.errStyle)}\n`);
  }

  protected fail(err: unknown): number {
    const style = this.errStyle;
    if (err instanceof DgateError) {
      this.annotate([err.toDiagnostic(), ...err.diagnostics]);
      const lines = [
        renderDiagnostic(err.toDiagnostic(), style),
        ...err.diagnostics.map((d) => renderDiagnostic(d, style)),
      ];
      this.context.stderr.write(`${lines.join('\n')}\n`);
      return err.exitCode ?? ExitCode.ERROR;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.annotate([{ code: 'DG9001', severity: 'error', message: `internal error: ${message}` }]);
    this.context.stderr.write(`${style.red('internal error DG9001')}: ${message}\n`);
    if (this.debug && err instanceof Error && err.stack) {
      this.context.stderr.write(`${style.dim(err.stack)}\n`);
    } else {
      this.context.stderr.write(
        `  ${style.dim('hint:')} this is a bug in dgate-cli; run again with --debug and report the output\n`,
      );
    }
    return ExitCode.ERROR;
  }
}

/**
 * A file as GitHub names it in an annotation: relative to the checkout ($GITHUB_WORKSPACE) when it
 * lies inside it, so that a command run from a subdirectory still marks the right line.
 */
function githubPath(file: string): string {
  const workspace = process.env.GITHUB_WORKSPACE;
  if (!workspace) return file;
  const relative = path.relative(workspace, path.resolve(file));
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}
