import { readRollouts } from '../cluster/canary-store.js';
import { effectiveReleases, readReleases } from '../cluster/releases.js';
import { hasSteppedCanary, withRolloutWeights } from '../compile/canary.js';
import { heldSecrets } from '../io/held-secrets.js';
import type { AdminClient } from '../cluster/client.js';
import { normalizeLive } from '../cluster/normalize.js';
import { readLiveState } from '../cluster/read-live.js';
import { inlineSensitiveValue } from '../compile/inline-secrets.js';
import { digestKey, diffResources, type Scope } from '../diff/diff.js';
import { resolveSecretRef } from '../io/secret-source.js';
import { buildPlan, type ExecutablePlan } from '../plan/plan.js';
import type { DesiredState, SecretRef } from '../schema/generated/desired-state.js';
import { decryptWithIdentities, encryptToRecipients } from '../io/age-keys.js';
import { DgateError } from '../errors/dgate-error.js';
import { withSecretVersions } from '../plan/secret-versions.js';
import { secretValueHmac } from '../secrets/keyed-hash.js';
import { contentVersion, sha256Hex } from '../state/canonical-json.js';
import type { LiveRead } from '../model/api-types.js';
import type { LoadedConfig } from '../load/assemble.js';
import type { CheckedConfig } from './read-config.js';
import { locationOf } from '../load/assemble.js';
import type { Location } from '../errors/dgate-error.js';

/** Where sensitive values are resolved from: files under `root`, `value:`s written in the config, age identities. */
export interface SensitiveSources {
  root: string;
  inline: (kind: 'secrets' | 'domains', namespace: string, name: string) => string | undefined;
  /** age identities for `encrypted` and `fromEncryptedFile` values. */
  identities: readonly string[];
  /**
   * Values kept in a release, encrypted to the release recipients, keyed `secrets:ns/name` or
   * `domains:ns/name:key`: what rollback resolves from, instead of the config.
   */
  recorded?: Readonly<Record<string, string>>;
  /** Where the config writes a sensitive value's reference, for errors that must point at it. */
  locate?: (kind: 'secrets' | 'domains', namespace: string, name: string) => Location | undefined;
}

export function sourcesOfConfig(checked: CheckedConfig, identities: readonly string[]): SensitiveSources {
  return {
    root: checked.input.root,
    inline: (kind, ns, name) => inlineSensitiveValue(checked.config, kind, ns, name),
    identities,
    locate: (kind, ns, name) => {
      const namespace = checked.config.namespaces.find((n) => n.name === ns);
      const declared =
        kind === 'secrets'
          ? namespace?.resources.secrets.find((d) => d.spec.name === name)
          : namespace?.resources.domains.find((d) => d.spec.name === name);
      return declared ? locationOf(declared.origin, [kind === 'secrets' ? 'value' : 'key']) : undefined;
    },
  };
}

/** The key a sensitive value is kept under in a release record. */
export function recordedValueKey(kind: 'secrets' | 'domains', namespace: string, name: string): string {
  return kind === 'secrets' ? `secrets:${namespace}/${name}` : `domains:${namespace}/${name}:key`;
}

/**
 * Resolves one sensitive value: from a release's recorded (encrypted) copy when there is one,
 * else from where the reference says.
 */
export function resolveSensitiveValue(
  sources: SensitiveSources,
  kind: 'secrets' | 'domains',
  namespace: string,
  name: string,
  ref: SecretRef,
  owner: string,
): Promise<string> {
  // A version copy (NAME.v<k>) holds the value of its secret.
  const base = kind === 'secrets' ? /^(.+)\.v[1-9][0-9]*$/.exec(name)?.[1] : undefined;
  const recorded =
    sources.recorded?.[recordedValueKey(kind, namespace, name)] ??
    (base ? sources.recorded?.[recordedValueKey(kind, namespace, base)] : undefined);
  const resolving =
    recorded !== undefined
      ? decryptWithIdentities(recorded, sources.identities, `${owner} (as kept in the release)`)
      : resolveSecretRef(ref, {
          owner,
          root: sources.root,
          env: process.env,
          inline: () => sources.inline(kind, namespace, name),
          identities: sources.identities,
        });
  // A reference that cannot be resolved is reported where the config writes it.
  return resolving.then(
    (value) => {
      // Held from here on, so that no output, journal or note of this process can carry it.
      heldSecrets.add(value);
      return value;
    },
    (err: unknown) => {
      const location =
        err instanceof DgateError && !err.location ? sources.locate?.(kind, namespace, base ?? name) : undefined;
      throw location && err instanceof DgateError
        ? new DgateError({ code: err.code, message: err.message, hint: err.hint, location, cause: err })
        : err;
    },
  );
}

export interface PlanInputs {
  sources: SensitiveSources;
  desired: DesiredState;
  client: AdminClient;
  selectTags: string[];
  /**
   * The namespaces the plan owns: every namespace the config declares, including those the
   * target does not get (their resources are removed from it). Default: the desired state's.
   */
  namespaces?: string[];
  /** Send secret values that cannot be compared again (see DiffInput.refreshSecrets). */
  refreshSecrets?: boolean;
  /** Write every document DGate will not return (see DiffInput.refreshDocuments). */
  refreshDocuments?: boolean;
  /** A read of the cluster already under way (see startLiveRead), or none to read now. */
  liveRead?: Promise<LiveRead>;
}

/**
 * Every secret value and domain key of a desired state, resolved and encrypted to `recipients`,
 * for the release record (what lets rollback restore them). Plaintext exists only in memory here.
 */
export async function keepSensitiveValues(
  desired: DesiredState,
  sources: SensitiveSources,
  recipients: readonly string[],
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const sec of desired.resources.secrets) {
    const value = await resolveSensitiveValue(
      sources,
      'secrets',
      sec.namespace,
      sec.name,
      sec.data,
      `secret '${sec.namespace}/${sec.name}'`,
    );
    out[recordedValueKey('secrets', sec.namespace, sec.name)] = await encryptToRecipients(value, recipients);
  }
  for (const d of desired.resources.domains) {
    if (!d.key) continue;
    const value = await resolveSensitiveValue(
      sources,
      'domains',
      d.namespace,
      d.name,
      d.key,
      `domain '${d.namespace}/${d.name}' key`,
    );
    out[recordedValueKey('domains', d.namespace, d.name)] = await encryptToRecipients(value, recipients);
  }
  return out;
}

/**
 * Starts reading the namespaces a config declares while the caller goes on checking and
 * compiling it. A failure is held until the read is awaited, so config errors are reported first.
 */
export function startLiveRead(client: AdminClient, config: LoadedConfig): Promise<LiveRead> {
  // Bundle instances may add namespaces the config does not declare itself.
  const read = readLiveState(client, [
    ...new Set([...config.namespaces.map((n) => n.name), ...config.bundles.map((b) => b.spec.namespace)]),
  ]);
  read.catch(() => undefined);
  return read;
}

/**
 * The documents of private collections as the latest release wrote them: DGate will not return
 * them, so that is what an edit is found against. Read only when the desired state has such
 * documents; undefined when the cluster has no release yet (then they are not compared, as
 * before any apply: `--refresh` writes them).
 */
async function appliedPrivateDocuments(
  client: AdminClient,
  read: LiveRead,
  desired: DesiredState,
): Promise<Map<string, unknown> | undefined> {
  const unreadable = new Set(read.unreadableDocumentCollections);
  if (!desired.resources.documents.some((d) => unreadable.has(`${d.namespace}/${d.collection}`))) return undefined;
  const latest = effectiveReleases(await readReleases(client)).at(-1);
  // A cluster dgate-cli never applied to (put together by hand, or adopted): nothing to compare with.
  if (!latest) return undefined;
  return new Map(
    latest.desiredState.resources.documents.map((d) => [`${d.namespace}/${d.collection}/${d.id}`, d.data]),
  );
}

/**
 * The desired state with each canary that has steps at the weight its rollout stands at in the
 * cluster (compile/canary.ts withRolloutWeights). Reads the rollout records only when there is
 * such a canary. plan and apply plan this; a return to a release plans what the release recorded.
 */
export async function followRollouts(client: AdminClient, desired: DesiredState): Promise<DesiredState> {
  if (!hasSteppedCanary(desired)) return desired;
  return withRolloutWeights(desired, await readRollouts(client));
}

/**
 * Reads the cluster, resolves what must be compared by digest, and diffs: the one path from a
 * compiled config to a plan, shared by `plan` and `apply` so that the two never disagree.
 */
export async function makePlan(inputs: PlanInputs): Promise<ExecutablePlan> {
  const { desired, client, sources } = inputs;
  const scope: Scope = {
    namespaces: inputs.namespaces ?? desired.resources.namespaces.map((n) => n.name),
    selectTags: inputs.selectTags,
  };
  const read = await (inputs.liveRead ?? readLiveState(client, scope.namespaces));
  const live = normalizeLive(read);
  const digests = new Map<string, string>();
  for (const d of desired.resources.domains) {
    if (!d.key) continue;
    // A key that cannot be resolved here is reported as not compared; apply, which must send it,
    // resolves every value before its first write and stops there if one is missing.
    const value = await resolveSensitiveValue(
      sources,
      'domains',
      d.namespace,
      d.name,
      d.key,
      `domain '${d.namespace}/${d.name}' key`,
    ).catch(() => undefined);
    if (value !== undefined)
      digests.set(digestKey('domains', `${d.namespace}/${d.name}`, 'key'), `sha256:${sha256Hex(value)}`);
  }
  // Secret values compare by keyed hash, and only when the user gave the key (DGATE_CLI_HASH_KEY).
  const hashKey = process.env.DGATE_CLI_HASH_KEY;
  if (hashKey) {
    for (const sec of desired.resources.secrets) {
      const value = await resolveSensitiveValue(
        sources,
        'secrets',
        sec.namespace,
        sec.name,
        sec.data,
        `secret '${sec.namespace}/${sec.name}'`,
      ).catch(() => undefined);
      if (value !== undefined)
        digests.set(
          digestKey('secrets', `${sec.namespace}/${sec.name}`, 'data'),
          `hmac:${secretValueHmac(hashKey, value)}`,
        );
    }
  }
  // Secrets that keep versions: their NAME.v<k> copies join the desired state here, as they depend on the cluster.
  const versions = withSecretVersions(desired.resources, live, digests);
  if (versions.unknown.length > 0) {
    throw new DgateError({
      code: 'DG2006',
      message: `secret${versions.unknown.length === 1 ? '' : 's'} ${versions.unknown.join(', ')} keep${versions.unknown.length === 1 ? 's' : ''} versions, and whether the value changed cannot be known`,
      hint: hashKey
        ? 'its value could not be resolved here: set its source (variable, file, age identity)'
        : 'set DGATE_CLI_HASH_KEY (keepVersions compares values by keyed hash)',
    });
  }
  const expanded: DesiredState =
    versions.resources === desired.resources ? desired : { ...desired, resources: versions.resources };
  const diff = diffResources({
    desired: expanded.resources,
    live,
    scope,
    desiredDigests: versions.digests,
    unreadableDocumentCollections: read.unreadableDocumentCollections,
    liveNamespaceNames: read.allNamespaces.map((n) => n.name),
    raft: read.raft,
    refreshSecrets: inputs.refreshSecrets,
    appliedDocuments: await appliedPrivateDocuments(client, read, expanded),
    refreshDocuments: inputs.refreshDocuments,
  });
  const plan = buildPlan(desired, diff, { adminUrl: client.baseUrl, liveVersion: contentVersion(live) }, scope);
  return { plan, desired: expanded, pre: { read, live }, desiredDigests: versions.digests };
}
