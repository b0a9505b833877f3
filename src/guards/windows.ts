import type { ChangeWindows, TimeRange } from '../schema/generated/config.js';

export { isKnownTimeZone } from '../compile/check-settings.js';

/**
 * Change windows (`settings.windows`): when apply and reconcile may change a cluster. Wall-clock
 * times are read in the windows' IANA time zone through Intl (Node's ICU time zone data), so
 * daylight saving time is the zone's own, never an offset computed here. Pure: the instant is an
 * argument, so apply, reconcile and canary steps judge it the same way.
 */

const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
type Weekday = (typeof weekdays)[number];

/** A wall-clock reading: weekday index (0 Sunday) and minute of the day. */
interface WallClock {
  day: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function wallClock(at: number, timeZone: string): WallClock {
  const parts = formatterFor(timeZone).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = weekdays.indexOf(part('weekday').toLowerCase().slice(0, 3) as Weekday);
  return { day, minute: Number(part('hour')) * 60 + Number(part('minute')) };
}

const minuteOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a wall-clock reading falls in a range; a range whose end is not after its start runs past midnight. */
function inRange(range: TimeRange, clock: WallClock): boolean {
  const from = minuteOf(range.from);
  const to = minuteOf(range.to);
  const startsOn = (day: number) => !range.days || range.days.includes(weekdays[day]!);
  if (to > from) return startsOn(clock.day) && clock.minute >= from && clock.minute < to;
  return (startsOn(clock.day) && clock.minute >= from) || (startsOn((clock.day + 6) % 7) && clock.minute < to);
}

/** Whether changes are allowed at an instant: in an allow range (or there are none), and in no deny range. */
export function isInsideWindow(windows: ChangeWindows, at: number): boolean {
  const clock = wallClock(at, windows.timeZone);
  const allowed = !windows.allow || windows.allow.length === 0 || windows.allow.some((r) => inRange(r, clock));
  return allowed && !(windows.deny ?? []).some((r) => inRange(r, clock));
}

/** What the windows say of an instant: inside or not, and when that next changes. */
export interface WindowStatus {
  inside: boolean;
  timeZone: string;
  /** Outside: when the next window opens (ISO 8601, UTC); null when none opens within a week. */
  nextOpen?: string | null;
  /** Inside: when this window closes; null when it stays open for a week. */
  closes?: string | null;
}

const minuteMs = 60_000;
/** A weekly schedule repeats: a week and a day (for a zone's DST change) is as far as there is to look. */
const horizonMinutes = 8 * 24 * 60;

/**
 * The first whole minute after `at` at which being inside changes, or null. It steps from one
 * range boundary to the next in wall-clock minutes, less an hour (a DST change moves the wall
 * clock by up to an hour), then minute by minute: a few hundred readings for a week.
 */
function nextChange(windows: ChangeWindows, at: number, inside: boolean): number | null {
  const ranges = [...(windows.allow ?? []), ...(windows.deny ?? [])];
  const boundaries = [...new Set(ranges.flatMap((r) => [minuteOf(r.from), minuteOf(r.to) % 1440]))];
  if (boundaries.length === 0) return null;
  let t = Math.floor(at / minuteMs) * minuteMs + minuteMs;
  const end = at + horizonMinutes * minuteMs;
  while (t <= end) {
    if (isInsideWindow(windows, t) !== inside) return t;
    const now = wallClock(t, windows.timeZone).minute;
    const ahead = Math.min(...boundaries.map((b) => (b - now + 1440) % 1440 || 1440));
    t += (ahead > 61 ? ahead - 60 : 1) * minuteMs;
  }
  return null;
}

/** Inside or not at `at`, and when the next window opens (or this one closes). Pure. */
export function evaluateWindows(windows: ChangeWindows, at: number): WindowStatus {
  const inside = isInsideWindow(windows, at);
  const change = nextChange(windows, at, inside);
  const when = change === null ? null : new Date(change).toISOString();
  return inside
    ? { inside, timeZone: windows.timeZone, closes: when }
    : { inside, timeZone: windows.timeZone, nextOpen: when };
}

/** The windows status in one line, for plan and for refusals. */
export function describeWindowStatus(status: WindowStatus): string {
  if (status.inside)
    return `inside a change window (${status.timeZone})${status.closes ? `; it closes at ${status.closes}` : ''}`;
  return `outside the change windows (${status.timeZone}); ${status.nextOpen ? `the next opens at ${status.nextOpen}` : 'none opens in the coming week'}`;
}
