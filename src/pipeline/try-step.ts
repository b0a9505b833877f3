import { DgateError } from '../errors/dgate-error.js';
import { BundleTrial } from '../io/bundle-trial.js';
import { describeServer, waysToGetAServer } from '../io/server-choice.js';
import { runSmokeChecks } from '../io/smoke-send.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import type { RouteCheck } from '../smoke/smoke-check.js';
import {
  scratchResources,
  scratchSecretValue,
  type TryReport,
  type TryUpstreams,
  tryStatus,
} from '../smoke/try-report.js';

/**
 * `--try`: starts a throwaway dgate-server on loopback (`DGATE_SERVER_BIN`, else the Go bin
 * directory, else PATH; never installed here), puts the desired state on it, sends the routes'
 * checks through its proxy, and stops it. With `upstreams: 'echo'` every service points at an
 * echo upstream dgate-cli starts, so no request leaves the machine. A missing dgate-server is an
 * error (DG0004), never a silent skip.
 */
export async function tryOnScratch(
  desired: DesiredState,
  checks: readonly RouteCheck[],
  opts: { upstreams: TryUpstreams; log: (line: string) => void },
): Promise<TryReport> {
  const trial = await BundleTrial.start(opts.log, { install: false }).catch((err: unknown) => {
    if (err instanceof DgateError && err.code === 'DG0004') {
      throw new DgateError({
        code: 'DG0004',
        message: `--try needs a dgate-server to try the change on, and there is none: ${err.message}; nothing was tried, and nothing was applied`,
        hint: `get one: ${waysToGetAServer.join('; or ')}`,
      });
    }
    throw err;
  });
  try {
    const resources = scratchResources(desired.resources, opts.upstreams === 'echo' ? trial.echoUrl : undefined);
    const base = { upstreams: opts.upstreams, server: describeServer(trial.binary) };
    try {
      await trial.put(resources, () => scratchSecretValue);
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      return { status: 'failed', ...base, error, checks: [] };
    }
    const results = await runSmokeChecks(checks, trial.proxyUrl);
    return { status: tryStatus(undefined, results), ...base, checks: results };
  } finally {
    await trial.stop();
  }
}
