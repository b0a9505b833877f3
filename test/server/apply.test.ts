import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { adminCall, adminPut, writesHang } from '../harness/admin.js';
import {
  afterDir,
  applyKilledAfter,
  isApplyWrite,
  snapshot,
  txEnv,
  useBeforeNode,
} from '../harness/apply-fault-suite.js';
import { type CliResult, dgateCli, repoRoot } from '../harness/cli.js';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { editFile, secretEnv, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateCluster } from '../harness/node.js';

const releases = ['v1', 'v2', 'v3'].map((v) => path.join(repoRoot, 'test/fixtures/releases', v));
const blog = path.join(repoRoot, 'examples/blog');
const relEnv = { REL_SECRET: 'rel-secret-value' };

/**
 * One node for the file. Each test works in namespaces of its own (the release fixtures and the
 * blog example copied with their namespace renamed), or, for the kills, in the `tx` namespace put
 * back to the `before` config first; and each runs with a state directory of its own. So any test
 * runs alone (`-t`) as it runs after the others.
 */
describe('apply', () => {
  const { node, proxy, stateBefore, resetToBefore } = useBeforeNode();
  const temps = useTempDirs();
  let stateDir: string;
  beforeEach(async () => {
    stateDir = await temps.make();
  });
  const env = () => ({
    DGATE_ADMIN_URL: node().adminUrl,
    DGATE_CLI_STATE_DIR: stateDir,
    ...txEnv,
    ...relEnv,
    ...secretEnv,
  });
  /** A copy of a config directory whose namespace `from` (the first in `file`) is renamed `namespace`. */
  const inNamespace = async (dir: string, file: string, from: string, namespace: string) => {
    const copy = await temps.make(dir);
    await editFile(path.join(copy, file), `  - name: ${from}\n`, `  - name: ${namespace}\n`);
    return copy;
  };
  /** The three release fixtures, in a namespace of their own. */
  const releasesIn = (namespace: string) =>
    Promise.all(releases.map((dir) => inNamespace(dir, 'rel.yaml', 'rel', namespace)));

  describe('confirmation and saved plans', () => {
    it('refuses without a terminal unless --auto-approve, and changes nothing', async () => {
      const dir = await inNamespace(blog, 'blog.yaml', 'blog', 'unconfirmed');
      const result = await dgateCli(['apply', dir], { env: env() });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error DG3001: apply needs confirmation, and there is no terminal to ask on');
      const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
      expect(plan.code).toBe(2);
      expect(plan.stdout).toContain('Plan: 9 to create, 0 to update, 0 to delete.');
    });

    it('applies a saved plan exactly, and refuses one the cluster has moved away from', async () => {
      const dir = await temps.make();
      const planFile = path.join(dir, 'plan.json');
      // The blog's own namespace: no other test uses it.
      expect((await dgateCli(['plan', blog, '--out', planFile], { env: env() })).code).toBe(0);
      const applied = await dgateCli(['apply', planFile, '--auto-approve'], { env: env() });
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toMatch(
        /Apply complete: 9 created, 0 updated, 0 deleted\. The cluster matches sha256:[0-9a-f]{64} \(release \d+\)\./,
      );
      // The same plan again: the cluster now has what it would create.
      const stale = await dgateCli(['apply', planFile, '--auto-approve'], { env: env() });
      expect(stale.code).toBe(1);
      expect(stale.stderr).toMatch(
        /^error DG3005: the cluster changed since the plan was made: no longer: create namespace blog; no longer: create module blog\/health/,
      );
    });
  });

  describe('another writer', () => {
    it('is noticed when it writes to the cluster while the apply runs', async () => {
      const [v1] = await releasesIn('writer');
      const watched = await startFaultProxy(node().adminUrl);
      try {
        let writes = 0;
        watched.setRule(({ method, path: p }) => {
          if ((method === 'PUT' || method === 'DELETE') && !p.includes('dgate-cli') && ++writes === 3) {
            // Someone else, straight to the node, in the middle of our apply.
            void adminPut(node().adminUrl, 'namespace', { name: 'intruder' });
          }
          return { kind: 'delay', ms: 30 };
        });
        const result = await dgateCli(['apply', v1!, '--auto-approve', '--admin', watched.url], { env: env() });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/^warning: 1 write by another client reached .* while this apply ran/);
      } finally {
        await watched.close();
      }
    });

    it('is not claimed when there was none', async () => {
      const [, v2] = await releasesIn('quiet');
      const result = await dgateCli(['apply', v2!, '--auto-approve'], { env: env() });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/Apply complete: [1-9]\d* created/);
      expect(result.stderr).toBe('');
    });
  });

  describe('killed in the middle', () => {
    // Each starts from the `before` config (a test before may have left `after`).
    beforeEach(resetToBefore);

    // Random points, different in every run; the seed is in the test name for a rerun.
    const seed = Date.now() % 100_000;
    const points = [0, 1, 2].map((i) => 1 + ((seed * (i + 7) * 7919) % 28));
    it.each(points.map((p, i) => [p, i] as const))(
      `kill -9 after %i writes (seed ${seed}, #%i): plan refuses, recover restores the state before`,
      async (writes) => {
        const local = env();
        await applyKilledAfter(proxy(), writes, local);
        const plan = await dgateCli(['plan', afterDir, '--admin', proxy().url], { env: local });
        expect(plan.code).toBe(1);
        expect(plan.stderr).toContain('error DG3002: an earlier apply to');
        const apply = await dgateCli(['apply', afterDir, '--admin', proxy().url, '--auto-approve'], { env: local });
        expect(apply.stderr).toContain('error DG3002');
        const recovered = await dgateCli(['recover', '--admin', proxy().url], { env: local });
        expect(recovered.stderr).toBe('');
        expect(recovered.stdout).toContain('Recovered: the cluster equals its state before the interrupted apply.');
        expect(await snapshot(node().adminUrl)).toEqual(stateBefore());
        const again = await dgateCli(['recover', '--admin', proxy().url], { env: local });
        expect(again.stderr).toContain('error DG3008');
      },
    );

    it('recover --resume finishes the interrupted apply instead', async () => {
      const local = env();
      await applyKilledAfter(proxy(), 12, local);
      const resumed = await dgateCli(['recover', '--resume', afterDir, '--admin', proxy().url], { env: local });
      expect(resumed.stderr).toBe('');
      expect(resumed.stdout).toContain('Resumed: the cluster matches');
      const plan = await dgateCli(['plan', afterDir, '--detailed-exitcode'], { env: local });
      expect(plan.code).toBe(0);
    });

    it('another runner cannot apply over an interrupted apply; recover refuses to undo a change made since by hand, and --abandon forgets it', async () => {
      const killed = env();
      // Late enough that services were written (they come after namespaces and modules).
      await applyKilledAfter(proxy(), 16, killed);
      const interrupted = await snapshot(node().adminUrl);
      // Another CI runner, with a state directory of its own, is stopped by the mark in the cluster.
      const otherEnv = { ...env(), DGATE_CLI_STATE_DIR: await temps.make() };
      const other = await dgateCli(['apply', afterDir, '--auto-approve'], { env: otherEnv });
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(
        /^error DG3002: an apply to \S+ by \S+ on \S+ \(started [^;]+; its journal: \S+\) was interrupted before it finished/,
      );
      expect(await snapshot(node().adminUrl)).toEqual(interrupted);
      // Someone changes by hand a service the interrupted apply had already written.
      const journalDir = path.join(killed.DGATE_CLI_STATE_DIR, 'journal');
      const records = (
        await readFile(
          path.join(journalDir, (await readdir(journalDir)).find((f) => f.endsWith('.jsonl') && !f.includes('.last'))!),
          'utf8',
        )
      )
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const begin = records.find((r) => r.type === 'begin');
      const doneIndexes = new Set(records.filter((r) => r.type === 'step' && r.state === 'done').map((r) => r.index));
      const service = begin.steps.find(
        (st: { kind: string; action: string; index: number }) =>
          st.kind === 'services' && st.action !== 'delete' && doneIndexes.has(st.index),
      );
      expect(
        service,
        `a service step done before the kill: ${JSON.stringify(begin.steps.filter((st: { index: number }) => doneIndexes.has(st.index)))}`,
      ).toBeDefined();
      const [ns, name] = service.id.split('/');
      await adminPut(node().adminUrl, 'service', { name, namespace: ns, urls: ['http://127.0.0.1:7/by-hand'] });
      const byHand = await snapshot(node().adminUrl);
      const recovered = await dgateCli(['recover', '--admin', proxy().url], { env: killed });
      expect(recovered.code).toBe(1);
      expect(recovered.stderr).toMatch(
        new RegExp(
          `^error DG3011: the interrupted apply \\S+ \\(started [^)]+\\) is not rolled back: service ${service.id} changed since \\(neither as before the apply nor as it was writing\\), and rolling back would undo it\n  hint: nothing was changed; .*dgate-cli recover --abandon`,
        ),
      );
      expect(await snapshot(node().adminUrl)).toEqual(byHand);
      const abandoned = await dgateCli(['recover', '--abandon', '--admin', proxy().url], { env: killed });
      expect(abandoned.stdout).toContain('Abandoned: apply');
      expect(await snapshot(node().adminUrl)).toEqual(byHand);
      expect((await dgateCli(['apply', afterDir, '--auto-approve'], { env: otherEnv })).code).toBe(0);
    });
  });

  describe('two applies at once', () => {
    it('never interleave: with --lock-timeout the second waits, without it, it fails clearly', async () => {
      const [v1, v2, v3] = await releasesIn('race');
      const a = await startFaultProxy(node().adminUrl);
      const b = await startFaultProxy(node().adminUrl);
      try {
        // dgate-cli's own store (lock, releases) exists after a first apply; the race is about the rest.
        expect((await dgateCli(['apply', v3!, '--auto-approve'], { env: env() })).code).toBe(0);
        for (const p of [a, b]) p.setRule(() => ({ kind: 'delay', ms: 40 }));
        const [ra, rb] = await Promise.all([
          dgateCli(['apply', v1!, '--auto-approve', '--admin', a.url, '--lock-timeout', '60s'], {
            env: env(),
          }),
          dgateCli(['apply', v2!, '--auto-approve', '--admin', b.url, '--lock-timeout', '60s'], {
            env: env(),
          }),
        ]);
        expect(ra.code, ra.stderr).toBe(0);
        expect(rb.code, rb.stderr).toBe(0);
        const writes = (p: FaultProxy) => p.log.filter((r) => isApplyWrite(r.method, r.path)).map((r) => r.at);
        const [wa, wb] = [writes(a), writes(b)];
        expect(wa.length).toBeGreaterThan(0);
        expect(wb.length).toBeGreaterThan(0);
        // One apply's writes all come before the other's.
        expect(Math.max(...wa) < Math.min(...wb) || Math.max(...wb) < Math.min(...wa)).toBe(true);

        for (const p of [a, b]) p.setRule(() => ({ kind: 'delay', ms: 40 }));
        const racing: CliResult[] = await Promise.all([
          dgateCli(['apply', v3!, '--auto-approve', '--admin', a.url], { env: env() }),
          dgateCli(['apply', v1!, '--auto-approve', '--admin', b.url], { env: env() }),
        ]);
        const failed = racing.filter((r) => r.code !== 0);
        expect(failed).toHaveLength(1);
        expect(failed[0]!.stderr).toMatch(/^error DG3006: .* is locked by another apply: apply .* by .* since /);
      } finally {
        await a.close();
        await b.close();
      }
    });
  });

  describe('releases and rollback', () => {
    it('records each apply, lists them, and rolls back to each of three releases', async () => {
      const [v1, v2, v3] = await releasesIn('history');
      // Each of these changes something: v2 creates the namespace.
      const order = [v2!, v1!, v3!];
      const applied: { dir: string; number: number }[] = [];
      for (const dir of order) {
        const result = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
        expect(result.code, result.stderr).toBe(0);
        const number = Number(/\(release (\d+)\)/.exec(result.stdout)?.[1]);
        expect(number, result.stdout).toBeGreaterThan(0);
        applied.push({ dir, number });
      }
      const history = await dgateCli(['history', '--format', 'json'], { env: env() });
      const listed = JSON.parse(history.stdout) as { number: number; kind: string; desiredVersion: string }[];
      expect(listed.slice(-3).map((r) => r.number)).toEqual(applied.map((a) => a.number));
      const table = await dgateCli(['history'], { env: env() });
      expect(table.stdout).toMatch(/^#\s+kind\s+version\s+commit\s+by\s+at\s+changes/);

      for (const target of [applied[0]!, applied[2]!, applied[1]!]) {
        const rolled = await dgateCli(['rollback', '--to', String(target.number), '--auto-approve'], { env: env() });
        expect(rolled.stderr).toBe('');
        expect(rolled.stdout).toContain(`Rolled back to release ${target.number}`);
        const plan = await dgateCli(['plan', target.dir, '--detailed-exitcode'], { env: env() });
        expect(plan.stdout).toContain('No changes.');
        expect(plan.code).toBe(0);
      }
      const after = JSON.parse((await dgateCli(['history', '--format', 'json'], { env: env() })).stdout) as {
        kind: string;
        rolledBackTo?: number;
      }[];
      expect(after.slice(-3).map((r) => [r.kind, r.rolledBackTo])).toEqual([
        ['rollback', applied[0]!.number],
        ['rollback', applied[2]!.number],
        ['rollback', applied[1]!.number],
      ]);
    });

    it('names a release that does not exist', async () => {
      const result = await dgateCli(['rollback', '--to', '9999', '--auto-approve'], { env: env() });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error DG3007: release 9999 is not in the history of /);
    });
  });
});

describe('apply against a 3-node raft cluster, pointed at a follower', () => {
  const cluster = useOwnDgateCluster();
  const temps = useTempDirs();
  const followerEnv = async (i: number) => ({
    DGATE_ADMIN_URL: cluster().followers[i]!.adminUrl,
    DGATE_CLI_STATE_DIR: await temps.make(),
    ...relEnv,
  });
  /** Plans `dir` until it shows no changes: a follower applies committed writes a moment later. */
  const plansClean = async (dir: string, env: Record<string, string>) =>
    expect
      .poll(async () => (await dgateCli(['plan', dir, '--detailed-exitcode'], { env })).code, {
        timeout: 15_000,
        interval: 100,
      })
      .toBe(0);

  it('applies through the follower, plans clean, and rolls back, leaving what raft cannot delete', async () => {
    const env = await followerEnv(0);
    for (const dir of releases.slice(0, 2)) {
      const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
      expect(applied.stderr).toBe('');
      expect(applied.stdout).toContain('is a raft follower; working through the leader at');
      expect(applied.code).toBe(0);
      await plansClean(dir, env);
    }
    const rolled = await dgateCli(['rollback', '--auto-approve'], { env });
    expect(rolled.stderr).toBe('');
    expect(rolled.stdout).toContain('Cannot delete: service rel/admin');
    expect(rolled.stdout).toContain('DGate v0.11 raft leaders break on deletes');
    await plansClean(releases[0]!, env);
  });

  it('refuses a change that needs a delete on raft (a route losing a module), before writing', async () => {
    const env = await followerEnv(1);
    // The route with its module, from v1 (already there when the test before ran).
    expect((await dgateCli(['apply', releases[0]!, '--auto-approve'], { env })).code).toBe(0);
    await plansClean(releases[0]!, env);
    const result = await dgateCli(['apply', releases[2]!, '--auto-approve'], { env });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error DG3010: route rel\/api would lose a module or its service/);
  });

  // Last: it leaves the leader wedged.
  it('proves the reason: one delete on the leader wedges it (DGate v0.11.1)', async () => {
    const leader = cluster().leader.adminUrl;
    await adminPut(leader, 'namespace', { name: 'wedge-probe' });
    const deleted = await adminCall(leader, 'DELETE', '/namespace', { name: 'wedge-probe' });
    expect(deleted.status).toBe(202);
    expect(await writesHang(leader, 5, 2000)).toBe(true);
  });
});
