import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summarizeJournal } from '../../src/apply/journal.js';
import type { DgateNode } from '../../src/io/local-server.js';
import { JournalStore } from '../../src/io/journal-store.js';
import {
  afterDir,
  applyInterrupted,
  beforeDir,
  isApplyWrite,
  snapshot,
  txEnv,
  useBeforeNode,
} from '../harness/apply-fault-suite.js';
import { dgateCli } from '../harness/cli.js';
import { startFaultProxy } from '../harness/fault-proxy.js';
import { useTempDirs } from '../harness/fixtures.js';
import { killDgateNode, startTestNode } from '../harness/node.js';

describe('an apply interrupted by a signal', () => {
  const { node, proxy, stateBefore } = useBeforeNode();
  const temps = useTempDirs();
  const env = async () => ({ ...txEnv, DGATE_CLI_STATE_DIR: await temps.make() });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s: sends no new step, rolls back what was done, says so, exits 130',
    async (sig) => {
      const local = await env();
      const result = await applyInterrupted(proxy(), local, 6, (child) => void child.kill(sig));
      expect(result.code, result.stdout + result.stderr).toBe(130);
      expect(result.stderr).toContain(
        `interrupted by ${sig}: no new step is sent; the steps under way finish, then what the apply changed is rolled back. ${sig} again stops at once, leaving the apply for \`dgate-cli recover\`.`,
      );
      expect(result.stderr).toContain(
        `error DG3012: apply interrupted by ${sig}: the steps under way finished, and what was done is rolled back: the cluster equals its state before the apply.`,
      );
      expect(result.stdout).toContain('… rolling back');
      // Stopped well before the end: 30 writes would have been made.
      expect(result.stdout.match(/^✓ /gm)!.length).toBeLessThan(30);
      expect(result.stdout).not.toContain('Apply complete');
      expect(await snapshot(node().adminUrl)).toEqual(stateBefore());
      // The journal is finished: the next plan does not refuse.
      const plan = await dgateCli(['plan', afterDir, '--admin', proxy().url], { env: local });
      expect(plan.stderr).not.toContain('DG3002');
      expect(plan.code, plan.stderr).toBe(0);
    },
  );

  it('twice: stops at once, says to run recover; recover restores the state before', async () => {
    const local = await env();
    const result = await applyInterrupted(proxy(), local, 6, async (child, stderrShows) => {
      child.kill('SIGINT');
      // The second signal once the first was taken (two at once may arrive as one).
      await stderrShows('interrupted by SIGINT');
      child.kill('SIGINT');
    });
    expect(result.code, result.stdout + result.stderr).toBe(130);
    expect(result.stderr).toMatch(
      /error DG3012: stopped at once by a second SIGINT( while it was rolling back)?: the apply to http:\/\/127\.0\.0\.1:\d+ is interrupted \(\d+ of 29 steps done, \d+ under way\), and what it changed is left in place; its journal \S+\.jsonl keeps it\n/,
    );
    expect(result.stderr).toContain(
      'hint: run `dgate-cli recover` to return the cluster to its state before it (or `dgate-cli recover --resume PATH` to finish it)',
    );
    const plan = await dgateCli(['plan', afterDir, '--admin', proxy().url], { env: local });
    expect(plan.stderr).toContain('error DG3002');
    const recovered = await dgateCli(['recover', '--admin', proxy().url], { env: local });
    expect(recovered.stderr).toBe('');
    expect(recovered.stdout).toContain('Recovered: the cluster equals its state before the interrupted apply.');
    expect(await snapshot(node().adminUrl)).toEqual(stateBefore());
  });

  it('before any change (while planning): stops at once, and says nothing was changed', async () => {
    const local = await env();
    const result = await applyInterrupted(proxy(), local, 'planning', (child) => void child.kill('SIGINT'));
    expect(result.code, result.stdout + result.stderr).toBe(130);
    expect(result.stderr).toContain('error DG3012: stopped by SIGINT before any change: nothing was changed');
    expect(proxy().log.filter((r) => isApplyWrite(r.method, r.path))).toEqual([]);
    expect(await snapshot(node().adminUrl)).toEqual(stateBefore());
    const plan = await dgateCli(['plan', afterDir, '--admin', proxy().url], { env: local });
    expect(plan.code, plan.stderr).toBe(0);
  });
});

describe('an apply whose node dies under it', () => {
  let node: DgateNode | undefined;
  const temps = useTempDirs();
  beforeAll(async () => {
    node = await startTestNode();
    const setup = await dgateCli(['apply', beforeDir, '--auto-approve', '--admin', node.adminUrl], {
      env: { ...txEnv, DGATE_CLI_STATE_DIR: await temps.make() },
    });
    expect(setup.code, setup.stderr).toBe(0);
  });
  afterAll(async () => {
    if (node) await killDgateNode(node);
  });

  it('says the apply is interrupted, what was not undone, and to run recover once the node answers', async () => {
    const proxy = await startFaultProxy(node!.adminUrl);
    try {
      const state = await temps.make();
      const result = await applyInterrupted(proxy, { ...txEnv, DGATE_CLI_STATE_DIR: state }, 6, async () => {
        await killDgateNode(node!);
        node = undefined;
      });
      expect(result.code, result.stdout + result.stderr).toBe(1);
      expect(result.stdout).toContain('… rolling back');
      expect(result.stderr).toMatch(
        new RegExp(
          `^error DG2001: .*; then the rollback could not finish \\(cannot reach the DGate admin API at ${proxy.url.replace(/\./g, '\\.')}: \\w+\\), so the apply is interrupted; not undone: (\\w+ [a-z]+ tx[/\\w-]*(, |$))+`,
          'm',
        ),
      );
      expect(result.stderr).toContain(
        `hint: once ${proxy.url} answers again, run \`dgate-cli recover\` to return the cluster to its state before this apply (or \`dgate-cli recover --resume PATH\` to finish it)`,
      );
      // The journal is left unfinished, for recover.
      const summary = summarizeJournal(await new JournalStore(state, proxy.url).read());
      expect(summary?.finished).toBe(false);
    } finally {
      await proxy.close();
    }
  });
});
