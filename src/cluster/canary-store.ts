import type { CanaryRollout } from '../model/canary-rollout.js';
import type { AdminClient } from './client.js';
import { metricsPath } from './admin-api.js';
import { canariesCollection, ensureSystemStore, readSystemDocuments, writeSystemDocument } from './system-store.js';

/**
 * Where each route's canary stands, kept in the cluster beside the release history (one
 * document per route, `namespace/route`), so that any runner, or `dgate-cli canary status`, reads
 * the same state.
 */

const idOf = (namespace: string, route: string) => `${namespace}/${route}`;

export async function readRollouts(client: AdminClient): Promise<CanaryRollout[]> {
  const docs = await readSystemDocuments<CanaryRollout>(client, canariesCollection);
  return docs.map((d) => d.data);
}

export async function writeRollout(client: AdminClient, record: CanaryRollout): Promise<void> {
  await ensureSystemStore(client);
  await writeSystemDocument(client, canariesCollection, idOf(record.namespace, record.route), record);
}

/**
 * One node's metrics text, or why there is none: DGate serves /metrics only without
 * `disable_metrics: true` in the node's config.
 */
export async function readNodeMetrics(client: AdminClient): Promise<{ text: string } | { problem: string }> {
  const res = await client.send('GET', metricsPath);
  if (res.status === 404)
    return {
      problem: `${client.baseUrl} serves no ${metricsPath}: its metrics are off (disable_metrics: true in the node's config)`,
    };
  if (res.status !== 200) return { problem: `${client.baseUrl}${metricsPath} answered ${res.status}` };
  return { text: res.text };
}
