import path from 'node:path';
import { AdminClient, clientOptionsFrom, type ClientOptions } from '../cluster/client.js';
import { DgateError } from '../errors/dgate-error.js';
import type { LoadedConfig } from '../load/assemble.js';
import { targetsOf, type Target } from '../select/targets.js';

/** The options every command that works per target takes. */
export interface TargetFlags {
  target: string[];
  allTargets: boolean;
}

/**
 * Which targets a command works on. Without declared targets there is one, implicit, target: the
 * cluster --admin names. With declared targets, `--target` picks some, `--all-targets` (or, for
 * commands that only read, no flag at all) picks every one; a command that writes must be told
 * when there is more than one.
 */
export function chooseTargets(config: LoadedConfig, flags: TargetFlags, mode: 'read' | 'write'): Target[] {
  const declared = config.targets.length > 0;
  const all = targetsOf(config);
  if (!declared) {
    if (flags.target.length > 0) {
      throw new DgateError({
        code: 'DG1707',
        message: `--target ${flags.target[0]}: the config declares no targets`,
        hint: 'declare the clusters under `targets:` (see docs/targets.md), or leave out --target and name the cluster with --admin',
      });
    }
    return all;
  }
  if (flags.target.length > 0) {
    if (flags.allTargets)
      throw new DgateError({
        code: 'DG0001',
        message: '--target and --all-targets exclude each other',
        hint: 'use one of them',
      });
    const byName = new Map(all.map((t) => [t.name, t]));
    return [...new Set(flags.target)].map((name) => {
      const found = byName.get(name);
      if (!found) {
        throw new DgateError({
          code: 'DG1707',
          message: `the config declares no target named '${name}'`,
          hint: `declared targets: ${all.map((t) => t.name).join(', ')}`,
        });
      }
      return found;
    });
  }
  if (mode === 'write' && !flags.allTargets && all.length > 1) {
    throw new DgateError({
      code: 'DG1708',
      message: `the config declares ${all.length} targets (${all.map((t) => t.name).join(', ')}): say which to apply to`,
      hint: 'pass --target NAME (repeatable) or --all-targets',
    });
  }
  return all;
}

/** `--at`: the instant selectors are evaluated at (default now). */
export function evaluationInstant(at: string | undefined, now: number = Date.now()): number {
  if (at === undefined) return now;
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(at) ? Date.parse(at) : NaN;
  if (Number.isNaN(ms)) {
    throw new DgateError({
      code: 'DG1710',
      message: `--at '${at}' is not an RFC 3339 timestamp`,
      hint: 'write it as 2026-12-01T00:00:00Z',
    });
  }
  return ms;
}

export interface ConnectionFlags {
  admin?: string;
  caFile?: string;
  timeoutMs?: number;
}

/**
 * How to reach a target: the implicit target from --admin and DGATE_ADMIN_*; a declared one from
 * its `admin` URLs and the environment variables its `auth` names (never the DGATE_ADMIN_*
 * credentials, which belong to another cluster). `--admin` may stand in for a declared target's
 * URLs only when one target is chosen.
 */
export function connectionOf(
  target: Target,
  flags: ConnectionFlags,
  root: string,
  env: NodeJS.ProcessEnv,
  chosenCount: number,
): { urls: string[]; options: Omit<ClientOptions, 'baseUrl'> } {
  if (!target.spec) {
    const { baseUrl, ...options } = clientOptionsFrom(flags, env);
    return { urls: [baseUrl], options };
  }
  if (flags.admin !== undefined && chosenCount > 1) {
    throw new DgateError({
      code: 'DG1708',
      message: "--admin stands in for one target's URLs, and several targets are chosen",
      hint: 'add --target NAME, or leave out --admin to use the URLs the config declares',
    });
  }
  const auth = target.spec.auth ?? {};
  const fromEnv = (name: string | undefined, what: string): string | undefined => {
    if (name === undefined) return undefined;
    const value = env[name];
    if (!value) {
      throw new DgateError({
        code: 'DG1709',
        message: `target '${target.name}': ${what} is read from $${name}, which is not set`,
        hint: `export ${name} before running, as a CI secret for example`,
      });
    }
    return value;
  };
  const options: Omit<ClientOptions, 'baseUrl'> = {
    key: fromEnv(auth.keyEnv, 'the admin API key'),
    keyHeader: auth.keyHeader,
    username: fromEnv(auth.userEnv, 'the admin user name'),
    password: fromEnv(auth.passwordEnv, 'the admin password'),
    caFile: flags.caFile ?? (target.spec.caFile ? path.resolve(root, target.spec.caFile) : undefined),
    timeoutMs: flags.timeoutMs,
  };
  const urls =
    flags.admin !== undefined
      ? [clientOptionsFrom({ admin: flags.admin }, {}).baseUrl]
      : target.spec.admin.map((u) => u.replace(/\/+$/, ''));
  return { urls, options };
}

/** A client for the first of a target's admin URLs that answers (a raft cluster lists several nodes). */
export async function connectTarget(
  target: Target,
  connection: { urls: string[]; options: Omit<ClientOptions, 'baseUrl'> },
): Promise<AdminClient> {
  if (connection.urls.length === 1) return new AdminClient({ ...connection.options, baseUrl: connection.urls[0]! });
  const failures: string[] = [];
  for (const url of connection.urls) {
    const client = new AdminClient({
      ...connection.options,
      baseUrl: url,
      timeoutMs: Math.min(connection.options.timeoutMs ?? 5000, 5000),
    });
    try {
      await client.send('GET', '/readyz');
      await client.close();
      return new AdminClient({ ...connection.options, baseUrl: url });
    } catch (err) {
      failures.push(`${url}: ${(err as Error).message}`);
      await client.close();
    }
  }
  throw new DgateError({
    code: 'DG2001',
    message: `no admin URL of target '${target.name}' answered:\n${failures.map((f) => `    ${f}`).join('\n')}`,
    hint: 'check that the cluster is running and reachable from here',
  });
}
