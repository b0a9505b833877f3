import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/cluster/client.js';
import { normalizeLive } from '../../src/cluster/normalize.js';
import { readLiveState } from '../../src/cluster/read-live.js';
import type { LiveResources } from '../../src/state/live-state.js';
import { dgateCli, repoRoot } from './cli.js';
import { startFaultProxy, type Fault, type FaultProxy } from './fault-proxy.js';
import { useTempDirs } from './fixtures.js';
import { useOwnDgateNode } from './node.js';

export const beforeDir = path.join(repoRoot, 'test/fixtures/apply/before');
export const afterDir = path.join(repoRoot, 'test/fixtures/apply/after');
export const txEnv = { TX_SECRET: 'tx-secret-value' };
const writes = 30;
const bin = path.join(repoRoot, 'bin', 'dgate-cli');

export async function snapshot(adminUrl: string): Promise<LiveResources> {
  const client = new AdminClient({ baseUrl: adminUrl });
  try {
    return normalizeLive(await readLiveState(client, ['tx']));
  } finally {
    await client.close();
  }
}

/**
 * For each fault and each of the 30 writes of the before → after apply, injects the fault at that
 * write (through our proxy, in front of a real dgate-server) and checks that the apply rolls back
 * and the cluster equals its state before, resource by resource.
 */
export function applyFaultSuite(name: string, faults: [string, Fault][]): void {
  describe(name, () => {
    const node = useOwnDgateNode();
    const temps = useTempDirs();
    let before: LiveResources;
    let proxy: FaultProxy;

    beforeAll(async () => {
      const setup = await dgateCli(['apply', beforeDir, '--auto-approve'], {
        env: { DGATE_ADMIN_URL: node().adminUrl, ...txEnv },
      });
      expect(setup.code, setup.stderr).toBe(0);
      before = await snapshot(node().adminUrl);
      proxy = await startFaultProxy(node().adminUrl);
    });
    afterAll(async () => {
      await proxy?.close();
    });

    const cases = faults.flatMap(([label, fault]) =>
      Array.from({ length: writes }, (_, i) => [label, i + 1, fault] as const),
    );
    it.each(cases)('%s at write %i: rolled back, the cluster equals its state before', async (_, k, fault) => {
      let seen = 0;
      proxy.log.length = 0;
      proxy.setRule(({ method, path: p }) => {
        // Only the apply's own writes count: the lock and the release record are dgate-cli's.
        if ((method !== 'PUT' && method !== 'DELETE') || p.includes('namespace=dgate-cli')) return { kind: 'pass' };
        seen++;
        return seen === k ? fault : { kind: 'pass' };
      });
      const state = await temps.make();
      // A short timeout only where the fault is a hang; module writes can take a second under load.
      const timeout = fault.kind === 'hang' ? ['--timeout', '2s'] : [];
      const result = await dgateCli(['apply', afterDir, '--auto-approve', '--admin', proxy.url, ...timeout], {
        env: { ...txEnv, DGATE_CLI_STATE_DIR: state },
      });
      proxy.setRule(() => ({ kind: 'pass' }));
      expect(proxy.log.filter((r) => r.fault !== 'pass')).toHaveLength(1);
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stderr).toMatch(/^error DG3003: apply failed: /);
      expect(result.stderr).toContain('rolled back: the cluster now equals its state before the apply.');
      expect(await snapshot(node().adminUrl)).toEqual(before);
    });

    it('then applies cleanly, and plans no changes', async () => {
      const env = { DGATE_ADMIN_URL: node().adminUrl, ...txEnv };
      const applied = await dgateCli(['apply', afterDir, '--auto-approve'], { env });
      expect(applied.stdout).toContain('Apply complete: 16 created, 7 updated, 6 deleted.');
      const plan = await dgateCli(['plan', afterDir, '--detailed-exitcode'], { env });
      expect(plan.code).toBe(0);
    });
  });
}

/** Starts `dgate-cli apply` and kills it with SIGKILL once the proxy has passed `writes` of its writes. */
export async function applyKilledAfter(
  proxy: FaultProxy,
  writes: number,
  env: Record<string, string>,
  admin = proxy.url,
): Promise<void> {
  let seen = 0;
  proxy.log.length = 0;
  proxy.setRule(({ method, path: p }) => {
    if ((method === 'PUT' || method === 'DELETE') && !p.includes('namespace=dgate-cli')) seen++;
    return { kind: 'delay', ms: 60 };
  });
  const child = spawn(process.execPath, [bin, 'apply', afterDir, '--auto-approve', '--admin', admin], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      if (seen >= writes) {
        clearInterval(timer);
        child.kill('SIGKILL');
        resolve();
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`apply finished before ${writes} writes`));
      }
    }, 5);
  });
  await exited;
  proxy.setRule(() => ({ kind: 'pass' }));
}
