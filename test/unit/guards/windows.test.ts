import { describe, expect, it } from 'vitest';
import { evaluateConfigWindows, evaluateGuards, guardRefusal, overridesOf } from '../../../src/guards/guards.js';
import { describeWindowStatus, evaluateWindows, isInsideWindow, isKnownTimeZone } from '../../../src/guards/windows.js';
import { loadConfig } from '../../../src/load/assemble.js';
import type { ChangeWindows } from '../../../src/schema/generated/config.js';
import { sourcesOf } from '../compile/build.js';

const at = (iso: string) => Date.parse(iso);

/** Weekdays 09:00 to 17:00 in Paris, but never on Friday afternoons, nor during a night freeze. */
const paris: ChangeWindows = {
  timeZone: 'Europe/Paris',
  allow: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }],
  deny: [{ days: ['fri'], from: '14:00', to: '17:00' }],
};

describe('change windows', () => {
  it('reads wall-clock time in the zone, winter (UTC+1) and summer (UTC+2) alike', () => {
    // Thursday 2026-03-26: 07:59Z is 08:59 in Paris (CET), 08:00Z is 09:00.
    expect(isInsideWindow(paris, at('2026-03-26T07:59:00Z'))).toBe(false);
    expect(isInsideWindow(paris, at('2026-03-26T08:00:00Z'))).toBe(true);
    // Tuesday 2026-03-31, after the change to summer time: 07:00Z is 09:00 (CEST).
    expect(isInsideWindow(paris, at('2026-03-31T06:59:00Z'))).toBe(false);
    expect(isInsideWindow(paris, at('2026-03-31T07:00:00Z'))).toBe(true);
    expect(isInsideWindow(paris, at('2026-03-31T14:59:00Z'))).toBe(true);
    expect(isInsideWindow(paris, at('2026-03-31T15:00:00Z'))).toBe(false);
  });

  it('a deny range wins over an allow range', () => {
    // Friday 2026-03-27 13:30Z is 14:30 in Paris.
    expect(isInsideWindow(paris, at('2026-03-27T12:59:00Z'))).toBe(true);
    expect(isInsideWindow(paris, at('2026-03-27T13:30:00Z'))).toBe(false);
  });

  it('says when the next window opens, across a weekend and the spring DST change', () => {
    // Friday 2026-03-27 14:30 CET; summer time starts on Sunday 29th; Monday 30th 09:00 CEST is 07:00Z.
    expect(evaluateWindows(paris, at('2026-03-27T13:30:00Z'))).toEqual({
      inside: false,
      timeZone: 'Europe/Paris',
      nextOpen: '2026-03-30T07:00:00.000Z',
    });
    // Inside: when it closes (Thursday 17:00 CET is 16:00Z).
    expect(evaluateWindows(paris, at('2026-03-26T10:00:00Z'))).toEqual({
      inside: true,
      timeZone: 'Europe/Paris',
      closes: '2026-03-26T16:00:00.000Z',
    });
  });

  it('a range past midnight belongs to the day it starts on; autumn DST too', () => {
    const nights: ChangeWindows = {
      timeZone: 'America/New_York',
      allow: [{ days: ['sat'], from: '22:00', to: '02:00' }],
    };
    // Saturday 2026-10-31 22:30 EDT (UTC-4) is Sunday 02:30Z; Sunday 01:30 EDT is 05:30Z.
    expect(isInsideWindow(nights, at('2026-11-01T02:30:00Z'))).toBe(true);
    expect(isInsideWindow(nights, at('2026-11-01T05:30:00Z'))).toBe(true);
    // 02:00 EST (after the clocks went back at 02:00 EDT) is 07:00Z: closed.
    expect(evaluateWindows(nights, at('2026-11-01T05:30:00Z')).closes).toBe('2026-11-01T07:00:00.000Z');
    // Sunday 22:30 is not Saturday.
    expect(isInsideWindow(nights, at('2026-11-02T03:30:00Z'))).toBe(false);
    expect(evaluateWindows(nights, at('2026-11-02T03:30:00Z')).nextOpen).toBe('2026-11-08T03:00:00.000Z');
  });

  it('deny only: open outside the freezes; a window that never opens says so', () => {
    const freeze: ChangeWindows = { timeZone: 'UTC', deny: [{ from: '00:00', to: '24:00' }] };
    expect(evaluateWindows(freeze, at('2026-06-01T12:00:00Z'))).toEqual({
      inside: false,
      timeZone: 'UTC',
      nextOpen: null,
    });
    expect(describeWindowStatus(evaluateWindows(freeze, at('2026-06-01T12:00:00Z')))).toBe(
      'outside the change windows (UTC); none opens in the coming week',
    );
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('Mars/Olympus')).toBe(false);
  });

  it('from a config: refusal located at settings.windows, lifted by --override-window (recorded), unknown zones located', () => {
    const yaml = (zone: string) =>
      `version: v1\nsettings:\n  windows:\n    timeZone: ${zone}\n    allow:\n      - { days: [mon], from: "09:00", to: "10:00" }\nnamespaces:\n  - name: shop\n`;
    const config = loadConfig(sourcesOf({ 'gw.yaml': yaml('UTC') })).config;
    const outside = evaluateGuards({ changes: [], config, managed: 0, at: at('2026-06-02T12:00:00Z') });
    const refusal = guardRefusal(outside, { checkMassDelete: true, checkWindow: true });
    expect(refusal?.code).toBe('DG3015');
    expect(refusal?.location).toEqual({ file: 'gw.yaml', line: 4, col: 5 });
    expect(refusal?.message).toBe(
      'changes are not allowed now: outside the change windows (UTC); the next opens at 2026-06-08T09:00:00.000Z; nothing was changed',
    );
    expect(
      guardRefusal(outside, { checkMassDelete: true, checkWindow: true, windowOverride: 'hotfix' }),
    ).toBeUndefined();
    expect(overridesOf(outside, { windowOverride: 'hotfix' })).toEqual({ windowOverride: 'hotfix' });
    const inside = evaluateGuards({ changes: [], config, managed: 0, at: at('2026-06-01T09:30:00Z') });
    expect(guardRefusal(inside, { checkMassDelete: true, checkWindow: true })).toBeUndefined();
    expect(overridesOf(inside, { windowOverride: 'hotfix' })).toBeUndefined();
    expect(() => evaluateConfigWindows(loadConfig(sourcesOf({ 'gw.yaml': yaml('Mars/Olympus') })).config, 0)).toThrow(
      expect.objectContaining({ code: 'DG1123', location: { file: 'gw.yaml', line: 4, col: 15 } }),
    );
  });
});
