import { kindOrder, kinds, systemNamespace, type AnyResource, type KindKey } from '../model/registry.js';
import { waveOf } from '../model/order.js';
import { isTombstone } from '../model/tombstones.js';
import type { Resources } from '../schema/generated/desired-state.js';
import { sensitiveMask } from '../secrets/redact.js';
import { sameJson } from '../state/canonical-json.js';
import type { LiveResources } from '../state/live-state.js';

export type ChangeAction = 'create' | 'update' | 'delete';

/** One field of one resource: before and after are absent for sensitive fields, which say only that they changed. */
export interface FieldChange {
  field: string;
  before?: unknown;
  after?: unknown;
  sensitive?: true;
  /** A sensitive value sent again because it cannot be compared (`--refresh-secrets`, rollback). */
  refresh?: true;
  /**
   * A value DGate will not give back (a document of a private collection), written because it
   * differs from what the last release sent, or for a reason this note gives; shown instead of values.
   */
  unreadable?: string;
}

/** Why a document DGate will not return is written: the one place these notes are worded. */
export const unreadableNotes = {
  changed: '(not readable from DGate; changed since the last apply)',
  unrecorded: '(not readable from DGate; not in the last release, so written)',
  refresh: '(not readable from DGate; written again: --refresh)',
} as const;

/** One resource to create, update or delete, with sensitive fields already masked. */
export interface Change {
  action: ChangeAction;
  kind: KindKey;
  /** `shop/catalog`; documents `shop/links/home`; namespaces `shop`. */
  id: string;
  namespace: string;
  /** The name within its namespace (documents: `collection/id`). */
  name: string;
  fields: FieldChange[];
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
  /**
   * A create over a tombstone a failed apply left (see model/tombstones.ts): the put replaces it.
   * Its `fields` are the desired resource's, as for any create.
   */
  replacesTombstone?: true;
}

/** Which part of the cluster a plan owns. */
export interface Scope {
  /** The namespaces the config declares: nothing outside them is read, changed or deleted. */
  namespaces: string[];
  /** `--select-tag`: only resources carrying every one of these tags, on both sides. */
  selectTags: string[];
}

export interface DiffInput {
  desired: Resources;
  live: LiveResources;
  scope: Scope;
  /** Digests of desired sensitive values, keyed `kind:id:field` (resolved by the caller, in memory). */
  desiredDigests: ReadonlyMap<string, string>;
  /** `namespace/collection` of live collections whose documents DGate will not list. */
  unreadableDocumentCollections: readonly string[];
  /** Every namespace on the cluster, managed or not. */
  liveNamespaceNames: readonly string[];
  /**
   * The cluster is a raft cluster: DGate v0.11.1's leader applies every write twice, and a
   * delete fails the second time, which wedges the leader. No delete can be sent there.
   */
  raft?: boolean;
  /**
   * Send secret values that cannot be compared (no keyed hash) again, as updates: what
   * `--refresh-secrets` asks for, and what rollback does to restore values it kept.
   */
  refreshSecrets?: boolean;
  /**
   * Documents of private collections as the latest release wrote them (`ns/collection/id` → data).
   * DGate answers 403 to reading them back, so an edit is found against what was last sent.
   * Absent: such documents are not compared at all (a read-back check after a write).
   */
  appliedDocuments?: ReadonlyMap<string, unknown>;
  /** `--refresh`: write every document that cannot be read back. */
  refreshDocuments?: boolean;
}

/** Why a delete is not made: the one place these reasons are worded. */
export const blockedReasons = {
  collection: 'DGate v0.11 breaks on collection deletes',
  raft: 'DGate v0.11 raft leaders break on deletes',
} as const;

export interface DiffResult {
  changes: Change[];
  /** Deletes DGate cannot perform safely, left undone: `kind namespace/name`, with the reason. */
  blocked: { resource: string; reason: string }[];
  leftAlone: { namespaces: string[]; resources: number };
  /** Things that exist on both sides but cannot be compared, by kind: secret values, private documents. */
  unverifiable: { secretValues: string[]; documents: string[] };
  /**
   * Tombstones in the managed namespaces that the desired state does not have: left by a failed
   * apply on a raft cluster, unreachable, and never changed (on a single node they are deleted).
   */
  tombstones: { kind: KindKey; id: string }[];
}

export function digestKey(kind: KindKey, id: string, field: string): string {
  return `${kind}:${id}:${field}`;
}

function idOf(kind: KindKey, r: AnyResource): string {
  return kinds[kind].identity(r).join('/');
}

function hasTags(r: AnyResource, tags: readonly string[]): boolean {
  if (tags.length === 0) return true;
  const own = (r as { tags?: string[] }).tags ?? [];
  return tags.every((t) => own.includes(t));
}

function masked(kind: KindKey, r: AnyResource): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(r as unknown as Record<string, unknown>) };
  for (const f of kinds[kind].sensitive) if (out[f] !== undefined) out[f] = sensitiveMask;
  return out;
}

/**
 * Compares the desired resources with the live ones, field by field, within the scope. Fields
 * DGate never returns are left out of the comparison; sensitive fields compare by digest and are
 * masked in the result. Pure: the caller reads the cluster and resolves sensitive values.
 */
export function diffResources(input: DiffInput): DiffResult {
  const { desired, live, scope } = input;
  const managed = new Set(scope.namespaces);
  const unreadableDocs = new Set(input.unreadableDocumentCollections);
  const liveNamespaces = new Set(live.namespaces.map((n) => n.name));
  const changes: Change[] = [];
  let outOfScope = 0;
  const unverifiable: DiffResult['unverifiable'] = { secretValues: [], documents: [] };
  const blocked: DiffResult['blocked'] = [];
  const tombstones: DiffResult['tombstones'] = [];

  for (const kind of kindOrder) {
    const desiredList = desired[kind] as AnyResource[];
    const liveList = live[kind] as unknown as AnyResource[];
    const inScope = (r: AnyResource) => {
      return managed.has(kinds[kind].namespaceOf(r)) && hasTags(r, scope.selectTags);
    };
    const liveById = new Map<string, AnyResource>();
    // Tombstones are dgate-cli's, not the user's: kept apart whatever tags are selected.
    const tombstoneById = new Map<string, AnyResource>();
    for (const r of liveList) {
      const ns = kinds[kind].namespaceOf(r);
      if (isTombstone(r) && managed.has(ns)) tombstoneById.set(idOf(kind, r), r);
      else if (inScope(r)) liveById.set(idOf(kind, r), r);
      else if (kind !== 'namespaces') outOfScope++;
    }
    const desiredIds = new Set<string>();
    for (const want of desiredList) {
      const id = idOf(kind, want);
      const isContainer = kind === 'namespaces' && !liveNamespaces.has(id);
      // A namespace without the selected tags is still created when missing: its resources need it.
      if (!inScope(want) && !isContainer) continue;
      desiredIds.add(id);
      if (kind === 'documents') {
        const d = want as Resources['documents'][number];
        if (unreadableDocs.has(`${d.namespace}/${d.collection}`)) {
          const note = unreadableDocumentNote(input, id, d.data);
          if (!note) {
            unverifiable.documents.push(id);
            continue;
          }
          const [namespace, name] = splitId(kind, id);
          changes.push({
            action: 'update',
            kind,
            id,
            namespace,
            name,
            fields: [{ field: 'data', unreadable: note }],
            after: masked(kind, want),
          });
          continue;
        }
      }
      const tombstone = tombstoneById.get(id);
      tombstoneById.delete(id);
      // A desired tombstone (a rollback restoring one) compares with the live one as any resource does.
      const have = liveById.get(id) ?? (tombstone && isTombstone(want) ? tombstone : undefined);
      const [namespace, name] = splitId(kind, id);
      if (!have) {
        changes.push({
          action: 'create',
          kind,
          id,
          namespace,
          name,
          fields: fieldsOf(kind, want, 'after'),
          after: masked(kind, want),
          ...(tombstone ? { replacesTombstone: true as const } : {}),
        });
        continue;
      }
      const fields = compare(kind, id, want, have, input.desiredDigests);
      if (
        kinds[kind].sensitive.some(
          (f) =>
            (want as unknown as Record<string, unknown>)[f] !== undefined &&
            !input.desiredDigests.has(digestKey(kind, id, f)),
        )
      ) {
        if (input.refreshSecrets && kind === 'secrets' && !fields.some((f) => f.field === 'data'))
          fields.push({ field: 'data', sensitive: true, refresh: true });
        else unverifiable.secretValues.push(id);
      }
      if (fields.length > 0)
        changes.push({
          action: 'update',
          kind,
          id,
          namespace,
          name,
          fields,
          before: masked(kind, have),
          after: masked(kind, want),
        });
    }
    for (const [id, have] of tombstoneById) {
      // Deletes are safe on a single node, so a tombstone there goes as any resource would.
      if (input.raft || kind === 'namespaces') tombstones.push({ kind, id });
      else liveById.set(id, have);
    }
    for (const [id, have] of liveById) {
      if (desiredIds.has(id) || kind === 'namespaces') continue;
      if (kinds[kind].undeletable || input.raft) {
        blocked.push({
          resource: `${kinds[kind].singular} ${id}`,
          reason: input.raft ? blockedReasons.raft : blockedReasons.collection,
        });
        continue;
      }
      const [namespace, name] = splitId(kind, id);
      changes.push({
        action: 'delete',
        kind,
        id,
        namespace,
        name,
        fields: fieldsOf(kind, have, 'before'),
        before: masked(kind, have),
      });
    }
  }
  const declared = new Set(scope.namespaces);
  return {
    changes: orderChanges(changes),
    blocked,
    leftAlone: {
      namespaces: input.liveNamespaceNames.filter((n) => !declared.has(n) && n !== systemNamespace).sort(),
      resources: outOfScope,
    },
    unverifiable,
    tombstones,
  };
}

/** Whether a document DGate will not return must be written, and why; undefined when not. */
function unreadableDocumentNote(input: DiffInput, id: string, data: unknown): string | undefined {
  if (!input.appliedDocuments) return undefined;
  if (input.refreshDocuments) return unreadableNotes.refresh;
  if (!input.appliedDocuments.has(id)) return unreadableNotes.unrecorded;
  return sameJson(input.appliedDocuments.get(id), data) ? undefined : unreadableNotes.changed;
}

function splitId(kind: KindKey, id: string): [string, string] {
  if (kind === 'namespaces') return [id, id];
  const slash = id.indexOf('/');
  return [id.slice(0, slash), id.slice(slash + 1)];
}

function fieldsOf(kind: KindKey, r: AnyResource, side: 'before' | 'after'): FieldChange[] {
  const info = kinds[kind];
  return Object.keys(r)
    .filter((f) => !info.identityFields.includes(f) && !info.local?.includes(f))
    .sort()
    .map((field) =>
      info.sensitive.includes(field)
        ? { field, sensitive: true as const }
        : { field, [side]: (r as unknown as Record<string, unknown>)[field] },
    );
}

/** Whether two resources agree on every field the diff compares (not sensitive, unreadable or local ones). */
function sameComparable(kind: KindKey, want: Record<string, unknown>, have: Record<string, unknown>): boolean {
  const info = kinds[kind];
  const skipped = (k: string) =>
    info.unreadable.includes(k) || info.sensitive.includes(k) || (info.local?.includes(k) ?? false);
  for (const k of Object.keys(want)) if (!skipped(k) && !sameField(want[k], have[k])) return false;
  for (const k of Object.keys(have)) if (!(k in want) && !skipped(k) && !sameField(undefined, have[k])) return false;
  return true;
}

/** Two values of one field, where undefined means the field is absent (as canonical JSON leaves it out). */
function sameField(a: unknown, b: unknown): boolean {
  const aAbsent = a === undefined || typeof a === 'function';
  const bAbsent = b === undefined || typeof b === 'function';
  return aAbsent || bAbsent ? aAbsent === bAbsent : sameJson(a, b);
}

function compare(
  kind: KindKey,
  id: string,
  want: AnyResource,
  have: AnyResource,
  digests: ReadonlyMap<string, string>,
): FieldChange[] {
  const info = kinds[kind];
  const w = want as unknown as Record<string, unknown>;
  const h = have as unknown as Record<string, unknown>;
  // Fast path, taken by almost every resource of a large config: nothing comparable differs.
  if (info.sensitive.length === 0 && sameComparable(kind, w, h)) return [];
  const fields = [...new Set([...Object.keys(w), ...Object.keys(h)])]
    .filter((f) => !info.identityFields.includes(f) && !info.unreadable.includes(f) && !info.local?.includes(f))
    .sort();
  const out: FieldChange[] = [];
  for (const field of fields) {
    if (info.sensitive.includes(field)) {
      const wantDigest = w[field] === undefined ? undefined : digests.get(digestKey(kind, id, field));
      const haveDigest = (h[field] as { digest?: string } | undefined)?.digest;
      // A desired value that could not be resolved is not compared (the caller reports it).
      if (w[field] !== undefined && wantDigest === undefined) continue;
      if (wantDigest !== haveDigest) out.push({ field, sensitive: true });
      continue;
    }
    if (!sameJson(w[field], h[field])) out.push({ field, before: h[field], after: w[field] });
  }
  return out;
}

/** Creates and updates in dependency order; deletes after them, in reverse dependency order (model/order.ts). */
export function orderChanges(changes: Change[]): Change[] {
  const rank = (c: Change) => waveOf(c.action, c.kind);
  return [...changes].sort((a, b) => rank(a) - rank(b) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
