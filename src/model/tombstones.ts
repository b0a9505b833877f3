import { kinds, type AnyResource, type KindKey } from './registry.js';

/**
 * The tag dgate-cli puts on a resource it had to neutralise instead of deleting. On a raft
 * cluster DGate v0.11.1 cannot delete anything (the leader applies each delete twice and wedges
 * on the second), so a failed apply cannot remove what it created: it rewrites each such resource
 * into a form that changes nothing the gateway does, tagged with this. Plan lists tombstones
 * apart from the user's resources; a later create of the same name is a plain PUT over one.
 */
export const tombstoneTag = 'dgate-cli.tombstone';

/**
 * The upstream a service tombstone points at: the discard port on loopback, where nothing
 * listens on a gateway host, so a connection is refused at once. No route uses a tombstoned
 * service (routes are tombstoned without one), so nothing is sent there anyway.
 */
export const tombstoneServiceUrl = 'http://127.0.0.1:9/';

/**
 * A module tombstone's source: defines none of the functions DGate calls (requestModifier,
 * fetchUpstream, ...), so a route that still runs it behaves as one without modules. It must
 * compile to something: DGate fails on a TypeScript module whose output is empty (`export {}`).
 */
export const tombstoneModuleSource =
  '// left by dgate-cli: a failed apply on raft created this module and could not delete it\nexport const dgateCliTombstone = true;\n';

/**
 * A secret tombstone's value: DGate refuses an empty one, and this replaces what the failed apply
 * wrote, so the cluster keeps no value it was never meant to have.
 */
export const tombstoneSecretValue = 'dgate-cli tombstone';

export function isTombstone(r: AnyResource): boolean {
  return ((r as { tags?: string[] }).tags ?? []).includes(tombstoneTag);
}

/**
 * The admin-API body that neutralises `live`, or undefined for kinds dgate-cli leaves as they
 * are (collections cannot be changed into nothing, and documents carry no tags to mark them).
 * Checked against a real DGate v0.11.1 raft cluster (test/server/raft-tombstones.test.ts):
 * - a route with no paths is in no router, so no request reaches it on any node;
 * - a domain with no patterns matches no host;
 * - a route put without modules keeps the module links it had (DGate never unlinks a module on
 *   PUT), which is why a module the failed apply created is tombstoned too.
 */
export function tombstoneBody(kind: KindKey, live: AnyResource): Record<string, unknown> | undefined {
  const r = live as unknown as { name: string; namespace?: string };
  const tags = [tombstoneTag];
  switch (kind) {
    case 'namespaces':
      return { name: r.name, tags };
    case 'routes':
      return { name: r.name, namespace: r.namespace, paths: [], methods: [], tags };
    case 'services':
      return { name: r.name, namespace: r.namespace, urls: [tombstoneServiceUrl], tags };
    case 'modules':
      return {
        name: r.name,
        namespace: r.namespace,
        moduleType: 'typescript',
        payload: Buffer.from(tombstoneModuleSource).toString('base64'),
        tags,
      };
    case 'domains':
      return { name: r.name, namespace: r.namespace, patterns: [], tags };
    case 'secrets':
      return { name: r.name, namespace: r.namespace, data: tombstoneSecretValue, tags };
    default:
      return undefined;
  }
}

/** What a tombstone of `kind` is, for messages: `live` is the tombstone as read back, when known. */
export function tombstoneDescription(kind: KindKey, live?: AnyResource): string {
  switch (kind) {
    case 'routes': {
      const modules = (live as { modules?: string[] } | undefined)?.modules ?? [];
      // DGate keeps a route's module links through any PUT; only a delete would drop them.
      const kept =
        modules.length > 0
          ? `; DGate keeps its link to ${modules.length === 1 ? 'module' : 'modules'} ${modules.join(', ')}, which only a delete removes`
          : ', no modules';
      return `unreachable: no paths, no service${kept}`;
    }
    case 'services':
      return `its URL is ${tombstoneServiceUrl}, which refuses connections, and no route uses it`;
    case 'modules':
      return 'its source defines nothing DGate calls';
    case 'domains': {
      const inDefault = (live as { namespace?: string } | undefined)?.namespace === 'default';
      // DGate sends hosts no domain matches to the default namespace only while it has no domain.
      return `no patterns: it matches no host${inDefault ? "; while it exists, hosts no domain matches no longer fall back to the 'default' namespace" : ''}`;
    }
    case 'secrets':
      return 'its value replaced by a placeholder';
    case 'namespaces':
      return 'only tagged; a namespace routes nothing by itself';
    default:
      return `a ${kinds[kind].singular} cannot be made into a tombstone`;
  }
}
