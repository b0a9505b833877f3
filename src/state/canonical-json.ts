import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted at every depth, no insignificant white space unless `indent` is
 * given. The only serialisation that hashes are taken over, so equal data means equal bytes.
 */
export function canonicalJson(value: unknown, indent?: number): string {
  return JSON.stringify(sortKeys(value), null, indent);
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
