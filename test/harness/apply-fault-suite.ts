import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/cluster/client.js';
import { normalizeLive } from '../../src/cluster/normalize.js';
import { readLiveState } from '../../src/cluster/read-live.js';
import type { DgateNode } from '../../src/io/local-server.js';
import type { LiveResources } from '../../src/state/live-state.js';
import { type CliResult, dgateCli, repoRoot } from './cli.js';
import { type Fault, type FaultProxy, startFaultProxy } from './fault-proxy.js';
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

/** A write of the apply itself: the lock, the marks and the release record are dgate-cli's own. */
export const isApplyWrite = (method: string, p: string): boolean =>
  (method === 'PUT' || method === 'DELETE') && !p.includes('namespace=dgate-cli');

export interface BeforeNode {
  node: () => DgateNode;
  /** A fault proxy in front of the node; it passes everything unless a test sets a rule. */
  proxy: () => FaultProxy;
  /** The node's `tx` namespace as it was when it last held the `before` config (see resetToBefore). */
  stateBefore: () => LiveResources;
  /**
   * Puts the `before` config back when an earlier test left the cluster elsewhere (an apply that
   * finished, a resumed one), and records the state it leaves as `before`. Does nothing, and runs
   * no command, when the cluster is already there.
   */
  resetToBefore: () => Promise<void>;
}

/**
 * A dgate-server of the file's own holding the `before` config, with a fault proxy in front: where
 * faults, kills and signals during the before → after apply are tested.
 */
export function useBeforeNode(): BeforeNode {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let before: LiveResources | undefined;
  let proxy: FaultProxy | undefined;
  const applyBefore = async () => {
    const setup = await dgateCli(['apply', beforeDir, '--auto-approve', '--admin', node().adminUrl], {
      env: { ...txEnv, DGATE_CLI_STATE_DIR: await temps.make() },
    });
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    before = await snapshot(node().adminUrl);
  };
  beforeAll(async () => {
    await applyBefore();
    proxy = await startFaultProxy(node().adminUrl);
  });
  afterAll(async () => {
    await proxy?.close();
  });
  return {
    node,
    proxy: () => required(proxy, 'the proxy has not started'),
    stateBefore: () => required(before, 'the node does not hold the before config yet'),
    resetToBefore: async () => {
      proxy?.setRule(() => ({ kind: 'pass' }));
      if (!sameState(await snapshot(node().adminUrl), before)) await applyBefore();
    },
  };
}

function required<T>(value: T | undefined, problem: string): T {
  if (value === undefined) throw new Error(problem);
  return value;
}

/** Equal as toEqual compares snapshots (a property holding undefined is no property). */
function sameState(a: LiveResources, b: LiveResources | undefined): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b ?? null)));
}

/**
 * For each fault and each of the 30 writes of the before → after apply, injects the fault at that
 * write (through our proxy, in front of a real dgate-server) and checks that the apply rolls back
 * and the cluster equals its state before, resource by resource; then that the apply succeeds.
 *
 * The writes of a fault are split into `lanes` runs of consecutive writes, each on a node of its
 * own; the lanes of every fault run side by side, the cases of a lane in order. One apply at a time
 * leaves a core idle while it waits, on a time-out above all.
 */
export function applyFaultSuite(name: string, faults: [label: string, fault: Fault, lanes?: number][]): void {
  describe(name, () => {
    for (const [label, fault, lanes = 1] of faults) {
      const size = Math.ceil(writes / lanes);
      for (let first = 1; first <= writes; first += size) {
        const last = Math.min(writes, first + size - 1);
        describe.concurrent(lanes === 1 ? label : `${label}, writes ${first}-${last}`, () => {
          faultLane(fault, first, last, last === writes);
        });
      }
    }
  });
}

/** The cases of one lane: `fault` at each write from `first` to `last`; then, in a fault's last lane, a clean apply. */
function faultLane(fault: Fault, first: number, last: number, thenApply: boolean): void {
  const { node, proxy, stateBefore } = useBeforeNode();
  const temps = useTempDirs();
  const cases = Array.from({ length: last - first + 1 }, (_, i) => first + i);

  it.sequential.each(cases)('at write %i: rolled back, the cluster equals its state before', async (k) => {
    let seen = 0;
    proxy().log.length = 0;
    proxy().setRule(({ method, path: p }) => {
      // Only the apply's own writes count: the lock and the release record are dgate-cli's.
      if (!isApplyWrite(method, p)) return { kind: 'pass' };
      seen++;
      return seen === k ? fault : { kind: 'pass' };
    });
    const state = await temps.make();
    // A short timeout only where the fault is a hang; module writes can take a second under load.
    const timeout = fault.kind === 'hang' ? ['--timeout', '2s'] : [];
    const result = await dgateCli(['apply', afterDir, '--auto-approve', '--admin', proxy().url, ...timeout], {
      env: { ...txEnv, DGATE_CLI_STATE_DIR: state },
    });
    proxy().setRule(() => ({ kind: 'pass' }));
    expect(proxy().log.filter((r) => r.fault !== 'pass')).toHaveLength(1);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stderr).toMatch(/^error DG3003: apply failed: /);
    expect(result.stderr).toContain('rolled back: the cluster now equals its state before the apply.');
    expect(await snapshot(node().adminUrl)).toEqual(stateBefore());
  });

  if (!thenApply) return;
  it.sequential('then applies cleanly, and plans no changes', async () => {
    const env = { ...txEnv, DGATE_CLI_STATE_DIR: await temps.make() };
    const admin = ['--admin', node().adminUrl];
    const applied = await dgateCli(['apply', afterDir, '--auto-approve', ...admin], { env });
    expect(applied.stdout).toContain('Apply complete: 16 created, 7 updated, 6 deleted.');
    const plan = await dgateCli(['plan', afterDir, '--detailed-exitcode', ...admin], { env });
    expect(plan.code).toBe(0);
  });
}

/** What a test does to an apply under way: `stderrShows` waits until its stderr holds `text`. */
export type ApplyInterruption = (
  child: ChildProcess,
  stderrShows: (text: string) => Promise<void>,
) => Promise<void> | void;

/**
 * Starts `dgate-cli apply` (before → after) through `proxy`, every request slowed by 60 ms so
 * that it is under way for a while, and once the proxy has passed `at` of the apply's own writes
 * ('planning': at its first read of the cluster's resources) calls `act` (by default, kill -9).
 * Resolves, once the apply has exited, to its exit code (128 when a signal ended it) and output.
 * Fails when the apply ends before it got that far.
 */
export async function applyInterrupted(
  proxy: FaultProxy,
  env: Record<string, string>,
  at: number | 'planning',
  act: ApplyInterruption = (child) => void child.kill('SIGKILL'),
  admin = proxy.url,
): Promise<CliResult> {
  let writesSeen = 0;
  let readsSeen = 0;
  proxy.log.length = 0;
  proxy.setRule(({ method, path: p }) => {
    if (method === 'GET' && p.startsWith('/api/v1/') && !p.includes('dgate-cli')) readsSeen++;
    if (isApplyWrite(method, p)) writesSeen++;
    return { kind: 'delay', ms: 60 };
  });
  const child = spawn(process.execPath, [bin, 'apply', afterDir, '--auto-approve', '--admin', admin], {
    cwd: repoRoot,
    env: { ...process.env, ...env, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))),
  );
  /** Resolves once `done()` holds, checked every 5 ms; fails when the apply exits first. */
  const until = (done: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (done()) {
          clearInterval(timer);
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`apply exited before ${what}:\n${stdout}${stderr}`));
        }
      }, 5);
    });
  try {
    await until(() => (at === 'planning' ? readsSeen > 0 : writesSeen >= at), `${at} writes`);
    await act(child, (text) => until(() => stderr.includes(text), `saying '${text}'`));
    return { code: await exited, stdout, stderr };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    proxy.setRule(() => ({ kind: 'pass' }));
    // Writes the proxy held when the apply died still reach the node: the cluster is what the
    // interrupted apply left only once they have (a node that stopped answering never answers).
    await Promise.race([proxy.settled(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
}

/** Starts `dgate-cli apply` and kills it with SIGKILL once the proxy has passed `writes` of its writes. */
export async function applyKilledAfter(
  proxy: FaultProxy,
  writes: number,
  env: Record<string, string>,
  admin = proxy.url,
): Promise<void> {
  await applyInterrupted(proxy, env, writes, undefined, admin);
}
