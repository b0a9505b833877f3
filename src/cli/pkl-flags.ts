import { Option } from 'clipanion';
import { parseFlagDuration } from './flag-duration.js';
import type { PklOptions } from '../pipeline/pkl-input.js';
import { valueNamed } from './value-names.js';

/** --pkl-env NAME (repeatable), for every command that reads a config. */
export const pklEnvOption = () =>
  valueNamed(
    'VAR',
    Option.Array('--pkl-env', [], {
      description: 'Let Pkl modules read this environment variable (repeatable); pkl sees no others',
    }),
  );

/** --pkl-timeout DURATION, for every command that reads a config. */
export const pklTimeoutOption = () =>
  valueNamed(
    'DURATION',
    Option.String('--pkl-timeout', {
      description: 'Stop Pkl evaluation after this long, e.g. 30s (default: settings.pkl.timeout, else 30s)',
    }),
  );

export function pklOptionsFrom(env: readonly string[], timeout: string | undefined): PklOptions {
  return { env, timeoutMs: timeout === undefined ? undefined : parseFlagDuration(timeout, '--pkl-timeout') };
}
