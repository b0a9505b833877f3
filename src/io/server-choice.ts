import { DgateError } from '../errors/dgate-error.js';
import { pinnedDgateVersion, resolveDgateServer, type DgateServerBinary } from './local-server.js';

/** What finding dgate-server came to: a binary, or why there is none. */
export type ServerSearch = { found: DgateServerBinary } | { missing: string };

/**
 * What a run that wants a real dgate-server does: run with the binary found, skip the parts that
 * need one (a developer's machine, an air-gapped runner), or fail because untested code must not
 * pass (CI).
 */
export type ServerChoice =
  | { mode: 'run'; binary: DgateServerBinary }
  | { mode: 'skip'; reason: string }
  | { mode: 'fail'; reason: string };

/** True when the environment demands a real server: `CI=true` (or `1`), or `DGATE_REQUIRE_SERVER=1`. */
export function serverRequired(env: Readonly<Record<string, string | undefined>>): boolean {
  const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes'].includes(v.trim().toLowerCase());
  return truthy(env.CI) || truthy(env.DGATE_REQUIRE_SERVER);
}

/**
 * The choice between run, skip and fail. A `DGATE_SERVER_BIN` that names no executable always
 * fails: the user asked for that binary, and quietly skipping would hide their mistake.
 */
export function chooseServerUse(search: ServerSearch, env: Readonly<Record<string, string | undefined>>): ServerChoice {
  if ('found' in search) return { mode: 'run', binary: search.found };
  if (env.DGATE_SERVER_BIN) return { mode: 'fail', reason: search.missing };
  return serverRequired(env) ? { mode: 'fail', reason: search.missing } : { mode: 'skip', reason: search.missing };
}

/** The one line that says real-server tests did not run, why, and how to run them. */
export function skippedServerLine(count: number | undefined, reason: string): string {
  const what = count === undefined ? 'real-server tests: skipped' : `real-server tests: ${count} skipped`;
  return `${what} (no dgate-server: ${reason}). Set DGATE_SERVER_BIN=/path/to/dgate-server to run them.`;
}

/** The line that says real-server tests are required and cannot run. */
export function requiredServerLine(reason: string, env: Readonly<Record<string, string | undefined>>): string {
  const why = env.DGATE_SERVER_BIN
    ? 'DGATE_SERVER_BIN is set'
    : env.DGATE_REQUIRE_SERVER
      ? 'DGATE_REQUIRE_SERVER is set'
      : 'CI is set';
  return `real-server tests cannot run and are required (${why}): no dgate-server: ${reason}. Set DGATE_SERVER_BIN=/path/to/dgate-server to run them.`;
}

/** How a binary is named in summaries: its path and what it says its version is. */
export function describeServer(binary: DgateServerBinary): string {
  const kind =
    binary.version === 'dev'
      ? 'dev, a build from source'
      : binary.version === pinnedDgateVersion
        ? binary.version
        : `${binary.version}, not the pinned ${pinnedDgateVersion}`;
  return `${binary.path} (${kind})`;
}

/** The ways to get a dgate-server, for messages that stop short of the live part. */
export const waysToGetAServer = [
  `go install github.com/dgate-io/dgate/cmd/dgate-server@${pinnedDgateVersion} (puts it in the Go bin directory, where it is found)`,
  `a binary from DGate's releases (github.com/dgate-io/dgate/releases), or one built from DGate's ${pinnedDgateVersion} source, named by DGATE_SERVER_BIN=/path/to/dgate-server`,
  'a dgate-server already on PATH',
];

/**
 * Finds dgate-server (installing it with `go install` when asked), turning "there is none" into
 * a reason rather than an exception. Any other failure is not about a missing server and escapes.
 */
export async function searchDgateServer(opts: {
  install: boolean;
  log?: (line: string) => void;
}): Promise<ServerSearch> {
  try {
    return { found: await resolveDgateServer(opts) };
  } catch (err) {
    if (err instanceof DgateError && err.code === 'DG0004') return { missing: err.message };
    throw err;
  }
}
