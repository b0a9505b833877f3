import { hostname } from 'node:os';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { AdminClient } from './client.js';
import { deleteSystemDocument, ensureSystemStore, readSystemDocuments, releasesCollection, writeSystemDocument } from './system-store.js';

/** One successful apply (or rollback), with everything needed to return to it but secret values. */
export interface ReleaseRecord {
  number: number;
  kind: 'apply' | 'rollback';
  /** For a rollback: the release it returned to. */
  rolledBackTo?: number;
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

/** Records a release with the next number, and drops the oldest beyond `keep`. */
export async function recordRelease(client: AdminClient, release: Omit<ReleaseRecord, 'number'>, keep = defaultReleasesKept): Promise<ReleaseRecord> {
  await ensureSystemStore(client);
  const existing = await readReleases(client);
  const record: ReleaseRecord = { ...release, number: (existing.at(-1)?.number ?? 0) + 1 };
  await writeSystemDocument(client, releasesCollection, idOf(record.number), record);
  const all = [...existing, record];
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await deleteSystemDocument(client, releasesCollection, idOf(old.number));
  return record;
}
