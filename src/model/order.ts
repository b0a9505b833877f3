import { type KindKey, kindOrder } from './kind.js';

/**
 * The order writes go in, as data: creates and updates by kind order (a kind depends only on
 * kinds before it), then deletes in reverse kind order.
 *
 *   namespaces → secrets → modules → services → collections → domains → routes → documents
 *   (deletes walk it backwards: documents first, namespaces never)
 *
 * Changes of one wave do not depend on each other and may run concurrently.
 */
export function waveOf(action: 'create' | 'update' | 'delete', kind: KindKey): number {
  const k = kindOrder.indexOf(kind);
  return action === 'delete' ? kindOrder.length + (kindOrder.length - 1 - k) : k;
}
