import { kindOrder } from '../../src/model/registry.js';
import type { DesiredState, SecretRef } from '../../src/schema/generated/desired-state.js';
import { adminCall } from './admin.js';

/**
 * Puts a compiled desired state into a cluster with plain admin-API calls, one resource at a
 * time in dependency order, as a user scripting curl would. Tests use it to build a cluster by
 * hand and then check that plan sees exactly that. `secretValue` supplies sensitive values.
 */
export async function handApply(
  adminUrl: string,
  state: DesiredState,
  secretValue: (ref: SecretRef, owner: string) => string,
): Promise<void> {
  for (const kind of kindOrder) {
    for (const r of state.resources[kind] as unknown as Record<string, unknown>[]) {
      let path: string;
      let body: unknown;
      if (kind === 'documents') {
        path = `/document/${encodeURIComponent(String(r.id))}?namespace=${r.namespace}&collection=${r.collection}`;
        body = r.data;
      } else {
        path = `/${kind.slice(0, -1)}`;
        body = { ...r };
        if (kind === 'secrets')
          (body as Record<string, unknown>).data = secretValue(r.data as SecretRef, `secret ${r.namespace}/${r.name}`);
        if (kind === 'domains' && r.key)
          (body as Record<string, unknown>).key = secretValue(r.key as SecretRef, `domain ${r.namespace}/${r.name}`);
      }
      const res = await adminCall(adminUrl, 'PUT', path, body);
      if (res.status >= 300) throw new Error(`PUT ${path} answered ${res.status}: ${JSON.stringify(res.json)}`);
    }
  }
}
