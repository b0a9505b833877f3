import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseDurationText } from '../../../src/model/duration.js';

describe('parseDurationText', () => {
  it.each([
    ['0', 0],
    ['0s', 0],
    ['250ms', 250_000_000],
    ['5s', 5_000_000_000],
    ['1m', 60_000_000_000],
    ['2h', 7_200_000_000_000],
    ['1h30m', 5_400_000_000_000],
    ['1m0.5s', 60_500_000_000],
    ['1.5s', 1_500_000_000],
    ['10us', 10_000],
    ['10µs', 10_000],
    ['7ns', 7],
  ])('%s is %d ns', (text, nanos) => {
    expect(parseDurationText(text)).toBe(nanos);
  });

  it.each(['', '5', '1.5', 's', '5x', '5 s', ' 5s', '5s ', '1h 30m', '.5s', '5.s', '-', '1d', '5S', '00', '+5s'])(
    'refuses %j',
    (text) => {
      expect(parseDurationText(text)).toBeUndefined();
    },
  );

  it('takes a sign only when asked', () => {
    expect(parseDurationText('-5s')).toBeUndefined();
    expect(parseDurationText('-5s', { signed: true })).toBe(-5_000_000_000);
    expect(parseDurationText('-1h30m', { signed: true })).toBe(-5_400_000_000_000);
    expect(Object.is(parseDurationText('-0', { signed: true }), 0)).toBe(true);
  });

  it('takes a bare number in the unit it is given', () => {
    expect(parseDurationText('30', { bareUnit: 's' })).toBe(30_000_000_000);
    expect(parseDurationText('0.25', { bareUnit: 's' })).toBe(250_000_000);
    expect(parseDurationText('30', { bareUnit: 'ms' })).toBe(30_000_000);
    expect(parseDurationText('30s', { bareUnit: 'ms' })).toBe(30_000_000_000);
  });

  it('rounds to whole nanoseconds', () => {
    expect(parseDurationText('1.1s')).toBe(1_100_000_000);
    expect(parseDurationText('0.0001ns')).toBe(0);
  });
});

describe('parseDuration', () => {
  it('reads the signed durations the schema lets through', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1h30m')).toBe(5_400_000_000_000);
    expect(parseDuration('-250ms')).toBe(-250_000_000);
  });

  it('throws on a string the schema would have refused: reaching it is a bug, not a zero', () => {
    expect(() => parseDuration('5x')).toThrow(/'5x' is not a duration/);
    expect(() => parseDuration('30')).toThrow(/not a duration/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [7, '7ns'],
    [250_000_000, '250ms'],
    [5_400_000_000_000, '1h30m'],
    [-5_000_000_000, '-5s'],
    [61_500_000_000, '1m1s500ms'],
  ])('%d ns is %s', (nanos, text) => {
    expect(formatDuration(nanos)).toBe(text);
  });

  it('is the inverse of parseDuration', () => {
    for (const text of ['1h30m', '250ms', '1m1s500ms', '10us', '-5s', '7ns'])
      expect(formatDuration(parseDuration(text))).toBe(text);
  });
});
