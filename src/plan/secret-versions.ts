import { digestKey } from '../diff/diff.js';
import type { Resources } from '../schema/generated/desired-state.js';
import type { LiveResources } from '../state/live-state.js';

type Secret = Resources['secrets'][number];

/** The name of version k of a secret. */
export function versionName(name: string, k: number): string {
  return `${name}.v${k}`;
}

/**
 * Adds the versioned copies of every secret with `keepVersions: N` to the desired secrets.
 * Each value a secret is applied with is also written as NAME.v<k>, k one more than the highest
 * version on the cluster, when the value changed (by keyed hash) or no version holds it yet; the
 * previous N versions stay as they are on the cluster (never re-sent: their values are not
 * known), and older ones are left out, so the plan deletes them.
 *
 * `digests` holds the keyed hash of each desired value (`secrets:ns/name:data`); the copies get
 * theirs added. A secret without a digest (no hash key, or its value could not be resolved) gets
 * no new version: that is reported in `unknown`, and the caller decides.
 */
export function withSecretVersions(
  desired: Resources,
  live: LiveResources,
  digests: ReadonlyMap<string, string>,
): { resources: Resources; digests: Map<string, string>; unknown: string[] } {
  const versioned = desired.secrets.filter((s) => s.keepVersions !== undefined);
  const outDigests = new Map(digests);
  if (versioned.length === 0) return { resources: desired, digests: outDigests, unknown: [] };
  const unknown: string[] = [];
  const declared = new Set(desired.secrets.map((s) => `${s.namespace}/${s.name}`));
  const copies: Secret[] = [];
  for (const secret of versioned) {
    const keep = secret.keepVersions!;
    const id = `${secret.namespace}/${secret.name}`;
    const pattern = new RegExp(`^${secret.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.v([1-9][0-9]*)$`);
    const versions = live.secrets
      .filter(
        (s) => s.namespace === secret.namespace && pattern.test(s.name) && !declared.has(`${s.namespace}/${s.name}`),
      )
      .map((s) => ({ k: Number(pattern.exec(s.name)![1]), secret: s }))
      .sort((a, b) => a.k - b.k);
    const highest = versions.at(-1);
    const want = digests.get(digestKey('secrets', id, 'data'));
    if (want === undefined) unknown.push(id);
    const latestHolds =
      highest !== undefined && (highest.secret.data as { digest?: string } | undefined)?.digest === want;
    const current = want !== undefined && !latestHolds ? (highest?.k ?? 0) + 1 : (highest?.k ?? 0);
    const writesCurrent = current > 0 && want !== undefined;
    for (const v of versions) {
      if (v.k < current - keep || (v.k === current && writesCurrent)) continue;
      // Kept as it is: mirrored from the cluster, with its own digest, so it compares equal.
      const liveDigest = (v.secret.data as { digest?: string } | undefined)?.digest;
      copies.push({
        name: v.secret.name,
        namespace: v.secret.namespace,
        data: { inline: true },
        ...(v.secret.tags ? { tags: v.secret.tags as [string, ...string[]] } : {}),
      });
      if (liveDigest)
        outDigests.set(digestKey('secrets', `${v.secret.namespace}/${v.secret.name}`, 'data'), liveDigest);
    }
    if (writesCurrent) {
      const name = versionName(secret.name, current);
      const { keepVersions: _, ...body } = secret;
      copies.push({ ...body, name });
      outDigests.set(digestKey('secrets', `${secret.namespace}/${name}`, 'data'), want);
    }
  }
  const secrets = [...desired.secrets, ...copies].sort((a, b) =>
    `${a.namespace}\u0000${a.name}` < `${b.namespace}\u0000${b.name}` ? -1 : 1,
  );
  return { resources: { ...desired, secrets }, digests: outDigests, unknown };
}
