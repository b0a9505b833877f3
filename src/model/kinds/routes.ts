import type { Kind } from '../kind.js';
import { type Shape, tagsShape } from '../wire-shape.js';
import type { RouteSpec } from '../../schema/generated/config.js';
import { byNamespaceName, namespacedIdentity, reversible, labelsOfSpec, specTags, withTags } from './shared.js';

/** DGate stores a route's modules sorted and de-duplicated; compile and normalize say so too, so that equal is equal. */
function moduleList(modules: readonly string[] | null | undefined): { modules?: [string, ...string[]] } {
  const list = [...new Set(modules ?? [])].sort();
  return list.length > 0 ? { modules: list as [string, ...string[]] } : {};
}

/** What the admin API returns for one route (the wire form). */
export interface ApiRoute {
  name: string;
  namespace: string;
  paths: string[] | null;
  methods: string[] | null;
  preserveHost: boolean;
  stripPath: boolean;
  service?: string;
  modules?: string[] | null;
  tags?: string[] | null;
}

/** The answer's shape, checked before it is read (DG2003 names a field of another shape). */
const wireShape: Shape = {
  name: 'string',
  namespace: 'string',
  paths: 'string[]?',
  methods: 'string[]?',
  preserveHost: 'boolean?',
  stripPath: 'boolean?',
  service: 'string?',
  modules: 'string[]?',
  tags: tagsShape,
};

/** A route: paths and methods, the service it forwards to and the modules it runs. */
export const routes: Kind<'routes'> = {
  key: 'routes',
  singular: 'route',
  short: 'rt',
  identity: byNamespaceName,
  identityFields: namespacedIdentity,
  unreadable: [],
  sensitive: [],
  irreversible: reversible,
  namespaceOf: (r) => r.namespace,
  compiledFrom: 'routes',
  compile: ({ spec }, tools) => {
    const r = spec as RouteSpec;
    return [
      withTags(
        {
          name: r.name,
          namespace: tools.namespace,
          paths: r.paths,
          methods: r.methods,
          preserveHost: r.preserveHost ?? false,
          stripPath: r.stripPath ?? false,
          ...(r.service !== undefined ? { service: r.service } : {}),
          ...moduleList(r.modules),
        },
        labelsOfSpec(r.tags),
      ),
    ];
  },
  normalize: (wire) =>
    withTags(
      {
        name: wire.name,
        namespace: wire.namespace,
        paths: wire.paths ?? [],
        methods: wire.methods ?? [],
        preserveHost: wire.preserveHost,
        stripPath: wire.stripPath,
        ...(wire.service ? { service: wire.service } : {}),
        ...moduleList(wire.modules),
      },
      wire.tags,
    ),
  wireShape,
  wire: { path: 'route', putBy: 'body', deleteBy: 'body' },
  putBody: (r) => r,
  tombstone: {
    // A route with no paths is in no router, so no request reaches it on any node.
    body: (live, tag) => ({ name: live.name, namespace: live.namespace, paths: [], methods: [], tags: [tag] }),
    describe: (live) => {
      const linked = live?.modules ?? [];
      // DGate keeps a route's module links through any PUT; only a delete would drop them.
      const kept =
        linked.length > 0
          ? `; DGate keeps its link to ${linked.length === 1 ? 'module' : 'modules'} ${linked.join(', ')}, which only a delete removes`
          : ', no modules';
      return `unreachable: no paths, no service${kept}`;
    },
  },
  dump: (live): RouteSpec => ({
    name: live.name,
    paths: live.paths,
    methods: live.methods as RouteSpec['methods'],
    ...(live.service ? { service: live.service } : {}),
    ...(live.modules ? { modules: live.modules } : {}),
    ...(live.stripPath ? { stripPath: true } : {}),
    ...(live.preserveHost ? { preserveHost: true } : {}),
    ...specTags(live.tags),
  }),
};
