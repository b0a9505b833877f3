import { heldSecrets } from '../io/held-secrets.js';
import { markApplyFinished, markApplyRunning, type ApplyMarker } from '../cluster/apply-marker.js';
import { currentActor } from '../cluster/releases.js';
import { DgateError } from '../errors/dgate-error.js';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { BeginRecord } from '../apply/journal.js';
import type { ApplyContext, ApplyEvent } from '../apply/execute.js';
import type { AdminClient } from '../cluster/client.js';
import { normalizeLive } from '../cluster/normalize.js';
import { secretHashTagPrefix } from '../model/kinds/secrets.js';
import { secretValueHmac } from '../secrets/keyed-hash.js';
import { readLiveState } from '../cluster/read-live.js';
import { kinds, type AnyResource } from '../model/registry.js';
import type { JournalStore } from '../io/journal-store.js';
import type { SecretRef } from '../schema/generated/desired-state.js';
import type { Style } from '../report/style.js';
import { resolveSensitiveValue, type SensitiveSources } from './make-plan.js';
import { printableName, printableText } from '../report/printable.js';

/** The world as applyPlan sees it: this cluster, this journal, secrets from this config. */
export function createApplyContext(opts: {
  client: AdminClient;
  journal: JournalStore;
  namespaces: string[];
  sources: SensitiveSources;
  onEvent: (e: ApplyEvent) => void;
  /** Where a mark left in the cluster that cannot be cleared is reported (the apply itself stands). */
  warn?: (line: string) => void;
}): ApplyContext {
  let marker: ApplyMarker | undefined;
  let markWrites = 0;
  return {
    client: opts.client,
    // The journal is kept twice: locally, and its begin and end in the cluster (see ApplyMarker).
    commitJournal: async (records, commitOpts) => {
      const begin = records.find((r) => r.type === 'begin');
      if (begin) {
        marker = await markApplyRunning(opts.client, begin, {
          by: currentActor(process.env),
          journal: opts.journal.file,
        }).catch(async (err: unknown) => {
          // The mark may have landed with only its answer lost: mark it ended, so nothing waits on it.
          await markApplyFinished(opts.client, unsentMark(begin, opts.journal.file), 'rolled-back', new Date()).catch(
            () => undefined,
          );
          throw new DgateError({
            code: err instanceof DgateError ? err.code : 'DG2003',
            message: `could not mark the apply as running in the cluster, before its first write: ${err instanceof Error ? err.message : String(err)}`,
            hint: 'nothing was changed; try again once the cluster answers writes',
          });
        });
      }
      await opts.journal.commit(records, commitOpts);
      const end = records.find((r) => r.type === 'end');
      if (end && marker) {
        const running = marker;
        marker = undefined;
        markWrites++;
        await markApplyFinished(opts.client, running, end.outcome, new Date()).catch((err: unknown) =>
          (opts.warn ?? (() => undefined))(
            `the cluster still marks apply ${running.applyId} as running (${err instanceof Error ? err.message : String(err)}): the next plan or apply will stop at it, and \`dgate-cli recover\` will find it ${end.outcome === 'applied' ? 'complete and clear the mark' : 'and clear it'}`,
          ),
        );
      }
    },
    readLive: async () => {
      const read = await readLiveState(opts.client, opts.namespaces);
      return { read, live: normalizeLive(read) };
    },
    resolveSensitive: async (kind, resource: AnyResource, field) => {
      const r = resource as unknown as Record<string, unknown>;
      const id = kinds[kind].identity(resource).join('/');
      const owner = `${kinds[kind].singular} '${id}'${field === 'key' ? ' key' : ''}`;
      if (kind !== 'secrets' && kind !== 'domains') throw new Error(`no sensitive field ${field} on ${kind}`);
      return resolveSensitiveValue(
        opts.sources,
        kind,
        String(r.namespace),
        String(r.name),
        r[field] as SecretRef,
        owner,
      );
    },
    secretHashTag: (value) =>
      process.env.DGATE_CLI_HASH_KEY
        ? `${secretHashTagPrefix}${secretValueHmac(process.env.DGATE_CLI_HASH_KEY, value)}`
        : undefined,
    onEvent: opts.onEvent,
    redact: (text) => heldSecrets.redact(text),
    // The end mark is written while the apply's change count is still open: it is ours.
    ownWritesElsewhere: () => markWrites,
    concurrency: 8,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}

/** The mark an apply would have written, for ending one whose write had no answer. */
function unsentMark(begin: BeginRecord, journal: string): ApplyMarker {
  return {
    applyId: begin.applyId,
    startedAt: begin.startedAt,
    by: currentActor(process.env),
    host: hostname(),
    pid: process.pid,
    journal,
    begin,
  };
}

/** One plain line per event: what CI logs show, and what a terminal shows too. */
export function renderApplyEvent(e: ApplyEvent, style: Style): string | undefined {
  if (e.type === 'begin' || e.type === 'end') return undefined;
  if (e.type === 'phase') {
    const text = {
      verifying: 'reading the cluster back to verify',
      final: 'making the changes that cannot be undone (secret values, new collections), last',
      'rolling-back': 'rolling back',
      'checking-restore': 'reading the cluster again to check the rollback',
    }[e.phase];
    return style.dim(`… ${text}`);
  }
  if (e.type === 'step') {
    // Ids of deleted resources come from the cluster, which accepts any name.
    const what = `${e.step.action} ${kinds[e.step.kind].singular} ${printableName(e.step.id)}`;
    if (e.state === 'done') return `${style.green('✓')} ${what}`;
    if (e.state === 'failed') return `${style.red('✗')} ${what}: ${printableText(String(e.error))}`;
    return undefined;
  }
  const what = `undo: ${e.tombstone ? 'leave as a tombstone' : e.change.action} ${kinds[e.change.kind].singular} ${printableName(e.change.id)}`;
  if (e.state === 'done') return `${style.yellow('↺')} ${what}`;
  if (e.state === 'failed') return `${style.red('✗')} ${what}: ${printableText(String(e.error))}`;
  return undefined;
}
