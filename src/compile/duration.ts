const unitNanos: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/**
 * Parses a duration such as `1h30m` or `250ms` into integer nanoseconds, the unit DGate's admin
 * API takes (Go's time.Duration). The schema has already checked the form.
 */
export function parseDuration(text: string): number {
  // DGate takes a negative connect or request timeout (the schema allows a leading '-' there).
  if (text.startsWith('-')) return -parseDuration(text.slice(1));
  if (text === '0') return 0;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(m[1]) * unitNanos[m[2]!]!;
  }
  return Math.round(total);
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
