import { DgateError } from '../errors/dgate-error.js';
import type { Resources } from '../schema/generated/desired-state.js';
import { describeFailures, type SmokeResult } from './smoke-check.js';

/**
 * `plan --try` and `apply --try`, the pure part: the resources a scratch DGate gets, and the report.
 * Starting the scratch server and sending is pipeline/try-step.ts.
 */

/** Where the scratch DGate's services point: the echo upstream dgate-cli starts, or their real URLs. */
export type TryUpstreams = 'echo' | 'real';

/** What trying the desired state on a scratch DGate came to. Reported in the plan (schema/plan.schema.json `try`). */
export interface TryReport {
  /** passed: DGate took every resource and every check passed; failed otherwise. */
  status: 'passed' | 'failed';
  upstreams: TryUpstreams;
  /** The dgate-server binary used, and its version. */
  server: string;
  /** Why the desired state could not be put on the scratch DGate (a write it refused). */
  error?: string;
  checks: SmokeResult[];
}

/** What a secret value or domain key is on the scratch DGate: modules cannot read secrets, and its proxy speaks plain HTTP. */
export const scratchSecretValue = 'dgate-cli-try-placeholder';

/**
 * The resources a scratch DGate gets: the desired ones, with every service pointed at `echoUrl`
 * (when given), and domains without their certificate and key (the scratch proxy speaks plain
 * HTTP, and a key has no business on a throwaway server). Secret values are replaced as they are sent.
 */
export function scratchResources(resources: Resources, echoUrl: string | undefined): Resources {
  return {
    ...resources,
    services: echoUrl ? resources.services.map((s) => ({ ...s, urls: [`${echoUrl}/`] })) : resources.services,
    domains: resources.domains.map(({ cert: _cert, key: _key, ...d }) => d),
  };
}

/** Passed when DGate took everything and every check passed. */
export function tryStatus(error: string | undefined, checks: readonly SmokeResult[]): TryReport['status'] {
  return error === undefined && checks.every((c) => c.outcome === 'passed') ? 'passed' : 'failed';
}

/** Lines for the human plan. */
export function renderTryLines(report: TryReport): string[] {
  const upstreams = report.upstreams === 'echo' ? "services pointed at dgate-cli's echo upstream" : 'real upstreams';
  const head = `Tried on a scratch DGate (${report.server}; ${upstreams}):`;
  if (report.error) return [head, `  ✗ DGate refused the desired state: ${report.error}`];
  if (report.checks.length === 0)
    return [`${head} DGate took every resource; no route declares checks: (docs/try-and-converge.md).`];
  const passed = report.checks.filter((c) => c.outcome === 'passed').length;
  return [
    `${head} ${passed} of ${report.checks.length} check${report.checks.length === 1 ? '' : 's'} passed`,
    ...report.checks.filter((c) => c.outcome === 'passed').map((c) => `  ✓ route ${c.route}: ${c.name}`),
    ...describeFailures(report.checks).map((f) => `  ✗ ${f}`),
  ];
}

/** The error that stops `apply --try` before the cluster is touched, or fails `plan --try` (DG3202). */
export function tryFailure(report: TryReport, command: 'plan' | 'apply'): DgateError {
  const failures = report.error
    ? [`DGate refused the desired state: ${report.error}`]
    : describeFailures(report.checks);
  return new DgateError({
    code: 'DG3202',
    message: `the change failed on a scratch DGate${command === 'apply' ? ', so the cluster was not touched' : ''}:\n${failures.map((f) => `    ${f}`).join('\n')}`,
    hint:
      report.upstreams === 'echo'
        ? "fix the route or module named, or the check; the scratch DGate's services answered from dgate-cli's echo upstream (--try-upstreams real keeps their URLs)"
        : 'fix the route, module or upstream named, or the check',
  });
}
