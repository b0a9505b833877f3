import type { Kind } from '../kind.js';
import { type Shape, tagsShape } from '../wire-shape.js';
import type { ServiceSpec } from '../../schema/generated/config.js';
import {
  byNamespaceName,
  labelsOfSpec,
  namespacedIdentity,
  normalizeUrl,
  reversible,
  specTags,
  withTags,
} from './shared.js';

/**
 * The upstream a service tombstone points at: the discard port on loopback, where nothing
 * listens on a gateway host, so a connection is refused at once. No route uses a tombstoned
 * service (routes are tombstoned without one), so nothing is sent there anyway.
 */
export const tombstoneServiceUrl = 'http://127.0.0.1:9/';

/** What the admin API returns for one service (the wire form). */
export interface ApiService {
  name: string;
  namespace: string;
  urls: string[] | null;
  retries: number;
  retryTimeout: number;
  connectTimeout: number;
  requestTimeout: number;
  tlsSkipVerify: boolean;
  http2Only: boolean;
  tags?: string[] | null;
}

/** The answer's shape, checked before it is read (DG2003 names a field of another shape). */
const wireShape: Shape = {
  name: 'string',
  namespace: 'string',
  urls: 'string[]?',
  retries: 'number?',
  retryTimeout: 'number?',
  connectTimeout: 'number?',
  requestTimeout: 'number?',
  tlsSkipVerify: 'boolean?',
  http2Only: 'boolean?',
  tags: tagsShape,
};

/** An upstream service that routes forward requests to. */
export const services: Kind<'services'> = {
  key: 'services',
  singular: 'service',
  short: 'svc',
  identity: byNamespaceName,
  identityFields: namespacedIdentity,
  unreadable: ['hideDGateHeaders', 'disableQueryParams'],
  sensitive: [],
  irreversible: reversible,
  namespaceOf: (r) => r.namespace,
  compiledFrom: 'services',
  compile: ({ spec }, tools) => {
    const s = spec as ServiceSpec;
    const service = {
      name: s.name,
      namespace: tools.namespace,
      urls: s.urls.map(normalizeUrl),
      retries: s.retries ?? 3,
      retryTimeout: tools.parseDuration(s.retryTimeout ?? '0'),
      connectTimeout: tools.parseDuration(s.connectTimeout ?? '0'),
      requestTimeout: tools.parseDuration(s.requestTimeout ?? '0'),
      tlsSkipVerify: s.tlsSkipVerify ?? false,
      http2Only: s.http2Only ?? false,
      ...(s.hideDGateHeaders !== undefined ? { hideDGateHeaders: s.hideDGateHeaders } : {}),
      ...(s.disableQueryParams !== undefined ? { disableQueryParams: s.disableQueryParams } : {}),
    };
    return [withTags(service, labelsOfSpec(s.tags))];
  },
  normalize: (wire) =>
    withTags(
      {
        name: wire.name,
        namespace: wire.namespace,
        urls: (wire.urls ?? []).map(normalizeUrl),
        retries: wire.retries,
        retryTimeout: wire.retryTimeout,
        connectTimeout: wire.connectTimeout,
        requestTimeout: wire.requestTimeout,
        tlsSkipVerify: wire.tlsSkipVerify,
        http2Only: wire.http2Only,
      },
      wire.tags,
    ),
  wireShape,
  wire: { path: 'service', putBy: 'body', deleteBy: 'body' },
  putBody: (r) => r,
  tombstone: {
    body: (live, tag) => ({ name: live.name, namespace: live.namespace, urls: [tombstoneServiceUrl], tags: [tag] }),
    describe: () => `its URL is ${tombstoneServiceUrl}, which refuses connections, and no route uses it`,
  },
  dump: (live, tools): ServiceSpec => ({
    name: live.name,
    urls: live.urls,
    ...(live.retries !== 3 ? { retries: live.retries } : {}),
    ...(live.retryTimeout ? { retryTimeout: tools.formatDuration(live.retryTimeout) } : {}),
    ...(live.connectTimeout ? { connectTimeout: tools.formatDuration(live.connectTimeout) } : {}),
    ...(live.requestTimeout ? { requestTimeout: tools.formatDuration(live.requestTimeout) } : {}),
    ...(live.tlsSkipVerify ? { tlsSkipVerify: true } : {}),
    ...(live.http2Only ? { http2Only: true } : {}),
    ...specTags(live.tags),
  }),
};
