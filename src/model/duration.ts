const unitNanos: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** The unit a bare number may take (a flag's `30` is seconds); in a config only `0` may be bare. */
export type DurationUnit = 'ns' | 'us' | 'ms' | 's' | 'm' | 'h';

/** A duration as the config schema's Duration and SignedDuration write it, optionally signed or bare. */
const durationForm = /^(-?)(?:([0-9]+(?:\.[0-9]+)?)|((?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h))+))$/;
const durationPart = /([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g;

/**
 * The one duration parser, for config fields and command-line flags alike: `250ms`, `5s`, `1m`,
 * `1h30m`, `1.5s` (units ns, us, µs, ms, s, m, h, as Go's time.ParseDuration and DGate take them),
 * in integer nanoseconds. Undefined when `text` is not a duration. `0` is always one; another
 * bare number only with `bareUnit`, and a leading `-` only with `signed` (DGate takes a negative
 * connect or request timeout).
 */
export function parseDurationText(
  text: string,
  opts: { signed?: boolean; bareUnit?: DurationUnit } = {},
): number | undefined {
  const m = durationForm.exec(text);
  if (!m) return undefined;
  const [, sign, bare, parts] = m;
  if (sign && !opts.signed) return undefined;
  let total = 0;
  if (bare !== undefined) {
    if (bare !== '0' && !opts.bareUnit) return undefined;
    total = Number(bare) * unitNanos[opts.bareUnit ?? 's']!;
  } else {
    for (const part of parts!.matchAll(durationPart)) total += Number(part[1]) * unitNanos[part[2]!]!;
  }
  const nanos = Math.round(total);
  // `-0` is 0, not -0.
  return sign && nanos !== 0 ? -nanos : nanos;
}

/**
 * A config duration (`1h30m`, `250ms`, `-5s`) in the integer nanoseconds DGate's admin API takes
 * (Go's time.Duration). The schema has already checked the form, so a string that is not a
 * duration is a bug in the caller, not a user's mistake.
 */
export function parseDuration(text: string): number {
  const nanos = parseDurationText(text, { signed: true });
  if (nanos === undefined)
    throw new Error(`parseDuration: '${text}' is not a duration (the schema should have refused it)`);
  return nanos;
}

/** The inverse of parseDuration, for showing nanoseconds to people: 5400000000000 → `1h30m`. */
export function formatDuration(nanos: number): string {
  if (nanos === 0) return '0s';
  if (nanos < 0) return `-${formatDuration(-nanos)}`;
  const units: [string, number][] = [
    ['h', 3600e9],
    ['m', 60e9],
    ['s', 1e9],
    ['ms', 1e6],
    ['us', 1e3],
    ['ns', 1],
  ];
  let rest = nanos;
  let out = '';
  for (const [unit, size] of units) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}
