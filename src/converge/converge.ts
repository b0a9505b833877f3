import type { DiffResult } from '../diff/diff.js';
import { kinds } from '../model/registry.js';
import type { SmokeResult } from '../smoke/smoke-check.js';
import { describeFailures } from '../smoke/smoke-check.js';

/**
 * Convergence after an apply, the pure part: which nodes a cluster has, what a node's read says
 * differs from the applied desired state, and the report. Reading the nodes and sending the
 * checks is src/pipeline/converge-step.ts.
 */

/** A node of a cluster: its admin API, and its proxy when known (smoke checks go through it). */
export interface ClusterNode {
  adminUrl: string;
  proxyUrl?: string;
}

/** How the nodes were found: the target's `admin:` URLs, the raft cluster's own list, or the one node applied to. */
export type NodeSource = 'declared' | 'discovered' | 'single';

export interface NodeConvergence {
  adminUrl: string;
  proxyUrl?: string;
  /** converged: its state equals the applied one; lagging: it still differs at the timeout; unreachable: it never answered. */
  state: 'converged' | 'lagging' | 'unreachable';
  /** Milliseconds after the apply at which its state was seen to match. */
  afterMs?: number;
  /** What still differs (lagging), or why it could not be read (unreachable). */
  differences: string[];
  /** The routes' checks sent through its proxy (converged nodes with a proxy URL). */
  checks?: SmokeResult[];
  /** Why no checks were sent through it, when the config has checks. */
  checksSkipped?: string;
}

/** What `apply` found when it read every node after applying. Reported in apply's JSON (schema/plan.schema.json `converge`). */
export type ConvergeReport =
  | { status: 'skipped'; reason: string }
  | {
      status: 'converged' | 'not-converged';
      version: string;
      nodeSource: NodeSource;
      timeoutMs: number;
      nodes: NodeConvergence[];
    };

/** The nodes a target declares: `admin` URLs, each with the `proxy` URL at the same place. */
export function declaredNodes(admin: readonly string[], proxy: readonly string[] | undefined): ClusterNode[] {
  return admin.map((url, i) => {
    const p = proxy?.[i];
    return { adminUrl: url.replace(/\/+$/, ''), ...(p ? { proxyUrl: p.replace(/\/+$/, '') } : {}) };
  });
}

/**
 * A node's differences from a diff of the applied desired state against its read: what it
 * lacks, holds otherwise, or holds besides (as apply's read-back names them).
 */
export function differencesOf(diff: Pick<DiffResult, 'changes'>): string[] {
  return diff.changes.map((c) => {
    const what = `${kinds[c.kind].singular} ${c.id}`;
    if (c.action === 'create') return `missing ${what}`;
    if (c.action === 'delete') return `still has ${what}`;
    return `${what} differs (${c.fields.map((f) => f.field).join(', ')})`;
  });
}

/** Converged when every node converged and every check sent through one passed. */
export function convergeStatus(nodes: readonly NodeConvergence[]): 'converged' | 'not-converged' {
  const ok = nodes.every((n) => n.state === 'converged' && (n.checks ?? []).every((c) => c.outcome === 'passed'));
  return ok ? 'converged' : 'not-converged';
}

/** The nodes that did not converge or failed a check, one line each, with what differs. */
export function describeNonConverged(report: ConvergeReport): string[] {
  if (report.status === 'skipped') return [];
  const lines: string[] = [];
  for (const n of report.nodes) {
    if (n.state === 'lagging')
      lines.push(`node ${n.adminUrl} lags after ${seconds(report.timeoutMs)}: ${n.differences.join('; ')}`);
    else if (n.state === 'unreachable')
      lines.push(`node ${n.adminUrl} did not answer within ${seconds(report.timeoutMs)}: ${n.differences.join('; ')}`);
    for (const f of describeFailures(n.checks ?? [])) lines.push(`node ${n.adminUrl} (proxy ${n.proxyUrl}): ${f}`);
  }
  return lines;
}

/** Lines for the human report: one per node, then each check's outcome. */
export function renderConvergeLines(report: ConvergeReport): string[] {
  if (report.status === 'skipped') return [`Convergence not checked: ${report.reason}.`];
  const source = {
    declared: "the target's admin URLs",
    discovered: "the raft cluster's list",
    single: 'the node applied to',
  }[report.nodeSource];
  const lines = [
    `Convergence of ${report.version.slice(0, 19)} on ${report.nodes.length} node${report.nodes.length === 1 ? '' : 's'} (from ${source}):`,
  ];
  for (const n of report.nodes) {
    const state =
      n.state === 'converged'
        ? `converged${n.afterMs !== undefined ? ` after ${seconds(n.afterMs)}` : ''}`
        : n.state === 'lagging'
          ? `LAGGING after ${seconds(report.timeoutMs)}: ${n.differences.join('; ')}`
          : `UNREACHABLE for ${seconds(report.timeoutMs)}: ${n.differences.join('; ')}`;
    lines.push(`  ${n.adminUrl}: ${state}`);
    const checks = n.checks ?? [];
    if (checks.length > 0) {
      const passed = checks.filter((c) => c.outcome === 'passed').length;
      lines.push(`    checks through ${n.proxyUrl}: ${passed} of ${checks.length} passed`);
      for (const f of describeFailures(checks)) lines.push(`      ✗ ${f}`);
    } else if (n.checksSkipped) lines.push(`    checks not sent: ${n.checksSkipped}`);
  }
  return lines;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)}s`;
}
