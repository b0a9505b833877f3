import { parseDurationText } from '../model/duration.js';
import { DgateError } from '../errors/dgate-error.js';

/**
 * A duration flag in milliseconds: anything a config's durations take (`30s`, `500ms`, `2m`,
 * `1h30m`), or bare seconds (`30`). A clear error otherwise, negative durations included.
 */
export function parseFlagDuration(text: string, flag: string): number {
  const nanos = parseDurationText(text, { bareUnit: 's' });
  if (nanos === undefined)
    throw new DgateError({
      code: 'DG0001',
      message: `${flag} '${text}' is not a duration`,
      hint: `e.g. ${flag} 30s or ${flag} 500ms`,
    });
  return nanos / 1e6;
}
