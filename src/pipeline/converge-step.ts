import { AdminClient, raftServerUrlsOf } from '../cluster/client.js';
import { normalizeLive } from '../cluster/normalize.js';
import { readLiveState } from '../cluster/read-live.js';
import { verifyDiffInput } from '../apply/restore.js';
import {
  type ClusterNode,
  type ConvergeReport,
  convergeStatus,
  declaredNodes,
  differencesOf,
  type NodeConvergence,
  type NodeSource,
} from '../converge/converge.js';
import { diffResources } from '../diff/diff.js';
import { runSmokeChecks } from '../io/smoke-send.js';
import type { ExecutablePlan } from '../plan/plan.js';
import type { Target } from '../select/targets.js';
import type { RouteCheck, SmokeResult } from '../smoke/smoke-check.js';

/** `--converge-timeout` and `--no-converge`. */
export interface ConvergeOptions {
  /** false: skip, and say so (`--no-converge`). */
  enabled: boolean;
  timeoutMs: number;
  /** Between two reads of a node that still differs (default 250 ms). */
  pollMs?: number;
  /** The proxy URL of the node `proxyAdminUrl` names, for a target that declares none (`--proxy`). */
  proxyUrl?: string;
  /** The admin URL of the node `proxyUrl` belongs to (`--admin`): apply may write through another, the leader. */
  proxyAdminUrl?: string;
}

/** The default of --converge-timeout. */
export const defaultConvergeTimeoutMs = 30_000;

/**
 * After an apply: reads every node of the cluster until its state equals the applied desired
 * state or the timeout passes, then sends the routes' checks through the proxy of each node that
 * converged. On raft, the nodes are the target's `admin:` URLs when it lists several, else the
 * raft cluster's own list; without raft, the one node applied to. Never throws for a node: an unreachable or
 * lagging node is a finding, named in the report.
 */
export async function checkConvergence(args: {
  client: AdminClient;
  target: Target;
  planned: ExecutablePlan;
  checks: readonly RouteCheck[];
  options: ConvergeOptions;
  /** When the apply's last write returned: convergence times are counted from here. */
  appliedAt: number;
}): Promise<ConvergeReport> {
  const { client, target, planned, checks, options } = args;
  if (!options.enabled) return { status: 'skipped', reason: '--no-converge' };
  const { nodes, source } = await nodesOf(client, target, planned.pre.read.raft, options);
  // One node and nothing to send through it: the apply's own read-back has just verified it.
  if (source === 'single' && checks.length === 0)
    return { status: 'skipped', reason: "one node, verified by the apply's read-back, and no checks to send" };
  const deadline = args.appliedAt + options.timeoutMs;
  const results = await Promise.all(
    nodes.map((node) => convergeNode(client, node, planned, deadline, args.appliedAt, options.pollMs ?? 250)),
  );
  await Promise.all(
    results.map(async (result) => {
      if (checks.length === 0) return;
      if (result.state !== 'converged') result.checksSkipped = 'the node has not converged';
      else if (!result.proxyUrl)
        result.checksSkipped =
          source === 'discovered'
            ? "no proxy URL: the raft cluster lists admin addresses only (declare the target's admin: and proxy: URLs)"
            : "no proxy URL (declare the target's proxy: URLs, paired with admin:, or pass --proxy)";
      else result.checks = await checksUntilPassed(checks, result.proxyUrl, deadline, options.pollMs ?? 250);
    }),
  );
  return {
    status: convergeStatus(results),
    version: planned.desired.version,
    nodeSource: source,
    timeoutMs: options.timeoutMs,
    nodes: results,
  };
}

/**
 * Sends the checks through a proxy until all pass or the deadline passes (at least once): a
 * node's proxy rebuilds its routers a moment after its admin API shows the change, and answers
 * 404 meanwhile.
 */
async function checksUntilPassed(
  checks: readonly RouteCheck[],
  proxyUrl: string,
  deadline: number,
  pollMs: number,
): Promise<SmokeResult[]> {
  for (;;) {
    const results = await runSmokeChecks(checks, proxyUrl);
    if (results.every((r) => r.outcome === 'passed') || Date.now() + pollMs >= deadline) return results;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Which nodes to read: declared, discovered from raft, or the one applied to. */
async function nodesOf(
  client: AdminClient,
  target: Target,
  raft: boolean,
  { proxyUrl, proxyAdminUrl }: Pick<ConvergeOptions, 'proxyUrl' | 'proxyAdminUrl'>,
): Promise<{ nodes: ClusterNode[]; source: NodeSource }> {
  const spec = target.spec;
  // Several admin URLs name a raft cluster's nodes; without raft they are other addresses of one node.
  if (raft && spec && spec.admin.length > 1)
    return { nodes: declaredNodes(spec.admin, spec.proxy), source: 'declared' };
  // The node applied to: the declared URL that answered (with its proxy), or the one --admin names (with --proxy).
  const declared = spec ? declaredNodes(spec.admin, spec.proxy) : [];
  const own =
    declared.find((n) => n.adminUrl === client.baseUrl) ??
    (raft ? declared[0] : undefined) ??
    declaredNodes([proxyAdminUrl ?? client.baseUrl], proxyUrl ? [proxyUrl] : undefined)[0]!;
  const single = [own];
  if (!raft) return { nodes: single, source: 'single' };
  const urls = await raftServerUrlsOf(client);
  if (!urls) return { nodes: single, source: 'single' };
  // The node applied to keeps its proxy URL.
  return {
    nodes: urls.map((u) =>
      u === own.adminUrl && own.proxyUrl ? { adminUrl: u, proxyUrl: own.proxyUrl } : { adminUrl: u },
    ),
    source: 'discovered',
  };
}

/** Reads one node until it equals the desired state or the deadline passes. */
async function convergeNode(
  writer: AdminClient,
  node: ClusterNode,
  planned: ExecutablePlan,
  deadline: number,
  start: number,
  pollMs: number,
): Promise<NodeConvergence> {
  const base = { adminUrl: node.adminUrl, ...(node.proxyUrl ? { proxyUrl: node.proxyUrl } : {}) };
  // A short per-request timeout: a stopped or hung node must not hold the report past the deadline.
  const client = new AdminClient({
    ...writer.options,
    baseUrl: node.adminUrl,
    timeoutMs: Math.max(1000, Math.min(5000, deadline - Date.now())),
    connections: 4,
  });
  let last: { state: 'lagging' | 'unreachable'; differences: string[] } = {
    state: 'unreachable',
    differences: ['not read'],
  };
  try {
    for (;;) {
      try {
        const read = await readLiveState(client, planned.plan.scope.namespaces, 4);
        const differences = differencesOf(diffResources(verifyDiffInput(planned, read, normalizeLive(read))));
        if (differences.length === 0)
          return { ...base, state: 'converged', afterMs: Math.max(0, Date.now() - start), differences: [] };
        last = { state: 'lagging', differences };
      } catch (err) {
        last = { state: 'unreachable', differences: [err instanceof Error ? err.message : String(err)] };
      }
      if (Date.now() + pollMs >= deadline) return { ...base, ...last };
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } finally {
    await client.close();
  }
}
