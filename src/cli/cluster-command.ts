import { DgateError } from '../errors/dgate-error.js';
import { randomUUID } from 'node:crypto';
import { Option } from 'clipanion';
import { AdminClient, clientOptionsFrom } from '../cluster/client.js';
import { acquireApplyLock, type HeldLock } from '../cluster/lock.js';
import { currentActor } from '../cluster/releases.js';
import type { ApplyEvent } from '../apply/execute.js';
import { ApplyDisplay } from './apply-display.js';
import { BaseCommand } from './base-command.js';
import { journalRefusingInterrupted } from '../pipeline/interrupted.js';
import { watchInterrupts } from './interrupts.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import { parseFlagDuration } from './flag-duration.js';
import type { ConnectionFlags } from '../pipeline/target-choice.js';
import type { ApplyIo } from '../pipeline/apply-target.js';
import { loadAgeIdentities } from '../io/age-keys.js';
import { valueNamed } from './value-names.js';

/** A command that talks to a DGate cluster: the connection options, and a client built from them. */
export abstract class ClusterCommand extends BaseCommand {
  admin = valueNamed(
    'URL',
    Option.String('--admin', {
      description:
        'Admin API URL of any node (default: $DGATE_ADMIN_URL, else http://127.0.0.1:9080); credentials come from $DGATE_ADMIN_KEY or $DGATE_ADMIN_USER/$DGATE_ADMIN_PASSWORD',
    }),
  );
  caFile = valueNamed(
    'FILE',
    Option.String('--ca-file', {
      description: 'PEM file of the CA that signed the admin API certificate (TLS is always verified)',
    }),
  );
  timeout = valueNamed(
    'DURATION',
    Option.String('--timeout', { description: 'Per-request timeout, e.g. 30s (default) or 500ms' }),
  );
  verbose = Option.Boolean('--verbose', false, {
    description: 'Print a line per step at a terminal too, instead of the live status line',
  });
  identityFile = valueNamed(
    'FILE',
    Option.String('--identity-file', {
      description: 'age identity file for encrypted secrets and release history (default: $DGATE_CLI_AGE_IDENTITY)',
    }),
  );

  /** The age identities this run may decrypt with. */
  protected ageIdentities(): Promise<string[]> {
    return loadAgeIdentities(process.env, this.identityFile);
  }

  /**
   * The client an apply works through: the given node, or, when that is a raft follower, the
   * leader it names (reads there see every committed write at once).
   */
  protected async writerClient(client: AdminClient): Promise<AdminClient> {
    const leader = await client.leaderUrl();
    if (!leader || leader === client.baseUrl) return client;
    this.context.stdout.write(
      this.style.dim(`${client.baseUrl} is a raft follower; working through the leader at ${leader}\n`),
    );
    return new AdminClient({ ...client.options, baseUrl: leader });
  }

  /**
   * Runs a command that writes: with a client for the leader (when given a follower), refusing
   * while an earlier apply is interrupted (except for recover, which deals with it), and holding
   * the cluster's apply lock throughout, so the plan it makes cannot go stale under it.
   * SIGINT and SIGTERM are watched meanwhile (see watchInterrupts): `interrupt` is aborted when an
   * apply under way is to stop and roll back; give it to the apply's context. Reconcile, which
   * stops its loop after the cycle under way, keeps its own handling (`ownSignalHandling`).
   */
  protected async underApplyLock(
    command: string,
    lockTimeoutMs: number,
    work: (client: AdminClient, lock: HeldLock, interrupt: AbortSignal) => Promise<number>,
    opts: {
      recovering?: boolean;
      client?: AdminClient;
      ownSignalHandling?: boolean;
      /** What a signal before any change says (see watchInterrupts). */
      beforeAnyChange?: (sig: NodeJS.Signals) => { message: string; hint: string };
    } = {},
  ): Promise<number> {
    const given = opts.client ?? this.createClient();
    let client = given;
    const interrupts = opts.ownSignalHandling
      ? undefined
      : watchInterrupts({
          journal: () => new JournalStore(stateDirectory(), client.baseUrl),
          notify: (line) => this.context.stderr.write(`${this.errStyle.yellow(line)}\n`),
          stop: (err) => this.fail(err),
          ...(opts.beforeAnyChange ? { beforeAnyChange: opts.beforeAnyChange } : {}),
        });
    try {
      client = await this.writerClient(given);
      const holder = `${currentActor(process.env)}/${process.pid}/${randomUUID().slice(0, 8)}`;
      // The lock first: an apply still running elsewhere is "locked" (DG3006), not "interrupted".
      const lock = await acquireApplyLock(client, { holder, command, timeoutMs: lockTimeoutMs }).catch(
        (err: unknown) => {
          if (err instanceof DgateError && err.code !== 'DG3006') {
            throw new DgateError({
              code: err.code,
              message: `could not take the apply lock: ${err.message}`,
              hint: `nothing was changed; ${err.hint ?? 'try again'}`,
              cause: err,
            });
          }
          throw err;
        },
      );
      try {
        if (!opts.recovering) await journalRefusingInterrupted(client, true);
        return await work(client, lock, interrupts?.signal ?? new AbortController().signal);
      } finally {
        await lock.release().catch((err: unknown) => {
          // The work is done (or reported); a lock left behind expires by itself.
          this.context.stderr.write(
            `${this.errStyle.yellow('warning:')} the apply lock on ${client.baseUrl} could not be released (${err instanceof Error ? err.message : String(err)}); it expires by itself at ${lock.expiresAt()}\n`,
          );
        });
      }
    } finally {
      interrupts?.dispose();
      await client.close();
      if (client !== given) await given.close();
    }
  }

  /** Progress of an apply, one plain line per event. */
  /** Where the apply stage writes (pipeline/apply-target.ts): this command's stdout and stderr. */
  protected applyIo(): ApplyIo {
    return {
      out: (text) => this.context.stdout.write(text),
      warn: (line) => this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`),
      style: this.style,
      reportDiagnostics: (diagnostics, source, done) => this.reportDiagnostics(diagnostics, source, done),
      onEvent: this.printApplyEvent,
    };
  }

  private display?: ApplyDisplay;

  /** Progress of an apply, a rollback or a recover: a live status line at a terminal, else a line per step. */
  protected readonly printApplyEvent = (e: ApplyEvent): void => {
    this.display ??= ApplyDisplay.for(this.context.stdout, this.style, this.verbose);
    this.display.onEvent(e);
  };

  /** An apply that ends by throwing leaves no status line behind the error. */
  protected override fail(err: unknown): number {
    this.display?.finish();
    return super.fail(err);
  }

  protected createClient(): AdminClient {
    return new AdminClient(clientOptionsFrom(this.connectionFlags(), process.env));
  }

  protected connectionFlags(): ConnectionFlags {
    return {
      admin: this.admin,
      caFile: this.caFile,
      timeoutMs: this.timeout === undefined ? undefined : parseFlagDuration(this.timeout, '--timeout'),
    };
  }
}
