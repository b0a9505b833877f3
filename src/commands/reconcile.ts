import { heldSecrets } from '../io/held-secrets.js';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'clipanion';
import { readCheckedConfig, type CheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { parseFlagDuration } from '../cli/flag-duration.js';
import { pklOptionsFrom } from '../cli/pkl-flags.js';
import { chooseTargets, connectionOf, connectTarget, evaluationInstant } from '../pipeline/target-choice.js';
import { inWaves, isCanaryTarget } from '../select/targets.js';
import { DgateError, errorsIn } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { checkoutBranchHead, followedRepoUrl, shownRepoUrl } from '../io/git.js';
import { JournalStore, stateDirectory } from '../io/journal-store.js';
import { rollBackInterrupted } from '../pipeline/interrupted.js';
import { ClusterCommand } from '../cli/cluster-command.js';
import {
  allTargetsOption,
  atOption,
  keepReleasesOption,
  lockTimeoutOption,
  refreshOption,
  refreshSecretsOption,
  selectTagOption,
  targetOption,
} from '../cli/apply-flags.js';
import { pklEnvOption, pklTimeoutOption } from '../cli/pkl-flags.js';
import { applyTarget, type ApplyOptions } from '../pipeline/apply-target.js';
import { valueNamed } from '../cli/value-names.js';
import { allowMassDeleteOption, allowProtectedOption, overrideWindowOption } from '../cli/apply-flags.js';
import { currentActor, effectiveReleases, markResumed, readReleases } from '../cluster/releases.js';
import { describeRollbackHold, findRollbackHold, type RollbackHold } from '../guards/rollback-hold.js';
import { returnToRelease } from '../pipeline/return-to-release.js';
import {
  advanceRollout,
  declaredRollouts,
  metricsNodes,
  recordStarted,
  requireProbeProxies,
  requirePrometheus,
  type RolloutIo,
} from '../pipeline/canary-rollout.js';
import { readRollouts } from '../cluster/canary-store.js';
import type { AdminClient } from '../cluster/client.js';
import type { CanaryRollout } from '../model/canary-rollout.js';
import { createNotifier } from '../pipeline/notify-step.js';
import { notifyTargets } from '../notify/notice.js';
import { hookSecretEnv, isLoopbackAddress, judgeHook } from '../ci/webhook-auth.js';

/** What the loop remembers between cycles. */
interface FollowState {
  /** The newest commit seen on the branch. */
  seen?: string;
  /** The newest commit that checked clean, and its config (held in memory, files included). */
  good?: { commit: string; checked: CheckedConfig };
  /** The commit last reported in sync, so that an idle loop stays quiet. */
  reportedInSync?: string;
  /** When the cluster was last changed (a commit rolled out or drift healed). */
  lastChangeAt?: string;
  /** Why the newest commit is not applied, while it does not check. */
  refused?: DgateError;
  /** Why the loop does not apply the branch on purpose: a rollback by hand, or a mass delete. */
  hold?: ReconcileHold;
  /** The admin URL the last plan was made against, for notices about holds. */
  cluster?: string;
}

/** A hold, as the log, /status and --status-file report it. */
export type ReconcileHold =
  | ({ reason: 'rollback'; message: string } & RollbackHold)
  | { reason: 'mass-delete'; message: string; commit: string }
  | { reason: 'window'; message: string };

/** What --status-file holds after each cycle. */
export interface ReconcileStatus {
  format: 'dgate-cli/reconcile-status@1';
  repo: string;
  branch: string;
  /**
   * synced: the cluster matches the newest commit; held: it matches the last good one (the newest
   * does not check), or the loop holds on purpose (`hold` says why); error: the cycle failed.
   */
  state: 'synced' | 'held' | 'error';
  /** Why the loop holds on purpose: a rollback made by hand (who, to which release, when), or a commit that would delete too much. */
  hold?: ReconcileHold;
  newestCommit: string | null;
  appliedCommit: string | null;
  cycleAt: string;
  lastChangeAt: string | null;
  error?: { code: string; message: string };
}

export class ReconcileCommand extends ClusterCommand {
  static override paths = [['reconcile']];
  static override usage = Command.Usage({
    description: 'Follow a git branch: apply each new commit, and heal drift in between',
    details: `
      The GitOps loop. Every interval, fetches the newest commit of --branch from --repo into a
      work directory, checks and compiles the config there (PATH inside the repository, default
      its root), plans against the cluster and, when anything differs, applies, exactly as
      \`apply --auto-approve\` does: transactionally, under the cluster's apply lock, recorded
      as a release stamped with the commit. A new commit is rolled out; a change made to the
      cluster by hand (drift) is put back.

      A commit whose config does not check is not applied: its problems are shown once, and the
      loop goes on holding the cluster at the last good commit (healing drift towards it) until
      a new commit fixes it. A failed apply is rolled back and tried again at the next interval.
      SIGINT or SIGTERM stop the loop after the cycle under way (an apply is never cut short;
      with --once, they interrupt and roll back the apply, as for apply); SIGHUP starts the next
      cycle at once (from a push hook, say).

      With --once, runs one cycle and exits: 0 when the cluster matches the branch's newest
      commit, 1 when that commit could not be applied. Targets, tags, locks and secrets work as
      for apply (--target, --all-targets, --select-tag, --lock-timeout, --identity-file).
    `,
    examples: [
      ['Follow main, checking every 30 seconds', '$0 reconcile --repo https://git.example.com/gateway.git'],
      ['One cycle, from a CI job or a cron', '$0 reconcile --repo git+file:///srv/gateway.git --branch prod --once'],
      [
        'A config in a subdirectory, every target',
        '$0 reconcile --repo ../gateway --interval 1m --all-targets config/',
      ],
    ],
  });

  repo = valueNamed(
    'URL',
    Option.String('--repo', {
      description: 'The git repository to follow: a path, or a file://, https:// or ssh:// URL (git+ prefix allowed)',
    }),
  );
  branch = valueNamed(
    'NAME',
    Option.String('--branch', 'main', { description: 'The branch to follow (default main)' }),
  );
  interval = valueNamed(
    'DURATION',
    Option.String('--interval', '30s', { description: 'Time between cycles, e.g. 30s (default), 500ms or 5m' }),
  );
  once = Option.Boolean('--once', false, {
    description: 'Run one cycle and exit (0: in sync with the branch, 1: not)',
  });
  workdir = valueNamed(
    'DIR',
    Option.String('--workdir', { description: 'Where to keep the checkout (default: under .dgate-cli/reconcile/)' }),
  );
  statusFile = valueNamed(
    'FILE',
    Option.String('--status-file', {
      description: "Write the loop's status here as JSON after every cycle (for monitoring)",
    }),
  );
  listen = valueNamed(
    'HOST:PORT',
    Option.String('--listen', {
      description: 'Serve GET /status, GET /healthz and POST /hook (a cycle now) on HOST:PORT, e.g. 127.0.0.1:9090',
    }),
  );
  configPath = Option.String({ required: false, name: 'path' });
  selectTag = selectTagOption();
  lockTimeout = lockTimeoutOption();
  keepReleases = keepReleasesOption();
  target = targetOption();
  allTargets = allTargetsOption();
  at = atOption();
  refreshSecrets = refreshSecretsOption();
  refresh = refreshOption();
  allowProtected = allowProtectedOption();
  allowMassDelete = allowMassDeleteOption();
  overrideWindow = overrideWindowOption();
  resume = Option.Boolean('--resume', false, {
    description:
      'End the hold a rollback by hand put reconcilers of this cluster on (--admin or DGATE_ADMIN_URL), and exit',
  });
  pklEnv = pklEnvOption();
  pklTimeout = pklTimeoutOption();
  // reconcile never asks: following the branch is the approval. Accepted for scripts that pass it.
  autoApprove = Option.Boolean('--auto-approve', true, { hidden: true });

  private stopping = false;
  /** Set by SIGHUP: the next cycle starts without waiting (also when the signal came mid-cycle). */
  private cycleNow = false;
  private wake?: AbortController;
  private lastStatus?: ReconcileStatus;

  protected override async run(): Promise<number> {
    if (this.resume) return this.resumeFollowing();
    if (!this.repo)
      throw new DgateError({
        code: 'DG0001',
        message: 'dgate-cli reconcile needs --repo',
        hint: 'name the git repository to follow, e.g. --repo https://git.example.com/gateway.git',
      });
    const repo = this.repo;
    const url = followedRepoUrl(repo);
    const intervalMs = parseFlagDuration(this.interval, '--interval');
    if (intervalMs < 100)
      throw new DgateError({
        code: 'DG0001',
        message: `--interval ${this.interval} is shorter than 100ms`,
        hint: 'every cycle fetches the branch and reads the cluster: give it some room, e.g. --interval 30s',
      });
    const workdir = path.resolve(
      this.workdir ??
        path.join(
          stateDirectory(),
          'reconcile',
          createHash('sha256').update(`${url}#${this.branch}`).digest('hex').slice(0, 16),
        ),
    );
    const state: FollowState = {};
    if (this.once) return this.cycleWithStatus(url, workdir, state);
    const stop = () => {
      this.stopping = true;
      this.wake?.abort();
    };
    // SIGHUP starts a cycle now (a push hook can send it) instead of at the end of the interval.
    const now = () => {
      this.cycleNow = true;
      this.wake?.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', now);
    this.log(`following ${this.branch} of ${shownRepoUrl(repo)} every ${this.interval}`);
    const server = this.listen ? await this.serve(this.listen, now) : undefined;
    try {
      while (!this.stopping) {
        // One cycle's failure (the repository or the cluster unreachable) is reported; the loop goes on.
        await this.cycleWithStatus(url, workdir, state).catch((err) => this.fail(err));
        if (this.stopping) break;
        if (!this.cycleNow) {
          this.wake = new AbortController();
          await sleep(intervalMs, undefined, { signal: this.wake.signal }).catch(() => undefined);
        }
        this.cycleNow = false;
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.off('SIGHUP', now);
      server?.close();
      server?.closeAllConnections();
    }
    this.log('stopped');
    return ExitCode.OK;
  }

  /**
   * The loop's HTTP face: GET /status (the --status-file document), GET /healthz (200 while the
   * cluster is held at a commit that checked: synced or held; 503 before the first cycle and after
   * a failed one) and POST /hook, which starts a cycle now, as a git host's push webhook would:
   * signed by GitHub or GitLab with $DGATE_CLI_HOOK_SECRET, judged by ci/webhook-auth.ts.
   */
  private async serve(listen: string, cycleNow: () => void): Promise<Server> {
    const m = /^(.*):(\d+)$/.exec(listen);
    if (!m)
      throw new DgateError({
        code: 'DG0001',
        message: `--listen '${listen}' is not HOST:PORT`,
        hint: 'e.g. --listen 127.0.0.1:9090 (0.0.0.0 to listen on every interface)',
      });
    // DGATE_CLI_HOOK_TOKEN is the name the secret had when /hook took only a bearer token.
    const secret = process.env[hookSecretEnv] || process.env.DGATE_CLI_HOOK_TOKEN;
    let loopback = false;
    const server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(`${heldSecrets.redact(JSON.stringify(body))}\n`);
      };
      const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
      if (route === 'GET /status') return send(this.lastStatus ? 200 : 503, this.lastStatus ?? { state: 'starting' });
      if (route === 'GET /healthz') {
        const healthy = this.lastStatus?.state === 'synced' || this.lastStatus?.state === 'held';
        return send(healthy ? 200 : 503, { state: this.lastStatus?.state ?? 'starting' });
      }
      if (route === 'POST /hook') {
        // The raw body, as signed: GitHub's push payloads stay well under its 25 MB cap.
        const chunks: Buffer[] = [];
        let size = 0;
        req.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 25 * 1024 * 1024) chunks.push(chunk);
        });
        req.on('end', () => {
          if (size > 25 * 1024 * 1024) return send(413, { error: 'the body is larger than 25 MB' });
          const verdict = judgeHook(
            { headers: req.headers, body: Buffer.concat(chunks) },
            { secret, loopback, branch: this.branch },
          );
          if (verdict.cycle) cycleNow();
          send(verdict.status, verdict.body);
        });
        return;
      }
      return send(404, { error: 'GET /status, GET /healthz or POST /hook' });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new DgateError({
            code: 'DG0001',
            message: `cannot listen on ${listen}: ${err.code ?? err.message}`,
            hint: 'choose a free port, or another address',
          }),
        ),
      );
      server.listen(Number(m[2]), m[1]!.replace(/^\[|\]$/g, ''), resolve);
    });
    const address = server.address() as AddressInfo;
    loopback = isLoopbackAddress(address.address);
    if (!secret && !loopback)
      this.log(`POST /hook refuses every request: set $${hookSecretEnv} (and the same secret in the webhook)`);
    this.log(
      `listening on http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    );
    return server;
  }

  /** A cycle, then its outcome in --status-file (written whole, then renamed into place). */
  private async cycleWithStatus(url: string, workdir: string, state: FollowState): Promise<number> {
    let code: number;
    let failure: unknown;
    const outsideWindowBefore = state.hold?.reason === 'window';
    if (outsideWindowBefore) state.hold = undefined;
    try {
      code = await this.cycle(url, workdir, state);
    } catch (err) {
      code = ExitCode.ERROR;
      if (err instanceof DgateError && err.code === 'DG3015') {
        // Outside the change windows the loop holds, and says so once: neither a commit nor drift is applied.
        state.hold = { reason: 'window', message: err.message };
        if (!outsideWindowBefore) {
          this.reportError(err, 'reconcile');
          await this.notifyHeld(state, err);
        }
      } else failure = err;
    }
    const status: ReconcileStatus = {
      format: 'dgate-cli/reconcile-status@1',
      repo: shownRepoUrl(this.repo ?? ''),
      branch: this.branch,
      state: failure ? 'error' : state.hold ? 'held' : code === ExitCode.OK ? 'synced' : state.good ? 'held' : 'error',
      newestCommit: state.seen ?? null,
      appliedCommit: state.reportedInSync ?? null,
      cycleAt: new Date().toISOString(),
      lastChangeAt: state.lastChangeAt ?? null,
      ...(state.hold ? { hold: state.hold } : {}),
      ...errorOf(failure ?? state.refused),
    };
    this.lastStatus = status;
    if (this.statusFile) {
      const tmp = `${this.statusFile}.tmp`;
      await writeFile(tmp, `${heldSecrets.redact(JSON.stringify(status, null, 2))}\n`);
      await rename(tmp, this.statusFile);
    }
    if (failure) throw failure;
    return code;
  }

  /** One fetch, check, plan and (when needed) apply. Returns 0 when the cluster matches the newest commit. */
  private async cycle(url: string, workdir: string, state: FollowState): Promise<number> {
    let commit: string;
    try {
      commit = await checkoutBranchHead(url, this.branch, workdir);
    } catch (err) {
      // The repository is out of reach: the cluster is still held at the last good commit.
      if (state.good) await this.applyGood(state.good, state).catch((e) => this.fail(e));
      throw err;
    }
    const short = commit.slice(0, 7);
    const configDir = path.join(workdir, this.configPath ?? '.');
    const display = this.configAt(commit);
    if (commit !== state.seen) {
      state.seen = commit;
      if (state.hold?.reason === 'mass-delete') state.hold = undefined;
      const checked = await readCheckedConfig(configDir, undefined, pklOptionsFrom(this.pklEnv, this.pklTimeout));
      if (errorsIn(checked.diagnostics).length > 0) {
        this.reportDiagnostics(checked.diagnostics, display, 'applied');
        const holding = state.good ? `; holding the cluster at ${state.good.commit.slice(0, 7)}` : '';
        state.refused = new DgateError({
          code: 'DG3102',
          message: `commit ${short} of ${this.branch} does not check, so it is not applied${holding}`,
          hint: 'fix the config on the branch; the next commit is picked up at the next cycle',
        });
        this.reportError(state.refused, 'reconcile');
      } else {
        state.refused = undefined;
        if (checked.diagnostics.length > 0) this.reportDiagnostics(checked.diagnostics, display, 'applied');
        const previous = state.good;
        state.good = { commit, checked };
        try {
          const code = await this.applyGood(state.good, state);
          return code === ExitCode.OK && !state.hold ? ExitCode.OK : ExitCode.ERROR;
        } catch (err) {
          if (!(err instanceof DgateError) || err.code !== 'DG3014') throw err;
          // A commit that would delete too much (an emptied file) is held off, as one that does not
          // check: the cluster stays at the commit before it, drift healed towards that.
          state.good = previous;
          // The closing line names the held-off commit once, on the cycle that holds it.
          state.reportedInSync = undefined;
          state.hold = { reason: 'mass-delete', commit, message: `commit ${short} is held off: ${err.message}` };
          const held = new DgateError({
            code: 'DG3103',
            message: `commit ${short} of ${this.branch} is not applied, and the loop holds ${previous ? `the cluster at ${previous.commit.slice(0, 7)}` : 'the cluster as it is'}: ${err.message}`,
            hint: 'if the deletes are meant, apply them once with `dgate-cli apply --allow-mass-delete` (or raise settings.maxDeletes); the next commit is picked up at the next cycle',
          });
          this.reportError(held, 'reconcile');
          await this.notifyHeld({ ...state, good: { commit, checked } }, held);
        }
      }
    }
    const good = state.good;
    if (!good) return ExitCode.ERROR;
    const code = await this.applyGood(good, state);
    return code === ExitCode.OK && good.commit === commit && !state.hold ? ExitCode.OK : ExitCode.ERROR;
  }

  /**
   * One move of each canary in progress (pipeline/canary-rollout.ts advanceRollout): a weight
   * step, the start of a pause, a check that is due, the promotion or the abort. The loop's next
   * cycle makes the next move; an abort returns the cluster to the release before the canary,
   * which holds the loop as a rollback by hand does.
   */
  private async advanceCanaries(
    client: AdminClient,
    records: CanaryRollout[],
    io: RolloutIo,
  ): Promise<CanaryRollout[]> {
    const out: CanaryRollout[] = [];
    for (const record of records) {
      if (record.status !== 'progressing') {
        out.push(record);
        continue;
      }
      const move = await advanceRollout(client, await metricsNodes(client), record, io);
      out.push(move.record);
      if (move.outcome === 'aborted')
        this.log(`canary ${record.namespace}/${record.route} aborted: ${move.record.reason}`);
      if (move.outcome === 'promoted') this.log(`canary ${record.namespace}/${record.route} promoted`);
    }
    return out;
  }

  /** How each cycle applies: as `apply --auto-approve` would, with this command's flags. */
  private applyOptions(): ApplyOptions {
    return {
      selectTags: this.selectTag,
      refreshSecrets: this.refreshSecrets,
      refresh: this.refresh,
      allowProtected: this.allowProtected,
      allowMassDelete: this.allowMassDelete,
      ...(this.overrideWindow !== undefined ? { overrideWindow: this.overrideWindow } : {}),
      keepReleases: Number(this.keepReleases),
      identities: () => this.ageIdentities(),
    };
  }

  /** The config at a commit, as output names it: main@1a2b3c4:gateway. */
  private configAt(commit: string): string {
    return `${this.branch}@${commit.slice(0, 7)}${this.configPath ? `:${this.configPath}` : ''}`;
  }

  /**
   * Plans every chosen target against the last good commit, and applies where anything differs.
   * Everything it prints names that commit, the one the cluster is brought to, even while a newer
   * one that does not check is held off.
   */
  private async applyGood(good: NonNullable<FollowState['good']>, state: FollowState): Promise<number> {
    const { checked, commit } = good;
    const short = commit.slice(0, 7);
    const display = this.configAt(commit);
    const chosen = chooseTargets(checked.config, { target: this.target, allTargets: this.allTargets }, 'write');
    // Fleet waves: the canary targets first; the rest start a canary only once it is promoted there.
    const waves = inWaves(chosen);
    const targets = [...waves.canary, ...waves.rest];
    let waveHold: string | undefined;
    const at = evaluationInstant(this.at);
    const lockTimeoutMs = parseFlagDuration(this.lockTimeout, '--lock-timeout');
    let changed = false;
    let rollbackHold: RollbackHold | undefined;
    for (const target of targets) {
      const client = await connectTarget(
        target,
        connectionOf(target, this.connectionFlags(), checked.input.root, process.env, targets.length),
      );
      const code = await this.underApplyLock(
        `reconcile ${shownRepoUrl(this.repo ?? '')}#${this.branch}`,
        lockTimeoutMs,
        async (c, lock, interrupt) => {
          // An apply this loop (or anyone) left interrupted is rolled back first, as `recover` does:
          // a daemon restarted after a crash heals that too.
          const recovered = await rollBackInterrupted(
            c,
            new JournalStore(stateDirectory(), c.baseUrl),
            this.printApplyEvent,
          );
          if (recovered?.completed !== undefined) {
            this.log(
              `apply ${recovered.applyId} had finished (release ${recovered.completed}); cleared the mark it left`,
            );
          } else if (recovered) {
            this.log(`rolled back apply ${recovered.applyId}, interrupted since ${recovered.startedAt}`);
            if (!recovered.equal) {
              throw new DgateError({
                code: 'DG3004',
                message: `rolled back an interrupted apply, but the cluster still differs from its state before it:\n${recovered.differences.map((d) => `    ${d}`).join('\n')}`,
                hint: '`dgate-cli plan` shows them; the next cycle applies the branch over them',
              });
            }
          }
          // A rollback made by hand is not undone: drift is healed towards the release it returned to.
          const releases = await readReleases(c);
          const hold = findRollbackHold(releases, commit);
          if (hold) {
            rollbackHold = hold;
            const notify = createNotifier(notifyTargets(checked.config), {
              root: checked.input.root,
              identities: () => this.ageIdentities(),
              warn: (line) => this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`),
            });
            if (state.hold?.reason !== 'rollback' || state.hold.release !== hold.release) {
              this.log(
                `held: ${describeRollbackHold(hold)}; not applying ${display} until a new commit arrives on ${this.branch} or \`dgate-cli reconcile --resume\``,
              );
              await notify({
                event: 'reconcile-held',
                cluster: c.baseUrl,
                release: hold.release,
                rolledBackTo: hold.rolledBackTo,
                error: { code: 'DG3103', message: describeRollbackHold(hold) },
              });
            }
            const to =
              releases.find((r) => r.number === hold.rolledBackTo && !r.voided) ??
              releases.find((r) => r.number === hold.release);
            if (!to) return ExitCode.OK;
            await returnToRelease(c, to, {
              identities: await this.ageIdentities(),
              interrupt,
              // Where it writes: the same as apply's (out, warn, style, progress).
              ...this.applyIo(),
              quietWhenInSync: true,
              approved: () => true,
              heldFor: hold.release,
              notify,
              onChanges: (plan) => {
                changed = true;
                this.log(
                  `drift: ${plural(plan.changes.length, 'change')} to ${plan.cluster.adminUrl}, healed towards release ${hold.rolledBackTo} (held)`,
                );
              },
            });
            return ExitCode.OK;
          }
          // Canaries with steps: one move each per cycle, and no new canary while another runs here.
          const canaries = declaredRollouts(checked.config);
          const records = await readRollouts(c);
          const running = records.filter((r) => r.status === 'progressing');
          const starting = canaries.filter(
            (d) =>
              !records.some((r) => r.namespace === d.namespace && r.route === d.route && r.identity === d.identity),
          );
          const rolloutIo = { ...this.applyIo(), identities: await this.ageIdentities(), signal: interrupt };
          if (!isCanaryTarget(target) && waveHold !== undefined && starting.length > 0) {
            this.log(
              `held: ${waveHold}; commit ${short} starts canary ${starting.map((d) => `${d.namespace}/${d.route}`).join(', ')} on ${target.name} after that`,
            );
            await this.advanceCanaries(c, running, rolloutIo);
            return ExitCode.OK;
          }
          if (running.length > 0 && starting.length > 0) {
            this.log(
              `held: canary ${running.map((r) => `${r.namespace}/${r.route}`).join(', ')} is running on ${c.baseUrl}; commit ${short} starts canary ${starting.map((d) => `${d.namespace}/${d.route}`).join(', ')} after it ends`,
            );
            await this.advanceCanaries(c, running, rolloutIo);
            return ExitCode.OK;
          }
          const baseRelease = starting.length > 0 ? effectiveReleases(releases).at(-1)?.number : undefined;
          const proxies = target.spec?.proxy ?? [];
          requireProbeProxies(starting, proxies);
          await requirePrometheus(starting);
          const applied = await applyTarget(
            c,
            lock,
            {
              checked,
              configSource: display,
              target,
              at,
              git: { commit, dirty: false },
              quietWhenInSync: true,
              interrupt,
              // Drift: the cluster's newest release is this very commit (a restarted or --once loop knows it so).
              drift: state.reportedInSync === commit || effectiveReleases(releases).at(-1)?.git?.commit === commit,
              onChanges: (plan) => {
                state.cluster = plan.cluster.adminUrl;
                changed = true;
                const why = state.reportedInSync === commit ? 'drift' : `commit ${short}`;
                this.log(
                  `${why}: ${plural(plan.changes.length, 'change')} to ${plan.cluster.adminUrl}${target.spec ? ` (target ${target.name})` : ''}`,
                );
              },
            },
            this.applyOptions(),
            this.applyIo(),
          );
          if (applied !== ExitCode.OK || canaries.length + running.length === 0) return applied;
          const version = (await readReleases(c)).filter((r) => !r.voided).at(-1)?.desiredVersion ?? '';
          const inProgress = await recordStarted(
            c,
            canaries,
            { desiredVersion: version, baseRelease, proxies },
            new Date(),
          );
          const others = running.filter(
            (r) => !inProgress.some((x) => x.namespace === r.namespace && x.route === r.route),
          );
          await this.advanceCanaries(c, [...inProgress, ...others], rolloutIo);
          const after = await readRollouts(c);
          // A canary of this commit not promoted on a canary target holds the rest of the fleet.
          const unpromoted = canaries.filter(
            (d) =>
              !after.some(
                (r) =>
                  r.namespace === d.namespace &&
                  r.route === d.route &&
                  r.identity === d.identity &&
                  r.status === 'promoted',
              ),
          );
          if (isCanaryTarget(target) && unpromoted.length > 0 && waves.rest.length > 0)
            waveHold = `canary ${unpromoted.map((d) => `${d.namespace}/${d.route}`).join(', ')} is not promoted on canary target ${target.name}`;
          return ExitCode.OK;
        },
        // The loop stops after the cycle under way on SIGINT or SIGTERM; --once is stopped as apply is.
        { client, recovering: true, ownSignalHandling: !this.once },
      );
      if (code !== ExitCode.OK) return code;
    }
    if (changed) state.lastChangeAt = new Date().toISOString();
    if (rollbackHold) {
      state.hold = { reason: 'rollback', message: describeRollbackHold(rollbackHold), ...rollbackHold };
      return ExitCode.OK;
    }
    if (state.hold?.reason === 'rollback') {
      this.log(`hold ended: following ${this.branch} again`);
      state.hold = undefined;
      state.reportedInSync = undefined;
    }
    // While held, the newer commit is named once, where the cluster is said to be in sync (its errors were shown when it came).
    const why = state.hold?.reason === 'mass-delete' ? 'would delete too much' : 'does not check';
    const heldOff =
      state.seen !== undefined && state.seen !== commit
        ? `; ${this.configAt(state.seen)}, newer, ${why} and is held off`
        : '';
    if (changed || state.reportedInSync !== commit) this.log(`in sync with ${display}${heldOff}`);
    state.reportedInSync = commit;
    return ExitCode.OK;
  }

  /**
   * `reconcile --resume`: marks the rollback that holds reconcilers of the cluster as resumed, so
   * that they apply their branch again at their next cycle.
   */
  private resumeFollowing(): Promise<number> {
    return this.underApplyLock(
      'reconcile --resume',
      parseFlagDuration(this.lockTimeout, '--lock-timeout'),
      async (client) => {
        const releases = effectiveReleases(await readReleases(client));
        const latest = releases.at(-1);
        const manual =
          latest?.heldFor !== undefined ? (releases.find((r) => r.number === latest.heldFor) ?? latest) : latest;
        if (latest?.kind !== 'rollback' || !manual || manual.resumed) {
          this.context.stdout.write(
            `Nothing to resume: the newest release of ${client.baseUrl} is not a rollback that holds reconcilers.\n`,
          );
          return ExitCode.OK;
        }
        await markResumed(client, manual, currentActor(process.env), new Date());
        this.context.stdout.write(
          `Resumed: reconcilers of ${client.baseUrl} apply their branch again at their next cycle (release ${manual.number}, ${manual.appliedBy}'s rollback to release ${manual.rolledBackTo}, no longer holds them).\n`,
        );
        return ExitCode.OK;
      },
    );
  }

  /** Tells the webhooks of the config being followed that a hold began. */
  private async notifyHeld(state: FollowState, err: DgateError): Promise<void> {
    const checked = state.good?.checked;
    if (!checked) return;
    const notify = createNotifier(notifyTargets(checked.config), {
      root: checked.input.root,
      identities: () => this.ageIdentities(),
      warn: (line) => this.context.stderr.write(`${this.errStyle.yellow('warning:')} ${line}\n`),
    });
    await notify({
      event: 'reconcile-held',
      cluster: state.cluster ?? 'the cluster',
      ...(state.good ? { commit: state.good.commit } : {}),
      error: { code: err.code, message: err.message },
    });
  }

  private log(line: string): void {
    this.context.stdout.write(`${this.style.dim(new Date().toISOString())} ${line}\n`);
  }
}

function errorOf(err: unknown): Pick<ReconcileStatus, 'error'> {
  if (!err) return {};
  if (err instanceof DgateError) return { error: { code: err.code, message: err.message } };
  return { error: { code: 'DG9001', message: err instanceof Error ? err.message : String(err) } };
}
