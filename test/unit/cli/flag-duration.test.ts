import { describe, expect, it } from 'vitest';
import { parseFlagDuration } from '../../../src/cli/flag-duration.js';
import { DgateError } from '../../../src/errors/dgate-error.js';

describe('parseFlagDuration', () => {
  it.each([
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1_500],
    ['30', 30_000],
    ['0.5', 500],
    ['0', 0],
    ['250us', 0.25],
  ])('%s is %d ms', (text, ms) => {
    expect(parseFlagDuration(text, '--timeout')).toBe(ms);
  });

  it.each(['', 'soon', '5x', '-5s', '-5', '5 s', '1d'])('refuses %j with DG0001, naming the flag', (text) => {
    let thrown: unknown;
    try {
      parseFlagDuration(text, '--lock-timeout');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DgateError);
    expect(thrown).toMatchObject({
      code: 'DG0001',
      message: `--lock-timeout '${text}' is not a duration`,
      hint: 'e.g. --lock-timeout 30s or --lock-timeout 500ms',
    });
  });
});
