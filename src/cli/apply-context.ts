import { heldSecrets } from '../io/held-secrets.js';
import { randomUUID } from 'node:crypto';
import type { ApplyContext, ApplyEvent } from '../apply/execute.js';
import type { AdminClient } from '../cluster/client.js';
import { normalizeLive, secretHashTagPrefix } from '../cluster/normalize.js';
import { secretValueHmac } from '../secrets/keyed-hash.js';
import { readLiveState } from '../cluster/read-live.js';
import { kinds, type AnyResource } from '../model/registry.js';
import type { JournalStore } from '../io/journal-store.js';
import type { SecretRef } from '../schema/generated/desired-state.js';
import type { Style } from '../report/style.js';
import { resolveSensitiveValue, type SensitiveSources } from './make-plan.js';
import { printableName, printableText } from '../report/printable.js';

/** The world as executeApply sees it: this cluster, this journal, secrets from this config. */
export function createApplyContext(opts: {
  client: AdminClient;
  journal: JournalStore;
  namespaces: string[];
  sources: SensitiveSources;
  desiredDigests: ReadonlyMap<string, string>;
  onEvent: (e: ApplyEvent) => void;
}): ApplyContext {
  return {
    client: opts.client,
    appendJournal: (r) => opts.journal.append(r),
    readLive: async () => {
      const read = await readLiveState(opts.client, opts.namespaces);
      return { read, live: normalizeLive(read) };
    },
    resolveSensitive: async (kind, resource: AnyResource, field) => {
      const r = resource as unknown as Record<string, unknown>;
      const id = kinds[kind].identity(resource).join('/');
      const owner = `${kinds[kind].singular} '${id}'${field === 'key' ? ' key' : ''}`;
      if (kind !== 'secrets' && kind !== 'domains') throw new Error(`no sensitive field ${field} on ${kind}`);
      return resolveSensitiveValue(opts.sources, kind, String(r.namespace), String(r.name), r[field] as SecretRef, owner);
    },
    desiredDigests: opts.desiredDigests,
    secretHashTag: (value) => (process.env.DGATE_CLI_HASH_KEY ? `${secretHashTagPrefix}${secretValueHmac(process.env.DGATE_CLI_HASH_KEY, value)}` : undefined),
    onEvent: opts.onEvent,
    redact: (text) => heldSecrets.redact(text),
    concurrency: 8,
    now: () => new Date(),
    newId: () => randomUUID(),
  };
}

/** One plain line per event: what CI logs show, and what a terminal shows too. */
export function renderApplyEvent(e: ApplyEvent, style: Style): string | undefined {
  if (e.type === 'phase') {
    const text = { verifying: 'reading the cluster back to verify', final: 'making the changes that cannot be undone (secret values, new collections), last', 'rolling-back': 'rolling back', 'checking-restore': 'reading the cluster again to check the rollback' }[e.phase];
    return style.dim(`… ${text}`);
  }
  if (e.type === 'step') {
    // Ids of deleted resources come from the cluster, which accepts any name.
    const what = `${e.step.action} ${kinds[e.step.kind].singular} ${printableName(e.step.id)}`;
    if (e.state === 'done') return `${style.green('✓')} ${what}`;
    if (e.state === 'failed') return `${style.red('✗')} ${what}: ${printableText(String(e.error))}`;
    return undefined;
  }
  const what = `undo: ${e.change.action} ${kinds[e.change.kind].singular} ${printableName(e.change.id)}`;
  if (e.state === 'done') return `${style.yellow('↺')} ${what}`;
  if (e.state === 'failed') return `${style.red('✗')} ${what}: ${printableText(String(e.error))}`;
  return undefined;
}
