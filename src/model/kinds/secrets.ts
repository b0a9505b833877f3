import type { Kind } from '../kind.js';
import { type Shape, tagsShape } from '../wire-shape.js';
import type { SecretSpec } from '../../schema/generated/config.js';
import { byNamespaceName, namespacedIdentity, labelsOfSpec, specTags, withTags } from './shared.js';

/**
 * The tag dgate-cli stores on a secret it applies: an HMAC-SHA256 of the value under the user's
 * DGATE_CLI_HASH_KEY. DGate keeps tags verbatim and never returns the value, so this is how a
 * later plan knows whether the value changed, without ever holding it in plaintext.
 */
export const secretHashTagPrefix = 'dgate-cli.value-hmac:';

/**
 * A secret tombstone's value: DGate refuses an empty one, and this replaces what the failed apply
 * wrote, so the cluster keeps no value it was never meant to have.
 */
export const tombstoneSecretValue = 'dgate-cli tombstone';

/** The environment variable prefix a dumped secret is read from: DGATE_SECRET_SHOP_STRIPE_KEY. */
export const dumpedSecretEnvPrefix = 'DGATE_SECRET';

/** What the admin API returns for one secret (the wire form). */
export interface ApiSecret {
  name: string;
  namespace: string;
  data: string;
  tags?: string[] | null;
}

/** The answer's shape, checked before it is read (DG2003 names a field of another shape). */
const wireShape: Shape = { name: 'string', namespace: 'string', tags: tagsShape };

/**
 * A secret: a value modules read. DGate never returns it, so it compiles to a reference, is
 * compared by the keyed hash in a tag of ours, and is changed only after everything else is verified.
 */
export const secrets: Kind<'secrets'> = {
  key: 'secrets',
  singular: 'secret',
  short: 'sec',
  identity: byNamespaceName,
  identityFields: namespacedIdentity,
  unreadable: [],
  // DGate never returns a secret's value; it is compared by the keyed hash dgate-cli tags it with.
  sensitive: ['data'],
  requiredSensitive: ['data'],
  local: ['keepVersions'],
  irreversible: { create: false, update: true, delete: true },
  namespaceOf: (r) => r.namespace,
  compiledFrom: 'secrets',
  compile: ({ spec, origin }, tools) => {
    const s = spec as SecretSpec;
    return [
      withTags(
        {
          name: s.name,
          namespace: tools.namespace,
          data: tools.secretRef(origin, s.value),
          ...(s.keepVersions ? { keepVersions: s.keepVersions } : {}),
        },
        labelsOfSpec(s.tags),
      ),
    ];
  },
  normalize: (wire) => {
    const own = (wire.tags ?? []).find((t) => t.startsWith(secretHashTagPrefix));
    return withTags(
      {
        name: wire.name,
        namespace: wire.namespace,
        ...(own ? { data: { digest: `hmac:${own.slice(secretHashTagPrefix.length)}` } } : {}),
      },
      (wire.tags ?? []).filter((t) => !t.startsWith(secretHashTagPrefix)),
    );
  },
  wireShape,
  wire: { path: 'secret', putBy: 'body', deleteBy: 'body' },
  putBody: ({ keepVersions: _local, ...body }) => body,
  tombstone: {
    body: (live, tag) => ({ name: live.name, namespace: live.namespace, data: tombstoneSecretValue, tags: [tag] }),
    describe: () => 'its value replaced by a placeholder',
  },
  // DGate never returns a secret's value: the dump says where to supply it.
  dump: (live, tools) => ({
    name: live.name,
    value: { fromEnv: tools.envName(dumpedSecretEnvPrefix, live.namespace, live.name) },
    ...specTags(live.tags),
  }),
};
