import { kinds, type AnyResource, type KindKey } from './registry.js';

/**
 * The tag dgate-cli puts on a resource it had to neutralise instead of deleting. On a raft
 * cluster DGate v0.11.1 cannot delete anything (the leader applies each delete twice and wedges
 * on the second), so a failed apply cannot remove what it created: it rewrites each such resource
 * into a form that changes nothing the gateway does, tagged with this. Plan lists tombstones
 * apart from the user's resources; a later create of the same name is a plain PUT over one.
 */
export const tombstoneTag = 'dgate-cli.tombstone';

export function isTombstone(r: AnyResource): boolean {
  return ((r as { tags?: string[] }).tags ?? []).includes(tombstoneTag);
}

/**
 * The admin-API body that neutralises `live`, or undefined for kinds dgate-cli leaves as they
 * are (collections cannot be changed into nothing, and documents carry no tags to mark them).
 * Each kind's form (model/kinds/) was checked against a real DGate v0.11.1 raft cluster
 * (test/server/raft-tombstones.test.ts):
 * - a route with no paths is in no router, so no request reaches it on any node;
 * - a domain with no patterns matches no host;
 * - a route put without modules keeps the module links it had (DGate never unlinks a module on
 *   PUT), which is why a module the failed apply created is tombstoned too.
 */
export function tombstoneBody(kind: KindKey, live: AnyResource): Record<string, unknown> | undefined {
  return kinds[kind].tombstone?.body(live, tombstoneTag);
}

/** What a tombstone of `kind` is, for messages: `live` is the tombstone as read back, when known. */
export function tombstoneDescription(kind: KindKey, live?: AnyResource): string {
  return kinds[kind].tombstone?.describe(live) ?? `a ${kinds[kind].singular} cannot be made into a tombstone`;
}
