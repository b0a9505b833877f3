import type { Kind } from '../kind.js';
import { type Shape, tagsShape } from '../wire-shape.js';
import type { DomainSpec } from '../../schema/generated/config.js';
import { sha256Hex } from '../../state/canonical-json.js';
import { byNamespaceName, namespacedIdentity, reversible, labelsOfSpec, specTags, withTags } from './shared.js';

/** The environment variable prefix a dumped domain key is read from: DGATE_DOMAIN_KEY_SHOP_WWW. */
export const dumpedDomainKeyEnvPrefix = 'DGATE_DOMAIN_KEY';

/** `GET /domain/{name}`: the only read that carries the real priority (the list says 0). */
export interface ApiDomainDetail {
  name: string;
  namespace: { name: string; tags?: string[] | null };
  pattern: string[] | null;
  priority: number;
  cert: string;
  key: string;
  tags?: string[] | null;
}

/** One item of `GET /domain`: the list names domains only (its priority is always 0). */
export interface ApiDomain {
  name: string;
  namespace: string;
}

/** The answers' shapes, checked before they are read (DG2003 names a field of another shape). */
const wireShape: Shape = {
  name: 'string',
  namespace: { name: 'string', tags: tagsShape },
  pattern: 'string[]?',
  priority: 'number?',
  cert: 'string?',
  key: 'string?',
  tags: tagsShape,
};
const listShape: Shape = { name: 'string', namespace: 'string' };

/**
 * A domain: host patterns that send requests to its namespace, with an optional certificate and
 * key. The key is sensitive: read back, it is reduced to a digest at once.
 */
export const domains: Kind<'domains'> = {
  key: 'domains',
  singular: 'domain',
  short: 'dom',
  identity: byNamespaceName,
  identityFields: namespacedIdentity,
  unreadable: [],
  sensitive: ['key'],
  irreversible: reversible,
  namespaceOf: (r) => r.namespace,
  compiledFrom: 'domains',
  compile: ({ spec, origin }, tools) => {
    const d = spec as DomainSpec;
    const cert =
      d.cert === undefined
        ? undefined
        : typeof d.cert === 'string'
          ? d.cert
          : new TextDecoder().decode(tools.fileBytes(origin, d.cert.file));
    return [
      withTags(
        {
          name: d.name,
          namespace: tools.namespace,
          patterns: d.patterns,
          priority: d.priority ?? 0,
          ...(cert !== undefined ? { cert } : {}),
          ...(d.key ? { key: tools.secretRef(origin, d.key) } : {}),
        },
        labelsOfSpec(d.tags),
      ),
    ];
  },
  // Read from the single-domain read, the only one that carries the real priority (the list says 0).
  normalize: (wire) =>
    withTags(
      {
        name: wire.name,
        namespace: wire.namespace.name,
        patterns: wire.pattern ?? [],
        priority: wire.priority,
        ...(wire.cert ? { cert: wire.cert } : {}),
        ...(wire.key ? { key: { digest: `sha256:${sha256Hex(wire.key)}` } } : {}),
      },
      wire.tags,
    ),
  wireShape,
  listShape,
  wire: { path: 'domain', putBy: 'body', deleteBy: 'body' },
  putBody: (r) => r,
  tombstone: {
    body: (live, tag) => ({ name: live.name, namespace: live.namespace, patterns: [], tags: [tag] }),
    describe: (live) => {
      const inDefault = live?.namespace === 'default';
      // DGate sends hosts no domain matches to the default namespace only while it has no domain.
      return `no patterns: it matches no host${inDefault ? "; while it exists, hosts no domain matches no longer fall back to the 'default' namespace" : ''}`;
    },
  },
  dump: (live, tools): DomainSpec => ({
    name: live.name,
    patterns: live.patterns,
    ...(live.priority ? { priority: live.priority } : {}),
    ...(live.cert ? { cert: live.cert } : {}),
    // The private key is never written out: it becomes a reference to fill in.
    ...(live.key ? { key: { fromEnv: tools.envName(dumpedDomainKeyEnvPrefix, live.namespace, live.name) } } : {}),
    ...specTags(live.tags),
  }),
};
