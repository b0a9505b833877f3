import { DgateError } from '../errors/dgate-error.js';

/** A duration flag (`30s`, `500ms`, `2m`, or bare seconds) in milliseconds; a clear error otherwise. */
export function parseFlagDuration(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!m)
    throw new DgateError({
      code: 'DG0001',
      message: `${flag} '${text}' is not a duration`,
      hint: `e.g. ${flag} 30s or ${flag} 500ms`,
    });
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}
