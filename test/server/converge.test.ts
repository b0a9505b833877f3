import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { planSchema } from '../../src/schema/generated/plan.schema.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DgateNode } from '../../src/io/local-server.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { killDgateNode, startTestNode, useOwnDgateCluster } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

/**
 * Convergence after apply on a real 3-node raft cluster: every node read until it holds the
 * applied state, each route's checks sent through every node's proxy, and a node that is stopped
 * (or was never part of the cluster) named with what differs, exit 3, nothing rolled back.
 */
const validatePlan = new Ajv2020({ strict: true, strictRequired: false, allErrors: true }).compile(
  planSchema as unknown as object,
);

/** Reads an `apply --report` file, checked against schema/plan.schema.json. */
async function readReport(file: string): Promise<Record<string, unknown>> {
  const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  expect(validatePlan(doc), JSON.stringify(validatePlan.errors)).toBe(true);
  return doc;
}

describe('apply: convergence on a 3-node raft cluster', () => {
  const cluster = useOwnDgateCluster();
  const temps = useTempDirs();
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream('conv');
  });
  afterAll(async () => {
    await upstream?.close();
  });

  /** A config of namespace `ns` with one route per name, each with a check; the target lists `nodes`. */
  const configFor = async (
    ns: string,
    routes: string[],
    opts: { nodes?: DgateNode[]; expectUpstream?: string } = {},
  ): Promise<string> => {
    const dir = await temps.make();
    const nodes = opts.nodes;
    const target = nodes
      ? `targets:\n  - name: raft\n    admin: [${nodes.map((n) => n.adminUrl).join(', ')}]\n    proxy: [${nodes.map((n) => n.proxyUrl).join(', ')}]\n`
      : '';
    const routeYaml = routes
      .map(
        (r) => `      - name: ${r}
        paths: [/${ns}/${r}]
        methods: [GET]
        service: up
        checks:
          - name: ${r} answers
            path: /${ns}/${r}
            expect: { status: 200, json: { upstream: ${opts.expectUpstream ?? 'conv'}, url: /${ns}/${r} } }
`,
      )
      .join('');
    await writeFile(
      path.join(dir, 'gateway.yaml'),
      `version: v1
${target}namespaces:
  - name: ${ns}
    domains:
      - { name: ${ns}, patterns: [${ns}.test] }
    services:
      - { name: up, urls: ["${upstream.url}/"] }
    routes:
${routeYaml}`,
    );
    return dir;
  };
  const env = async () => ({ DGATE_CLI_STATE_DIR: await temps.make() });

  it('reads every declared node until it holds the applied state, and passes the checks through each proxy', async () => {
    const nodes = cluster().nodes;
    const dir = await configFor('c1', ['a', 'b'], { nodes });
    const result = await dgateCli(['apply', dir, '--target', 'raft', '--auto-approve'], { env: await env() });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Convergence of sha256:[0-9a-f]{12} on 3 nodes \(from the target's admin URLs\):/);
    for (const n of nodes) {
      expect(result.stdout).toMatch(new RegExp(`  ${n.adminUrl}: converged after \\d`));
      expect(result.stdout).toContain(`    checks through ${n.proxyUrl}: 2 of 2 passed`);
    }
    // The checks did reach the upstream through every node: two per node.
    expect(upstream.requests.filter((r) => r.url.startsWith('/c1/')).length).toBe(6);
  });

  it("finds the nodes from the raft cluster when given one admin URL; --proxy is that node's, the others are not checked", async () => {
    const dir = await configFor('c2', ['a']);
    const follower = cluster().followers[0]!;
    const result = await dgateCli(['apply', dir, '--auto-approve', '--proxy', follower.proxyUrl], {
      env: { ...(await env()), DGATE_ADMIN_URL: follower.adminUrl },
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("on 3 nodes (from the raft cluster's list):");
    for (const n of cluster().nodes) expect(result.stdout).toMatch(new RegExp(`  ${n.adminUrl}: converged`));
    // The follower --admin names has the proxy --proxy gives (apply wrote through the leader).
    expect(result.stdout).toMatch(
      new RegExp(`  ${follower.adminUrl}: converged.*\\n    checks through ${follower.proxyUrl}: 1 of 1 passed`),
    );
    expect(
      result.stdout.match(/checks not sent: no proxy URL: the raft cluster lists admin addresses only/g),
    ).toHaveLength(2);
  });

  it('--no-converge skips it and says so, in the --report too', async () => {
    const dir = await configFor('c3', ['a'], { nodes: cluster().nodes });
    const report = path.join(dir, 'report.json');
    const result = await dgateCli(
      ['apply', dir, '--target', 'raft', '--auto-approve', '--no-converge', '--report', report],
      { env: await env() },
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Convergence not checked: --no-converge.');
    const doc = await readReport(report);
    expect(doc.converge).toEqual({ status: 'skipped', reason: '--no-converge' });
    expect(doc.release).toBeGreaterThan(0);
  });

  it('a failing check on every node is exit 3 (DG3201), naming route, request, expected and got; nothing is rolled back', async () => {
    const nodes = cluster().nodes;
    const dir = await configFor('c4', ['a'], { nodes, expectUpstream: 'elsewhere' });
    const report = path.join(dir, 'report.json');
    const result = await dgateCli(
      ['apply', dir, '--target', 'raft', '--auto-approve', '--converge-timeout', '3s', '--report', report],
      { env: await env() },
    );
    expect(result.code).toBe(3);
    // The report is written when a node did not converge too, and says which check failed where.
    const doc = (await readReport(report)) as { converge: { status: string; nodes: { checks: unknown[] }[] } };
    expect(doc.converge.status).toBe('not-converged');
    expect(doc.converge.nodes).toHaveLength(3);
    for (const n of doc.converge.nodes)
      expect(n.checks).toEqual([
        expect.objectContaining({
          route: 'c4/a',
          name: 'a answers',
          request: { method: 'GET', path: '/c4/a', host: 'c4.test' },
          outcome: 'failed',
          status: 200,
          at: expect.stringMatching(/gateway\.yaml:18:13$/),
        }),
      ]);
    expect(result.stderr).toContain('DG3201');
    expect(result.stderr).toContain('is complete (release');
    for (const n of nodes)
      expect(result.stderr).toContain(
        `node ${n.adminUrl} (proxy ${n.proxyUrl}): route c4/a: check 'a answers' (GET /c4/a Host: c4.test, ${path.relative(process.cwd(), dir)}/gateway.yaml:18:13) failed: body`,
      );
    expect(result.stderr).toContain('does not contain {"upstream":"elsewhere","url":"/c4/a"}');
    // Applied, and kept: the plan shows nothing to do.
    const plan = await dgateCli(['plan', dir, '--target', 'raft', '--detailed-exitcode'], { env: await env() });
    expect(plan.code).toBe(0);
  });

  it('a node outside the raft cluster lags: named, with what it misses, exit 3', async () => {
    const stray = await startTestNode();
    try {
      const nodes = [...cluster().nodes, stray];
      const dir = await configFor('c5', ['a'], { nodes });
      const result = await dgateCli(['apply', dir, '--target', 'raft', '--auto-approve', '--converge-timeout', '2s'], {
        env: await env(),
      });
      expect(result.code).toBe(3);
      expect(result.stdout).toContain(
        `  ${stray.adminUrl}: LAGGING after 2s: missing namespace c5; missing service c5/up; missing domain c5/c5; missing route c5/a`,
      );
      expect(result.stdout).toContain('checks not sent: the node has not converged');
      expect(result.stderr).toContain(`node ${stray.adminUrl} lags after 2s: missing namespace c5`);
      for (const n of cluster().nodes) expect(result.stdout).toMatch(new RegExp(`  ${n.adminUrl}: converged`));
    } finally {
      await killDgateNode(stray);
    }
  });

  it('a follower paused during the apply is named; once it runs again it catches up, nothing rolled back', async () => {
    const paused = cluster().followers[0]!;
    const nodes = cluster().nodes;
    const dir = await configFor('c7', ['a', 'b'], { nodes });
    const child = spawn(
      process.execPath,
      [
        path.join(repoRoot, 'bin/dgate-cli'),
        'apply',
        dir,
        '--target',
        'raft',
        '--auto-approve',
        '--converge-timeout',
        '3s',
      ],
      { env: { ...process.env, ...(await env()), NO_COLOR: '1' } },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (d: Buffer) => {
        // The first write has landed: stop the follower (SIGSTOP: it neither answers nor applies the log).
        if (!stdout.includes('✓ create') && `${stdout}${d}`.includes('✓ create')) paused.process.kill('SIGSTOP');
        stdout += d.toString();
      });
      child.on('close', resolve);
    });
    paused.process.kill('SIGCONT');
    expect(stdout).toContain('Apply complete: 5 created');
    expect(code).toBe(3);
    expect(stdout).toMatch(new RegExp(`  ${paused.adminUrl}: UNREACHABLE for 3s: `));
    expect(stderr).toContain(`node ${paused.adminUrl} did not answer within 3s`);
    for (const n of nodes.filter((n) => n !== paused)) expect(stdout).toMatch(new RegExp(`  ${n.adminUrl}: converged`));
    // Running again, it applies the raft log it missed: a plan against it alone finds nothing to do.
    await expect
      .poll(
        async () =>
          (await dgateCli(['plan', dir, '--admin', paused.adminUrl, '--detailed-exitcode'], { env: await env() })).code,
        { timeout: 20_000, interval: 250 },
      )
      .toBe(0);
  });

  it('a follower stopped before the apply is named as not answering; the others converge; exit 3, the change kept', async () => {
    const stopped = cluster().followers[1]!;
    await killDgateNode(stopped);
    const nodes = cluster().nodes;
    const dir = await configFor('c6', ['a'], { nodes });
    const result = await dgateCli(['apply', dir, '--target', 'raft', '--auto-approve', '--converge-timeout', '3s'], {
      env: await env(),
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('Apply complete: 4 created');
    expect(result.stdout).toContain(
      `  ${stopped.adminUrl}: UNREACHABLE for 3s: cannot reach the DGate admin API at ${stopped.adminUrl}`,
    );
    expect(result.stderr).toContain(`node ${stopped.adminUrl} did not answer within 3s`);
    for (const n of nodes.filter((n) => n !== stopped)) {
      expect(result.stdout).toMatch(new RegExp(`  ${n.adminUrl}: converged`));
      expect(result.stdout).toContain(`    checks through ${n.proxyUrl}: 1 of 1 passed`);
    }
  });
});
