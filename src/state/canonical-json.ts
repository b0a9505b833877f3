import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, no insignificant white space unless `indent` is
 * given. The only serialisation that hashes are taken over, so equal data means equal bytes.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  // The compact form is on every hot path (hashes, diffs): write it directly, with no sorted copy.
  return indent === undefined ? writeCompact(value) : JSON.stringify(sortKeys(value), null, indent);
}

function writeCompact(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v = value[i];
      out += v === undefined || typeof v === 'function' ? 'null' : writeCompact(v);
    }
    return out + ']';
  }
  const keys = Object.keys(value).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined || typeof v === 'function') continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${writeCompact(v)}`;
    first = false;
  }
  return out + '}';
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
