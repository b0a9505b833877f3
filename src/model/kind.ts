import type { LiveRead } from './api-types.js';
import type { Shape } from './wire-shape.js';
import type { Resources } from '../schema/generated/desired-state.js';
import type { LiveResources } from '../state/live-state.js';

/** The kinds of DGate resource, in apply order: a kind may only depend on kinds before it. */
export const kindOrder = [
  'namespaces',
  'secrets',
  'modules',
  'services',
  'collections',
  'domains',
  'routes',
  'documents',
] as const;

export type KindKey = (typeof kindOrder)[number];
export type ResourceOf<K extends KindKey> = Resources[K][number];
export type AnyResource = ResourceOf<KindKey>;
/** A resource of kind K as read from a cluster and normalized (no module type, sensitive values as digests). */
export type LiveOf<K extends KindKey> = LiveResources[K][number];
/** What the admin API returns for one resource of kind K (the wire form). */
export type WireOf<K extends KindKey> = LiveRead[K][number];

/** The kinds a namespace declaration holds, as a config file spells them (documents live inside collections). */
export type SpecKey = 'secrets' | 'modules' | 'services' | 'collections' | 'domains' | 'routes';

/**
 * One resource as the user declared it. `origin` is opaque here: only the tools handed to
 * `compile` (which know the loader's positions and files) look inside it.
 */
export interface DeclaredSpec<S = unknown> {
  spec: S;
  origin: unknown;
}

/** What compiling a declaration may ask of the world outside the kind: files, secret references, durations. */
export interface CompileTools {
  namespace: string;
  /** The bytes of a file a declaration refers to (already checked readable). */
  fileBytes: (origin: unknown, ref: string) => Uint8Array;
  /** A secret source compiled to where its value lives, never to the value. */
  secretRef: (origin: unknown, source: unknown) => ResourceOf<'secrets'>['data'];
  /** A duration such as `1h30m` in the integer nanoseconds DGate takes. */
  parseDuration: (text: string) => number;
}

/** What writing a live resource back as config may ask of the dump around it. */
export interface DumpTools {
  /** Where a module's source file is written, relative to the dump root. */
  moduleFile: (namespace: string, name: string) => string;
  /** The environment variable a sensitive value is to be read from. */
  envName: (prefix: string, namespace: string, name: string) => string;
  /** Nanoseconds as people write durations (`1h30m`). */
  formatDuration: (nanos: number) => string;
  /** Module sources written inline (`source:`) instead of to files (`get` prints one resource alone). */
  inlineModules?: boolean;
  /** The live documents of a collection, nested under it. */
  documentsOf: (namespace: string, collection: string) => LiveOf<'documents'>[];
}

/** How the admin API addresses a resource of this kind for a write (see cluster/admin-api.ts). */
export interface WireAddress {
  /** The singular path segment: `/api/v1/<path>`. */
  path: string;
  /**
   * `body`: name and namespace travel in the body (DGate v0.11's usual form). `path`: the name is
   * a path segment, the namespace (and collection) query parameters: collections' delete and
   * every document write.
   */
  deleteBy: 'body' | 'path';
  putBy: 'body' | 'path';
}

/**
 * Everything dgate-cli knows about one kind of DGate resource. Each kind is one file in
 * model/kinds/; everything else iterates over the registry (model/registry.ts) and never names a
 * kind. Adding a field DGate has means editing that file (and the schema), nothing else.
 */
export interface Kind<K extends KindKey = KindKey> {
  key: K;
  /** Singular name used in messages and in the admin API path (`/api/v1/<api>`). */
  singular: string;
  /** The short form accepted on the command line (`svc`). */
  short: string;
  /** Sorting and identity: the fields that name one resource of this kind. */
  identity(r: ResourceOf<K> | LiveOf<K>): string[];
  /** Fields that name the resource rather than describe it: never diffed. */
  identityFields: string[];
  /** Fields DGate accepts but never returns, so a plan cannot compare them. */
  unreadable: string[];
  /** Fields whose values are secret: compared by digest, always masked. */
  sensitive: string[];
  /** Sensitive fields DGate requires on every write: a restore must send them even where the read-back could not show them. */
  requiredSensitive?: string[];
  /** Fields that are dgate-cli's own settings, not DGate's: never sent, never compared. */
  local?: string[];
  /**
   * DGate cannot delete this kind without breaking: v0.11.1's collection delete fails inside the
   * node and wedges it (test/server/dgate-quirks.test.ts). Such deletes are never sent, and
   * creating one cannot be undone.
   */
  undeletable?: boolean;
  /**
   * The writes of this kind DGate never gives back to compare with: they run last, after the rest
   * is verified (a secret's value; a collection, which cannot be deleted, with its documents).
   */
  irreversible: { create: boolean; update: boolean; delete: boolean };
  /** The kind of resource one of this kind lives inside, besides its namespace (a document's collection). */
  containedIn?: KindKey;
  /** The namespace a resource of this kind lives in (a namespace is its own). */
  namespaceOf(r: ResourceOf<K> | LiveOf<K>): string;
  /**
   * Which declarations compile into this kind: the namespace's own, or one of its resource lists
   * (documents come from collections).
   */
  compiledFrom: 'namespace' | SpecKey;
  /** The resources one declaration compiles into (the canonical form diff compares), defaults filled in. */
  compile(declared: DeclaredSpec, tools: CompileTools): ResourceOf<K>[];
  /** What the admin API returned, in the canonical form `compile` produces, so that equal means equal. */
  normalize(wire: WireOf<K>): LiveOf<K>;
  /** The shape of one resource in the admin API's answer, checked before it is read. */
  wireShape: Shape;
  /** The shape of one item of the kind's list, when the list says less than a single read (domains). */
  listShape?: Shape;
  /** How the admin API addresses writes of this kind. */
  wire: WireAddress;
  /** The body of the write that puts `r` into the cluster (sensitive fields still as references). */
  putBody(r: ResourceOf<K>): unknown;
  /**
   * The admin-API body that neutralises a resource a failed raft apply created and cannot delete
   * (model/tombstones.ts), and what that tombstone is, for messages. Absent: left as it is.
   */
  tombstone?: {
    body(live: LiveOf<K>, tag: string): Record<string, unknown>;
    describe(live?: LiveOf<K>): string;
  };
  /**
   * The resource written back as the user would declare it (dump, get). A dump writes the kinds
   * of `specOrder` into each namespace's file; `get` prints any kind alone.
   */
  dump(live: LiveOf<K>, tools: DumpTools): unknown;
}
