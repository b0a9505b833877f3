import { stringify } from 'yaml';
import { configFileRoot, resolve, type Schema } from './to-pkl.js';

/**
 * Drops the fields whose value is the schema's default (what Pkl's output spells out, such as
 * `tlsSkipVerify: false`), so the YAML says what the author said. Compiling fills them back in.
 */
function withoutDefaults(value: unknown, schema: Schema | undefined): unknown {
  const s = resolve(schema);
  if (Array.isArray(value)) return value.map((v) => withoutDefaults(v, resolve(s?.items as Schema | undefined)));
  if (!value || typeof value !== 'object' || !s?.properties) return value;
  const properties = s.properties as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = properties[k];
    if (p && 'default' in p && p.default === v) continue;
    out[k] = withoutDefaults(v, p);
  }
  return out;
}

/** A whole config file's value as YAML, `version` first, with a comment on where it came from. */
export function renderConfigAsYaml(value: Record<string, unknown>, header: string): string {
  const { version, ...rest } = withoutDefaults(value, configFileRoot) as Record<string, unknown>;
  const ordered = { version: version ?? 'v1', ...rest };
  const comment = header ? header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n') + '\n' : '';
  return comment + stringify(ordered, { lineWidth: 0, aliasDuplicateObjects: false });
}
