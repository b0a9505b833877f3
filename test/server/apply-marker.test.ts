import { beforeEach, describe, expect, it } from 'vitest';
import { afterDir, applyKilledAfter, snapshot, txEnv, useBeforeNode } from '../harness/apply-fault-suite.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';

/**
 * An interrupted apply is marked in the cluster, not only in a local journal keyed by the URL's
 * spelling: another directory, another machine or another spelling of the URL sees it, and
 * `recover` works from anywhere.
 */
describe('the interrupted-apply mark lives in the cluster', () => {
  const { node, proxy, stateBefore, resetToBefore } = useBeforeNode();
  const temps = useTempDirs();
  const env = async () => ({ ...txEnv, DGATE_CLI_STATE_DIR: await temps.make() });
  beforeEach(resetToBefore);

  it('another directory and another spelling of the URL are refused; recover from there restores the state before', async () => {
    const killedIn = await env();
    await applyKilledAfter(proxy(), 9, killedIn);
    // The same machine, another state directory, and the URL spelled with localhost.
    const elsewhere = await env();
    const spelled = proxy().url.replace('127.0.0.1', 'localhost');
    const plan = await dgateCli(['plan', afterDir, '--admin', spelled], { env: elsewhere });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toMatch(
      /^error DG3002: an apply to http:\/\/localhost:\d+ by \S+ on \S+ \(started [^;]+; its journal: \S+\.jsonl\) was interrupted before it finished\n {2}hint: run `dgate-cli recover` \(from any machine/,
    );
    const apply = await dgateCli(['apply', afterDir, '--auto-approve', '--admin', spelled], { env: elsewhere });
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain('error DG3002');
    expect(await snapshot(node().adminUrl)).not.toEqual(stateBefore());
    // recover with no local journal: from the record in the cluster.
    const recovered = await dgateCli(['recover', '--admin', spelled], { env: elsewhere });
    expect(recovered.stdout + recovered.stderr).toMatch(/from the record it left in the cluster/);
    expect(recovered.stdout).toContain('Recovered: the cluster equals its state before the interrupted apply.');
    expect(await snapshot(node().adminUrl)).toEqual(stateBefore());
    // Cleared everywhere: the original directory's journal is the only trace, and it says so.
    expect((await dgateCli(['plan', afterDir, '--admin', spelled], { env: elsewhere })).code).toBe(0);
    const again = await dgateCli(['recover', '--admin', spelled], { env: elsewhere });
    expect(again.stderr).toContain('error DG3008');
  });

  it('a mark that could not be cleared after a finished apply is found complete by recover, which only clears it', async () => {
    // Everything passes but the write that marks the apply finished (the second write of the mark).
    let finishing = false;
    proxy().setRule(({ method, path }) => {
      if (method === 'PUT' && path.includes('/document/in-progress')) {
        const hit = finishing;
        finishing = true;
        return hit ? { kind: 'status', status: 500 } : { kind: 'pass' };
      }
      return { kind: 'pass' };
    });
    const local = await env();
    const applied = await dgateCli(['apply', afterDir, '--auto-approve', '--admin', proxy().url], { env: local });
    proxy().setRule(() => ({ kind: 'pass' }));
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/Apply complete: .* \(release (\d+)\)\./);
    expect(applied.stderr).toMatch(
      /warning: the cluster still marks apply \S+ as running \(.*\): the next plan or apply will stop at it, and `dgate-cli recover` will find it complete and clear the mark/,
    );
    const after = await snapshot(node().adminUrl);
    expect((await dgateCli(['plan', afterDir, '--admin', node().adminUrl], { env: local })).stderr).toContain(
      'error DG3002',
    );
    const recovered = await dgateCli(['recover', '--admin', node().adminUrl], { env: local });
    expect(recovered.code, recovered.stdout + recovered.stderr).toBe(0);
    expect(recovered.stdout).toMatch(
      /Nothing to undo: the apply finished \(release \d+\) and only its mark in the cluster was left; it is cleared\./,
    );
    expect(await snapshot(node().adminUrl)).toEqual(after);
    expect(
      (await dgateCli(['plan', afterDir, '--detailed-exitcode', '--admin', node().adminUrl], { env: local })).code,
    ).toBe(0);
  });
});
