import type { AdminClient } from '../cluster/client.js';
import { effectiveReleases, readReleases } from '../cluster/releases.js';
import { evaluateGuards, type GuardReport } from '../guards/guards.js';
import { managedCount } from '../guards/mass-delete.js';
import type { RecordedProtection } from '../guards/protect.js';
import type { LoadedConfig } from '../load/assemble.js';
import type { ExecutablePlan } from '../plan/plan.js';

/**
 * The guards over a plan made for `config`, with what the cluster's latest release recorded as
 * protected, and the change windows at `at`: the one place plan, apply and reconcile ask, before
 * anything is written.
 */
export async function checkGuards(
  client: AdminClient,
  made: ExecutablePlan,
  config: LoadedConfig,
  at: number,
): Promise<GuardReport> {
  const deletesSomething = made.plan.changes.some((c) => c.action === 'delete');
  // Only a delete can touch a resource the config no longer declares: the history is read only then.
  const recorded = deletesSomething ? await recordedProtection(client) : undefined;
  return evaluateGuards({
    changes: made.plan.changes,
    config,
    managed: managedCount(made.pre.live, made.plan.scope),
    at,
    ...(recorded ? { recorded } : {}),
  });
}

async function recordedProtection(client: AdminClient): Promise<RecordedProtection | undefined> {
  const latest = effectiveReleases(await readReleases(client)).at(-1);
  return latest?.protected ? { release: latest.number, keys: new Set(latest.protected) } : undefined;
}
