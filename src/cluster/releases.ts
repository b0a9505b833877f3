import { hostname } from 'node:os';
import type { GuardOverrides } from '../guards/guards.js';
import type { NotifyTarget } from '../schema/generated/config.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { AdminClient } from './client.js';
import {
  deleteSystemDocument,
  ensureSystemStore,
  readSystemDocuments,
  releasesCollection,
  writeSystemDocument,
} from './system-store.js';

/** One successful apply (or rollback), with everything needed to return to it but secret values. */
export interface ReleaseRecord {
  number: number;
  kind: 'apply' | 'rollback' | 'canary';
  /** For a rollback: the release it returned to. */
  rolledBackTo?: number;
  /** Why, when it was not asked for by hand: a canary aborted by its checks says so here, with the numbers. */
  reason?: string;
  /** For a canary step: the canary, and where its rollout stood after this release. */
  canary?: {
    namespace: string;
    route: string;
    service?: string;
    module?: string;
    step: number;
    weight: number;
    status: string;
  };
  desiredVersion: string;
  git: DesiredState['metadata']['git'];
  appliedBy: string;
  appliedAt: string;
  summary: { create: number; update: number; delete: number };
  desiredState: DesiredState;
  /** The config root it was applied from: where rollback resolves `fromFile` references. */
  configRoot?: string;
  /**
   * Every secret value and domain key of the desired state, each encrypted with age to the
   * recipients the config named (settings.ageRecipients), keyed `secrets:ns/name` or
   * `domains:ns/name:key`. Absent when no recipients were set: then rollback cannot restore
   * secret values. Never plaintext.
   */
  secretValues?: Record<string, string>;
  /** The recipients those values are encrypted to (public keys), for `history`. */
  secretRecipients?: string[];
  /**
   * Set when the apply this record was written for was rolled back after all (a later step
   * failed): the record stays, so the number is never reused, but it is not a release to return to.
   */
  voided?: { reason: string; at: string };
  /**
   * The resources the config marked `protect: true` (`kind:namespace/name`): a later apply that
   * would delete one the config no longer declares is refused (guards/protect.ts).
   */
  protected?: string[];
  /**
   * A drift heal a reconciler made while held by a rollback: the number of that rollback's
   * release (this record returns to the same release, and keeps the hold).
   */
  heldFor?: number;
  /** Set on a rollback's record by `reconcile --resume`: reconcilers follow their branch again. */
  resumed?: { by: string; at: string };
  /** The webhooks the config listed (references to their URLs, never a URL): rollback tells them. */
  notify?: NotifyTarget[];
  /** The guards this run was allowed past (`--allow-protected`, `--allow-mass-delete`), when it was. */
  overrides?: GuardOverrides;
}

export const defaultReleasesKept = 20;

const idOf = (n: number) => `r${String(n).padStart(6, '0')}`;

export async function readReleases(client: AdminClient): Promise<ReleaseRecord[]> {
  const docs = await readSystemDocuments<ReleaseRecord>(client, releasesCollection);
  return docs.map((d) => d.data).sort((a, b) => a.number - b.number);
}

/** Who applied: $DGATE_CLI_ACTOR, else the CI's actor, else the OS user, at this host. */
export function currentActor(env: NodeJS.ProcessEnv): string {
  const who = env.DGATE_CLI_ACTOR || env.GITHUB_ACTOR || env.GITLAB_USER_LOGIN || env.USER || env.USERNAME || 'unknown';
  return `${who}@${hostname()}`;
}

/** The releases that happened: every record but the voided ones. */
export function effectiveReleases(releases: readonly ReleaseRecord[]): ReleaseRecord[] {
  return releases.filter((r) => !r.voided);
}

/**
 * Gives a release its number (the next after every record, voided ones included) without
 * writing it: apply writes it as a step of its transaction (writeRelease), after the cluster is
 * verified and before anything that cannot be undone.
 */
export async function reserveRelease(
  client: AdminClient,
  release: Omit<ReleaseRecord, 'number'>,
): Promise<ReleaseRecord> {
  await ensureSystemStore(client);
  const existing = await readReleases(client);
  return { ...release, number: (existing.at(-1)?.number ?? 0) + 1 };
}

export async function writeRelease(client: AdminClient, record: ReleaseRecord): Promise<void> {
  await writeSystemDocument(client, releasesCollection, idOf(record.number), record);
}

/** Marks a rollback as resumed (`reconcile --resume`): the record is written again with `resumed`. */
export async function markResumed(client: AdminClient, record: ReleaseRecord, by: string, at: Date): Promise<void> {
  await writeSystemDocument(client, releasesCollection, idOf(record.number), {
    ...record,
    resumed: { by, at: at.toISOString() },
  });
}

/** Marks a written (or perhaps written) record as not having happened: the apply was rolled back. */
export async function voidRelease(client: AdminClient, record: ReleaseRecord, reason: string, at: Date): Promise<void> {
  await writeSystemDocument(client, releasesCollection, idOf(record.number), {
    ...record,
    voided: { reason, at: at.toISOString() },
  });
}

/**
 * Drops the oldest records beyond `keep`. Housekeeping after a release is recorded: a delete
 * that fails leaves an old record a while longer, and is reported, never failing the apply.
 */
export async function pruneReleases(client: AdminClient, keep = defaultReleasesKept): Promise<string[]> {
  const all = await readReleases(client).catch(() => undefined);
  if (!all) return ['the release history could not be read to drop old records'];
  const problems: string[] = [];
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    await deleteSystemDocument(client, releasesCollection, idOf(old.number)).catch((err: unknown) =>
      problems.push(`release ${old.number} could not be dropped: ${(err as Error).message}`),
    );
  }
  return problems;
}
