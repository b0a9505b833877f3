import { beforeAll, describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/cluster/client.js';
import { readReleases, type ReleaseRecord } from '../../src/cluster/releases.js';
import type { LiveResources } from '../../src/state/live-state.js';
import { afterDir, beforeDir, snapshot, txEnv } from '../harness/apply-fault-suite.js';
import { dgateCli } from '../harness/cli.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../harness/fault-proxy.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/** The writes dgate-cli makes for its own bookkeeping: the lock, the running mark, the release record, the mark ended, old records dropped, the lock released. */
const bookkeeping = (method: string, path: string) =>
  (method === 'PUT' || method === 'DELETE') && path.includes('namespace=dgate-cli');

async function releasesOf(adminUrl: string): Promise<ReleaseRecord[]> {
  const client = new AdminClient({ baseUrl: adminUrl });
  try {
    return await readReleases(client);
  } finally {
    await client.close();
  }
}

/**
 * A fault at each write apply makes for its own bookkeeping, in front of a real dgate-server.
 * Each write has one exact outcome: the lock not taken (nothing changed), the release record not
 * written (rolled back, the record voided), an old record not dropped or the lock not released
 * (applied, with a warning that says so). Never a changed cluster with an error that hides it.
 */
describe('apply with a fault at every bookkeeping write', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let before: LiveResources;
  let after: LiveResources;
  let proxy: FaultProxy;
  const env = (extra: Record<string, string> = {}) => ({ ...txEnv, ...extra });

  beforeAll(async () => {
    const admin = { DGATE_ADMIN_URL: node().adminUrl };
    // before → after → before, so that both snapshots hold what DGate cannot delete (a collection).
    expect((await dgateCli(['apply', beforeDir, '--auto-approve'], { env: env(admin) })).code).toBe(0);
    expect((await dgateCli(['apply', afterDir, '--auto-approve'], { env: env(admin) })).code).toBe(0);
    after = await snapshot(node().adminUrl);
    expect((await dgateCli(['apply', beforeDir, '--auto-approve'], { env: env(admin) })).code).toBe(0);
    before = await snapshot(node().adminUrl);
    proxy = await startFaultProxy(node().adminUrl);
    return () => proxy.close();
  });

  const faults: [string, Fault][] = [
    ['a 500 answer', { kind: 'status', status: 500, body: '{"error":"injected failure","status":500}' }],
    ['a connection reset', { kind: 'reset' }],
    ['a lost answer', { kind: 'lost-response' }],
  ];
  // Six bookkeeping writes with --keep-releases 1: claim the lock, mark the apply running, write
  // the release, mark the apply ended, drop the oldest release, release the lock.
  const cases = faults.flatMap(([label, fault]) => [1, 2, 3, 4, 5, 6].map((k) => [label, k, fault] as const));

  it.each(cases)('%s at bookkeeping write %i: an exact outcome', async (_, k, fault) => {
    const releasesBefore = await releasesOf(node().adminUrl);
    let seen = 0;
    proxy.log.length = 0;
    proxy.setRule(({ method, path }) => {
      if (!bookkeeping(method, path)) return { kind: 'pass' };
      seen++;
      return seen === k ? fault : { kind: 'pass' };
    });
    const state = await temps.make();
    const result = await dgateCli(['apply', afterDir, '--auto-approve', '--keep-releases', '1', '--admin', proxy.url], {
      env: env({ DGATE_CLI_STATE_DIR: state }),
    });
    proxy.setRule(() => ({ kind: 'pass' }));
    const hit = proxy.log.find((r) => r.fault !== 'pass');
    expect(hit, JSON.stringify(proxy.log.filter((r) => bookkeeping(r.method, r.path)))).toBeDefined();
    const releasesAfter = await releasesOf(node().adminUrl);
    const output = result.stdout + result.stderr;

    const markWrites = proxy.log.filter((r) => r.method === 'PUT' && r.path.includes('/document/in-progress'));
    if (hit!.method === 'PUT' && hit!.path.includes('/document/in-progress') && hit === markWrites[0]) {
      // The running mark is written before the first write: without it, nothing was changed, and
      // a mark that may have landed unseen is ended at once.
      expect(result.code, output).toBe(1);
      expect(result.stderr).toMatch(
        /^error DG\d{4}: could not mark the apply as running in the cluster, before its first write: /,
      );
      expect(result.stderr).toContain('hint: nothing was changed');
      expect(await snapshot(node().adminUrl)).toEqual(before);
      expect(releasesAfter).toEqual(releasesBefore);
      expect(
        (
          await dgateCli(['plan', beforeDir, '--detailed-exitcode', '--admin', node().adminUrl], {
            env: env({ DGATE_CLI_STATE_DIR: await temps.make() }),
          })
        ).code,
      ).toBe(0);
      return;
    }
    if (
      hit!.method === 'PUT' &&
      hit!.path.includes('collection=locks') &&
      !hit!.path.includes('/document/in-progress')
    ) {
      // The lock was not taken (or its claim landed unseen, and is free again: its holder is gone): nothing was written.
      expect(result.code, output).toBe(1);
      expect(result.stderr).toMatch(/^error DG\d{4}: could not take the apply lock: /);
      expect(result.stderr).toContain('hint: nothing was changed');
      expect(await snapshot(node().adminUrl)).toEqual(before);
      expect(releasesAfter).toEqual(releasesBefore);
      return;
    }
    if (hit!.method === 'PUT' && hit!.path.includes('collection=releases')) {
      // The record is part of the transaction: without it, the apply is rolled back, and the
      // number it was given is marked voided (it may have landed when only the answer was lost).
      expect(result.code, output).toBe(1);
      expect(result.stderr).toMatch(
        /^error DG3003: apply failed: the release record \(release \d+\) could not be written: /,
      );
      expect(result.stderr).toContain('rolled back: the cluster now equals its state before the apply.');
      expect(result.stderr).toMatch(/release \d+ was recorded before the failure and is now marked voided/);
      expect(await snapshot(node().adminUrl)).toEqual(before);
      const added = releasesAfter.filter((r) => !releasesBefore.some((b) => b.number === r.number));
      expect(added.map((r) => Boolean(r.voided))).toEqual([true]);
      const history = await dgateCli(['history', '--admin', node().adminUrl]);
      expect(history.stdout).toMatch(
        new RegExp(`\\n${added[0]!.number}: voided .*: the apply was rolled back \\(the release record`),
      );
      return;
    }
    // Every other bookkeeping write comes after the apply is complete and recorded.
    expect(result.code, output).toBe(0);
    expect(result.stdout).toMatch(/Apply complete: .* \(release \d+\)\./);
    expect(await snapshot(node().adminUrl)).toEqual(after);
    expect(releasesAfter.at(-1)!.voided).toBeUndefined();
    // A delete whose answer was lost did happen, but dgate-cli cannot know: it warns all the same.
    let cleared = false;
    if (hit!.method === 'PUT' && hit!.path.includes('/document/in-progress')) {
      // The end mark: the apply stands, and says that the mark is left for recover to clear.
      expect(result.stderr).toMatch(
        /warning: the cluster still marks apply \S+ as running \(.*\): .* `dgate-cli recover` will find it complete and clear the mark/,
      );
      const recovered = await dgateCli(['recover', '--admin', node().adminUrl], {
        env: env({ DGATE_CLI_STATE_DIR: await temps.make() }),
      });
      // A lost answer: the end mark did land, so there is nothing to recover.
      if (fault.kind === 'lost-response') expect(recovered.stderr).toMatch(/^error DG3008: no interrupted apply/);
      else expect(recovered.stdout, recovered.stderr).toMatch(/Nothing to undo: the apply finished/);
      expect(await snapshot(node().adminUrl)).toEqual(after);
      cleared = true;
    } else if (hit!.method === 'DELETE' && hit!.path.includes('collection=releases')) {
      expect(result.stderr).toMatch(/warning: release \d+ could not be dropped: /);
    } else {
      expect(cleared).toBe(false);
      expect(`${hit!.method} ${hit!.path}`).toMatch(/^DELETE .*collection=locks/);
      expect(result.stderr).toMatch(
        /warning: the apply lock on \S+ could not be released \(.*\); it expires by itself at \d{4}-/,
      );
    }
    // Back to the start for the next case; the lock left behind is free (its holder is gone).
    const reset = await dgateCli(['apply', beforeDir, '--auto-approve'], {
      env: env({ DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: await temps.make() }),
    });
    expect(reset.code, reset.stdout + reset.stderr).toBe(0);
  });
});
