import { createLogUpdate } from 'log-update';
import type { ApplyEvent } from '../apply/execute.js';
import { renderApplyEvent } from '../pipeline/apply-context.js';
import {
  type ApplyProgress,
  nextProgress,
  noProgress,
  renderProgressLine,
  renderProgressSummary,
} from '../pipeline/apply-progress.js';
import type { Style } from '../report/style.js';

/** Redraws of the status line are at most this often: a thousand steps a second would flood a terminal. */
const redrawEveryMs = 100;

type Stream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

/**
 * How an apply's progress reaches the person or the log watching it (apply, rollback, recover,
 * reconcile). At a terminal: one status line, redrawn in place (log-update), with failures, undo
 * steps and phases printed above it as they happen, and one summary line at the end. Without a
 * terminal (CI, pipes), or with --verbose: a line per step, as a log wants.
 */
export class ApplyDisplay {
  private progress: ApplyProgress = noProgress;
  private status?: ReturnType<typeof createLogUpdate>;
  private drawnAt = 0;
  private pending?: NodeJS.Timeout;

  constructor(
    private readonly stream: Stream,
    private readonly style: Style,
    private readonly live: boolean,
    private readonly now: () => number = Date.now,
  ) {}

  /** A status line only at a terminal, and not when every step is asked for. */
  static for(stream: Stream, style: Style, verbose: boolean): ApplyDisplay {
    return new ApplyDisplay(stream, style, Boolean(stream.isTTY) && !verbose);
  }

  readonly onEvent = (e: ApplyEvent): void => {
    this.progress = nextProgress(this.progress, e, this.now());
    const line = renderApplyEvent(e, this.style);
    if (!this.live) {
      if (line) this.stream.write(`${line}\n`);
      return;
    }
    if (e.type === 'begin') {
      this.status = createLogUpdate(this.stream as NodeJS.WriteStream, { showCursor: true });
      this.draw();
      return;
    }
    if (e.type === 'end') {
      this.finish();
      return;
    }
    // Undo steps of a recover, which announces no total: plain lines.
    if (!this.status) {
      if (line) this.stream.write(`${line}\n`);
      return;
    }
    if (line && !(e.type === 'step' && e.state === 'done')) {
      this.status.clear();
      this.stream.write(`${line}\n`);
      this.draw();
    } else {
      this.drawSoon();
    }
  };

  /** Takes the status line down and leaves the summary; also when an apply ends by throwing. */
  finish(): void {
    if (!this.status) return;
    clearTimeout(this.pending);
    this.pending = undefined;
    this.status.clear();
    this.status.done();
    this.status = undefined;
    this.stream.write(`${this.style.dim(renderProgressSummary(this.progress, this.now()))}\n`);
  }

  private draw(): void {
    if (!this.status) return;
    this.drawnAt = this.now();
    this.status(renderProgressLine(this.progress, this.drawnAt, (this.stream.columns ?? 80) - 1, this.style));
  }

  private drawSoon(): void {
    if (this.now() - this.drawnAt >= redrawEveryMs) {
      this.draw();
      return;
    }
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.draw();
    }, redrawEveryMs).unref();
  }
}
