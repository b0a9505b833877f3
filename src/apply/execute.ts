import type { LiveRead } from '../model/api-types.js';
import type { AdminClient } from '../cluster/client.js';
import { diffResources, type Change } from '../diff/diff.js';
import { sensitiveMask } from '../secrets/redact.js';
import { DgateError } from '../errors/dgate-error.js';
import { kinds, type AnyResource, type KindKey } from '../model/registry.js';
import { isTombstone, tombstoneDescription } from '../model/tombstones.js';
import type { ExecutablePlan } from '../plan/plan.js';
import type { LiveResources } from '../state/live-state.js';
import { JournalWave, stepRecord, undoRecord, type JournalRecord } from './journal.js';
import { type AdminRequest, deleteRequest, putBodyRequest } from '../cluster/admin-api.js';
import {
  compareWithPre,
  verifyDiffInput,
  indexResources,
  lostModules,
  namespacesToDelete,
  planUndo,
  type TombstoneWrite,
  type Touched,
} from './restore.js';
import { buildSteps, wavesOf, type Step } from './steps.js';

export type ApplyEvent =
  /** The apply begins its steps (after every sensitive value resolved), and how many there are. */
  | { type: 'begin'; steps: number }
  /** The apply is over: applied, or rolled back (a rollback that cannot finish throws instead). */
  | { type: 'end'; outcome: 'applied' | 'rolled-back' }
  | { type: 'step'; step: Step; state: 'start' | 'done' | 'failed'; error?: string }
  | { type: 'phase'; phase: 'verifying' | 'final' | 'rolling-back' | 'checking-restore' }
  /** `tombstone`: on raft, what the apply created is neutralised instead of deleted (model/tombstones.ts). */
  | { type: 'undo'; change: Change; state: 'start' | 'done' | 'failed'; error?: string; tombstone?: true };

/** What apply needs from the world: the cluster, the journal, sensitive values, and an ear for progress. */
export interface ApplyContext {
  client: AdminClient;
  /**
   * Writes records to the journal as one commit (apply/journal.ts). Synced to disk before it
   * resolves unless `sync` is false, which only a commit that closes a wave uses: nothing is sent
   * on its strength, and the next synced commit puts it on disk too.
   */
  commitJournal: (records: readonly JournalRecord[], opts?: { sync?: boolean }) => Promise<void>;
  readLive: () => Promise<{ read: LiveRead; live: LiveResources }>;
  /** The plaintext a desired sensitive field resolves to (secret data, domain key); memory only. */
  resolveSensitive: (kind: KindKey, resource: AnyResource, field: string) => Promise<string>;
  onEvent: (event: ApplyEvent) => void;
  concurrency: number;
  /** The tag that records a secret value's keyed hash, or undefined without a hash key. */
  secretHashTag?: (value: string) => string | undefined;
  /** Writes of ours made outside the steps while they run (lock lease renewals). */
  ownWritesElsewhere?: () => number;
  now: () => Date;
  newId: () => string;
  /** Masks every sensitive value the process holds in a text from the server. */
  redact: (text: string) => string;
  /**
   * The release record, written as a step of the transaction: after the cluster is verified and
   * before anything that cannot be undone. A failure to write it rolls the apply back; a rollback
   * after it was written (or perhaps written) voids it.
   */
  release?: { number: number; describe: string; write: () => Promise<void>; void: (reason: string) => Promise<void> };
  /**
   * Asked before every step: once aborted, no new step is sent, the steps in flight finish, and
   * what was done is rolled back as after a failed step. Its reason (a string, e.g. "interrupted
   * by SIGINT") is the failure reported. Whoever aborts it decides why (a signal, a deadline).
   */
  signal?: AbortSignal;
}

export interface RestoreReport {
  /** True when a fresh read of every touched resource equals what it was before the apply. */
  equal: boolean;
  /** Resources that still differ from their state before, with why. */
  differences: string[];
}

export type ApplyResult =
  /** `foreignWrites`: writes another client made while the apply ran (single nodes only; raft nodes count differently). */
  | { outcome: 'applied'; applyId: string; steps: number; foreignWrites?: number }
  | {
      outcome: 'rolled-back';
      applyId: string;
      failure: string;
      failedStep?: Step;
      restore: RestoreReport;
      /** When the release record had been written (or perhaps written): whether it was voided, or why not. */
      releaseVoided?: true | string;
      /** Set when the apply stopped because `ctx.signal` asked it to, not because something failed. */
      interrupted?: true;
    };

class StepFailure extends Error {
  constructor(
    readonly step: Step | undefined,
    message: string,
    /** What the journal records of the failure: the server's answer, without the step named. */
    readonly detail: string = message,
  ) {
    super(message);
  }
}

/** The apply stopped because `ctx.signal` asked it to: rolled back as after a failed step. */
class Interruption extends StepFailure {
  constructor(signal: AbortSignal) {
    super(undefined, typeof signal.reason === 'string' ? signal.reason : 'interrupted');
  }
}

function stopIfAsked(ctx: ApplyContext): void {
  if (ctx.signal?.aborted) throw new Interruption(ctx.signal);
}

/**
 * Steps that cannot be undone run last, after everything else is verified: changing or deleting
 * a secret (DGate never gives its value back), creating a collection (DGate cannot delete one),
 * with the documents that go into it, and writing a document of a private collection (DGate
 * never gives it back either).
 */
function irreversibleSteps(steps: readonly Step[], changes: readonly Change[]): Set<Step> {
  const out = new Set<Step>();
  const newContainers = new Set<string>();
  for (const s of steps) {
    // A document DGate will not return cannot be read back to verify, nor its old data restored.
    if (changes[s.index]?.fields.some((f) => f.unreadable)) out.add(s);
    const action = s.action === 'recreate' ? 'update' : s.action;
    if (kinds[s.kind].irreversible[action]) out.add(s);
    if (s.action === 'create' && kinds[s.kind].irreversible.create) newContainers.add(`${s.kind}:${s.id}`);
  }
  // What goes into a new resource that cannot be deleted again (a new collection's documents) waits with it.
  for (const s of steps) {
    const container = kinds[s.kind].containedIn;
    if (container && newContainers.has(`${container}:${s.id.split('/').slice(0, 2).join('/')}`)) out.add(s);
  }
  return out;
}

function maskRequest(kind: KindKey, req: AdminRequest): AdminRequest {
  if (!req.body || typeof req.body !== 'object' || kind === 'documents') return req;
  const body = { ...(req.body as Record<string, unknown>) };
  for (const f of kinds[kind].sensitive) if (body[f] !== undefined) body[f] = sensitiveMask;
  return { ...req, body };
}

async function runPool<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length && !stop()) await work(items[next++]!);
    }),
  );
}

/**
 * Applies a plan as one transaction: every step journaled before it is sent, in dependency waves;
 * a read-back compared with the desired state; and on any failure, the steps already made undone
 * and the cluster read again to prove it equals its state before. Changes that cannot be undone
 * (a secret's value, which DGate never returns) run last, after everything else is verified.
 */
export async function applyPlan(planned: ExecutablePlan, ctx: ApplyContext): Promise<ApplyResult> {
  const input = {
    desired: planned.desired,
    scope: planned.plan.scope,
    changes: planned.plan.changes,
    pre: planned.pre,
  };
  const applyId = ctx.newId();
  const desiredOf = indexResources(input.desired.resources);
  const preOf = indexResources(input.pre.live);
  const steps = buildSteps(input.changes, desiredOf, preOf);
  const recreated = steps.filter((s) => s.action === 'recreate');
  if (input.pre.read.raft && recreated.length > 0) {
    throw new DgateError({
      code: 'DG3010',
      message: `${recreated.map((s) => `route ${s.id}${input.changes[s.index]?.replacesTombstone ? ` (a tombstone a failed apply left, still linked to ${lostModules(preOf('routes', s.id), s.resource).join(', ')})` : ''}`).join(', ')} would lose a module or its service, which DGate v0.11 can only do by deleting and putting the route again, and raft leaders break on deletes`,
      hint: 'nothing was changed; keep the module on the route for now, or make the change on a single-node DGate',
    });
  }
  const touched = steps.map((s) => ({ kind: s.kind, id: s.id }));
  // Every sensitive value the steps send is resolved now, before the first write: a missing one
  // stops the apply with nothing changed.
  const resolved = new Map<Step, Record<string, unknown>>();
  for (const step of steps) {
    if (!step.resource) continue;
    const fields = kinds[step.kind].sensitive.filter(
      (f) => (step.resource as unknown as Record<string, unknown>)[f] !== undefined,
    );
    if (fields.length === 0) continue;
    const values: Record<string, unknown> = {};
    for (const f of fields) values[f] = await ctx.resolveSensitive(step.kind, step.resource, f);
    // A secret carries the keyed hash of its value in a tag of ours, for the next plan to compare.
    const hashTag = step.kind === 'secrets' ? ctx.secretHashTag?.(values.data as string) : undefined;
    if (hashTag) values.tags = [...((step.resource as { tags?: string[] }).tags ?? []), hashTag];
    resolved.set(step, values);
  }
  await ctx.commitJournal([
    {
      type: 'begin',
      applyId,
      startedAt: ctx.now().toISOString(),
      adminUrl: ctx.client.baseUrl,
      desiredVersion: input.desired.version,
      scope: input.scope,
      preState: input.pre.live,
      touched,
      steps: steps.map((s) => ({
        index: s.index,
        action: s.action,
        kind: s.kind,
        id: s.id,
        requests: s.requests.map((r) => maskRequest(s.kind, r)),
      })),
      desiredState: input.desired,
    },
  ]);

  // DGate's change-log count rises by one for every write a single node applies: more than ours
  // means someone else wrote while we did.
  const countBefore = input.pre.read.raft ? undefined : await changeCount(ctx.client);
  const renewalsBefore = ctx.ownWritesElsewhere?.() ?? 0;
  const ourWrites = { count: 0, done: [] as Step[] };
  let releaseAttempted = false;
  const irreversible = irreversibleSteps(steps, input.changes);
  const reversible = steps.filter((s) => !irreversible.has(s));
  const final = steps.filter((s) => irreversible.has(s));
  // What was sent, and what of it was undone: a rollback that cannot finish names the rest.
  const sent = new Map<string, Step>();
  const undone = new Set<string>();
  const tracking: ApplyContext = {
    ...ctx,
    onEvent: (e) => {
      if (e.type === 'step' && e.state === 'start') sent.set(`${e.step.kind}:${e.step.id}`, e.step);
      if (e.type === 'undo' && e.state === 'done') undone.add(`${e.change.kind}:${e.change.id}`);
      ctx.onEvent(e);
    },
  };
  ctx.onEvent({ type: 'begin', steps: steps.length });
  try {
    await runSteps(reversible, tracking, resolved, ourWrites);
    stopIfAsked(ctx);
    await ctx.commitJournal([{ type: 'phase', phase: 'verifying' }]);
    ctx.onEvent({ type: 'phase', phase: 'verifying' });
    const drift = await verify(planned, ctx, new Set(final.map((s) => `${s.kind}:${s.id}`)));
    if (drift.length > 0)
      throw new StepFailure(
        steps[0]!,
        `the cluster read back differs from the desired state: ${drift.slice(0, 5).join('; ')}`,
      );
    stopIfAsked(ctx);
    if (ctx.release) {
      await ctx.commitJournal([{ type: 'phase', phase: 'recording', release: ctx.release.number }]);
      // From here on a rollback must void the record: a write whose answer was lost may have landed.
      releaseAttempted = true;
      try {
        await ctx.release.write();
        ourWrites.count++;
      } catch (err) {
        throw new StepFailure(
          undefined,
          `the release record (${ctx.release.describe}) could not be written: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    if (final.length > 0) {
      await ctx.commitJournal([{ type: 'phase', phase: 'final' }]);
      ctx.onEvent({ type: 'phase', phase: 'final' });
      await runSteps(final, tracking, resolved, ourWrites);
    }
    await ctx.commitJournal([{ type: 'end', outcome: 'applied' }]);
    const countAfter = countBefore === undefined ? undefined : await changeCount(ctx.client);
    const ours = ourWrites.count + (ctx.ownWritesElsewhere?.() ?? 0) - renewalsBefore;
    const foreignWrites =
      countBefore !== undefined && countAfter !== undefined ? Math.max(0, countAfter - countBefore - ours) : undefined;
    ctx.onEvent({ type: 'end', outcome: 'applied' });
    return { outcome: 'applied', applyId, steps: steps.length, foreignWrites };
  } catch (err) {
    const failure = err instanceof StepFailure ? err : undefined;
    const message = failure?.message ?? (err instanceof Error ? err.message : String(err));
    await ctx.commitJournal([{ type: 'phase', phase: 'rolling-back' }]);
    ctx.onEvent({ type: 'phase', phase: 'rolling-back' });
    let restore: RestoreReport;
    try {
      restore = await restorePreState(input.pre, touched, tracking, (kind, id, field) =>
        preSensitive(input.pre.read, kind, id, field),
      );
    } catch (restoreError) {
      // The journal stays unfinished: `recover` picks it up once the node answers again.
      if (!(restoreError instanceof DgateError)) throw restoreError;
      const left = [...sent]
        .filter(([key]) => !undone.has(key))
        .map(([, s]) => `${s.action} ${kinds[s.kind].singular} ${s.id}`);
      if (releaseAttempted && ctx.release)
        left.push(`${ctx.release.describe} (recorded, or perhaps recorded; recover marks it voided)`);
      throw rollbackStoppedError(ctx.client.baseUrl, message, restoreError, left);
    }
    // A read-back cannot see these: say so rather than call the cluster restored.
    const unrestorable = ourWrites.done.filter(
      (s) => s.kind === 'documents' && input.changes[s.index]?.fields.some((f) => f.unreadable),
    );
    if (unrestorable.length > 0) {
      restore = {
        equal: false,
        differences: [
          ...restore.differences,
          ...unrestorable.map(
            (s) =>
              `document ${s.id} was written and cannot be put back: DGate does not return documents of private collections`,
          ),
        ],
      };
    }
    let releaseVoided: true | string | undefined;
    if (releaseAttempted && ctx.release) {
      releaseVoided = await ctx.release.void(message).then(
        () => true as const,
        (voidError: unknown) => (voidError instanceof Error ? voidError.message : String(voidError)),
      );
    }
    await ctx.commitJournal([{ type: 'end', outcome: 'rolled-back', note: message }]);
    ctx.onEvent({ type: 'end', outcome: 'rolled-back' });
    return {
      outcome: 'rolled-back',
      applyId,
      failure: message,
      failedStep: failure?.step,
      restore,
      ...(releaseVoided !== undefined ? { releaseVoided } : {}),
      ...(err instanceof Interruption ? { interrupted: true as const } : {}),
    };
  }
}

/**
 * The rollback itself failed (the node died, or wedged, DG2004): the apply is left interrupted,
 * its journal unfinished, for `recover`. Says what was not undone, and what to run when.
 */
function rollbackStoppedError(
  adminUrl: string,
  message: string,
  cause: DgateError,
  left: readonly string[],
): DgateError {
  const why = cause.code === 'DG2004' ? `the node at ${adminUrl} stopped answering writes` : cause.message;
  const notUndone = left.length > 0 ? `not undone: ${left.join(', ')}` : 'every step was undone, but not checked';
  const next =
    'run `dgate-cli recover` to return the cluster to its state before this apply (or `dgate-cli recover --resume PATH` to finish it)';
  return new DgateError({
    code: cause.code,
    message: `${message}; then the rollback could not finish (${why}), so the apply is interrupted; ${notUndone}`,
    hint:
      cause.code === 'DG2004'
        ? `DGate v0.11 wedges after a write fails inside it: restart the node, then ${next}`
        : `once ${adminUrl} answers again, ${next}`,
    cause,
  });
}

async function changeCount(client: AdminClient): Promise<number | undefined> {
  const res = await client.send('GET', '/changelog').catch(() => undefined);
  const count =
    res && res.status === 200 && res.body && typeof res.body === 'object'
      ? (res.body as { count?: unknown }).count
      : undefined;
  return typeof count === 'number' ? count : undefined;
}

async function runSteps(
  steps: readonly Step[],
  ctx: ApplyContext,
  resolved: ReadonlyMap<Step, Record<string, unknown>>,
  writes: { count: number; done: Step[] },
): Promise<void> {
  let failed: StepFailure | undefined;
  for (const wave of wavesOf(steps)) {
    stopIfAsked(ctx);
    // Group commit: the whole wave is announced, on disk, before any of it is sent, and its
    // outcomes are written in one append once it is over.
    const journal = new JournalWave(wave, (step, state, error) => stepRecord(step.index, state, error));
    await ctx.commitJournal(journal.announce());
    await runPool(
      wave,
      ctx.concurrency,
      async (step) => {
        journal.start(step);
        try {
          await runStep(step, ctx, resolved.get(step), writes);
          journal.done(step);
        } catch (err) {
          const failure = err instanceof StepFailure ? err : new StepFailure(step, String(err));
          journal.failed(step, failure.detail);
          failed ??= failure;
        }
      },
      // Between steps too: once asked to stop, the steps in flight finish and no other starts.
      () => failed !== undefined || ctx.signal?.aborted === true,
    );
    await ctx.commitJournal(journal.close(), { sync: false });
    if (failed) throw failed;
  }
}

async function runStep(
  step: Step,
  ctx: ApplyContext,
  sensitive: Record<string, unknown> | undefined,
  writes: { count: number; done: Step[] },
): Promise<void> {
  ctx.onEvent({ type: 'step', step, state: 'start' });
  try {
    for (const req of step.requests) {
      const body =
        req.method === 'PUT' && sensitive && req.body && typeof req.body === 'object'
          ? { ...(req.body as Record<string, unknown>), ...sensitive }
          : req.body;
      await send(ctx.client, { ...req, body }, `${kinds[step.kind].singular} ${step.id}`, ctx.redact);
      writes.count++;
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.onEvent({ type: 'step', step, state: 'failed', error: message });
    throw new StepFailure(step, `${step.action} ${kinds[step.kind].singular} ${step.id} failed: ${message}`, message);
  }
  writes.done.push(step);
  ctx.onEvent({ type: 'step', step, state: 'done' });
}

async function send(
  client: AdminClient,
  req: AdminRequest,
  what: string,
  redact: (text: string) => string,
): Promise<void> {
  const res = await client.send(req.method, req.path, req.query ?? {}, req.body);
  if (res.status < 200 || res.status >= 300) {
    const apiError =
      res.body && typeof res.body === 'object' && 'error' in res.body
        ? String((res.body as { error: unknown }).error)
        : res.text.slice(0, 200);
    // Masked before it becomes a message: a server may echo the body, sensitive values included.
    throw new Error(
      `${req.method} ${req.path} for ${what} answered ${res.status}${apiError ? `: ${redact(apiError)}` : ''}`,
    );
  }
}

/** Reads the cluster back and lists what still differs from the plan's desired state (ignoring `skip`). */
async function verify(planned: ExecutablePlan, ctx: ApplyContext, skip: ReadonlySet<string>): Promise<string[]> {
  const { read, live } = await ctx.readLive();
  const diff = diffResources(verifyDiffInput(planned, read, live));
  return diff.changes
    .filter((c) => !skip.has(`${c.kind}:${c.id}`))
    .map(
      (c) =>
        `${c.action} ${kinds[c.kind].singular} ${c.id}${c.fields.length ? ` (${c.fields.map((f) => f.field).join(', ')})` : ''}`,
    );
}

/** The plaintext of a sensitive field as it was before the apply, from the raw pre-read (domain keys only). */
function preSensitive(read: LiveRead, kind: KindKey, id: string, field: string): string | undefined {
  if (kind === 'domains' && field === 'key')
    return read.domains.find((d) => `${d.namespace.name}/${d.name}` === id)?.key || undefined;
  return undefined;
}

/**
 * Returns every touched resource to its state in `pre`: reads the cluster, plans the undo from
 * what differs (apply/restore.ts, pure, so writes whose outcome was unknown are handled too), and
 * sends it. Then reads again and reports whether the touched resources equal `pre`.
 */
export async function restorePreState(
  pre: { live: LiveResources },
  touched: Touched,
  ctx: ApplyContext,
  preSensitiveValue: (kind: KindKey, id: string, field: string) => string | undefined,
): Promise<RestoreReport> {
  const compare = async () => {
    const { read, live } = await ctx.readLive();
    return compareWithPre(pre.live, read, live, touched);
  };
  const first = await compare();
  const undo = planUndo(pre.live, first, touched);
  const unrestorable = [...undo.unrestorable];
  for (const wave of undo.waves) {
    const journal = new JournalWave(wave, ({ step }, state, error) => undoRecord(step.kind, step.id, state, error));
    await ctx.commitJournal(journal.announce());
    await closingWave(journal, ctx, async () => {
      for (const item of wave) {
        const { step, change } = item;
        ctx.onEvent({ type: 'undo', change, state: 'start' });
        journal.start(item);
        try {
          for (const req of step.requests) {
            let body = req.body;
            if (req.method === 'PUT' && body && typeof body === 'object') {
              const out = { ...(body as Record<string, unknown>) };
              for (const f of kinds[step.kind].sensitive) {
                if (kinds[step.kind].requiredSensitive?.includes(f) || out[f] !== undefined) {
                  const value = preSensitiveValue(step.kind, step.id, f);
                  if (value === undefined) throw new Error(`its ${f} cannot be restored: DGate never returns it`);
                  out[f] = value;
                }
              }
              body = out;
            }
            await send(ctx.client, { ...req, body }, `${kinds[step.kind].singular} ${step.id}`, ctx.redact);
          }
          journal.done(item);
          ctx.onEvent({ type: 'undo', change, state: 'done' });
        } catch (err) {
          if (err instanceof DgateError && err.code === 'DG2004') throw err;
          const message = err instanceof Error ? err.message : String(err);
          unrestorable.push(`${kinds[step.kind].singular} ${step.id}: ${message}`);
          journal.failed(item, message);
          ctx.onEvent({ type: 'undo', change, state: 'failed', error: message });
        }
      }
    });
  }
  await leaveTombstones(undo.tombstones, ctx, unrestorable);
  // Created namespaces outlive the undo above; a fresh read is needed only when there are some.
  const current =
    first.createdNamespaces.length > 0 && !first.raft ? await compare() : { ...first, createdNamespaces: [] };
  const namespaces = namespacesToDelete(current);
  for (const name of namespaces.stay)
    unrestorable.push(`namespace ${name}: it still holds resources that cannot be removed, so it stays`);
  for (const name of namespaces.delete) {
    try {
      await send(ctx.client, deleteRequest('namespaces', { name }), `namespace ${name}`, ctx.redact);
    } catch (err) {
      unrestorable.push(`namespace ${name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  ctx.onEvent({ type: 'phase', phase: 'checking-restore' });
  const after = await compare();
  const afterOf = indexResources(after.live);
  // A created namespace left as a tombstone is listed with the other tombstones.
  const createdNamespacesLeft = after.createdNamespaces.filter((n) => !isTombstone(n));
  const differences = [
    ...unrestorable,
    ...after.changes
      .filter((c) => !unrestorable.some((u) => u.startsWith(`${kinds[c.kind].singular} ${c.id}:`)))
      .map((c) => `${kinds[c.kind].singular} ${c.id} still differs (${c.action})`),
    ...createdNamespacesLeft
      .filter((n) => !unrestorable.some((u) => u.startsWith(`namespace ${n.name}:`)))
      .map((n) => `namespace ${n.name} still exists`),
    ...after.stuck.map((b) => `${b.resource} was created and cannot be deleted (${b.reason})`),
    ...after.tombstones.map(
      (t) =>
        `${kinds[t.kind].singular} ${t.id} was created and cannot be deleted on raft: left as a tombstone (${tombstoneDescription(t.kind, afterOf(t.kind, t.id))})`,
    ),
  ];
  return {
    equal:
      after.changes.length === 0 &&
      createdNamespacesLeft.length === 0 &&
      after.stuck.length === 0 &&
      after.tombstones.length === 0,
    differences,
  };
}

/**
 * Neutralises what a failed apply created on a raft cluster, where no delete can be sent: each
 * resource is put again as its tombstone (model/tombstones.ts), so the gateway behaves as it did
 * before. Kinds without a tombstone (collections, documents) stay as they are and are reported by
 * the check that follows. A node that stops answering (DG2004) stops the rollback, as in the undo.
 */
async function leaveTombstones(
  tombstones: readonly TombstoneWrite[],
  ctx: ApplyContext,
  unrestorable: string[],
): Promise<void> {
  if (tombstones.length === 0) return;
  const journal = new JournalWave(tombstones, ({ kind, id }, state, error) => undoRecord(kind, id, state, error));
  await ctx.commitJournal(journal.announce());
  await closingWave(journal, ctx, async () => {
    for (const tombstone of tombstones) {
      const { kind, id, body } = tombstone;
      const slash = id.indexOf('/');
      const change: Change = {
        action: 'update',
        kind,
        id,
        namespace: slash < 0 ? id : id.slice(0, slash),
        name: slash < 0 ? id : id.slice(slash + 1),
        fields: [],
        after: body,
      };
      ctx.onEvent({ type: 'undo', change, state: 'start', tombstone: true });
      journal.start(tombstone);
      try {
        await send(ctx.client, putBodyRequest(kind, body), `${kinds[kind].singular} ${id}`, ctx.redact);
        journal.done(tombstone);
        ctx.onEvent({ type: 'undo', change, state: 'done', tombstone: true });
      } catch (err) {
        if (err instanceof DgateError && err.code === 'DG2004') throw err;
        const message = err instanceof Error ? err.message : String(err);
        unrestorable.push(
          `${kinds[kind].singular} ${id}: was created, cannot be deleted on raft, and could not be made a tombstone: ${message}`,
        );
        journal.failed(tombstone, message);
        ctx.onEvent({ type: 'undo', change, state: 'failed', error: message, tombstone: true });
      }
    }
  });
}

/**
 * Runs the writes of an announced wave, then commits what became of them. Cut short by an error
 * (the node stopped answering), it still commits what is known before passing the error on: the
 * write under way stays 'sending', those never started are 'unsent'.
 */
async function closingWave<T>(journal: JournalWave<T>, ctx: ApplyContext, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    await ctx.commitJournal(journal.close(), { sync: false }).catch(() => undefined);
    throw err;
  }
  await ctx.commitJournal(journal.close(), { sync: false });
}
