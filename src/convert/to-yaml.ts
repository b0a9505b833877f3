import { Document, isMap, isScalar, visit } from 'yaml';
import { resolve, schemaOfKind, type Schema } from './to-pkl.js';

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

/** A config file's value without the fields that hold the schema's default (as Pkl's output spells them out). */
export function withoutConfigDefaults(value: Record<string, unknown>): Record<string, unknown> {
  return withoutDefaults(value, schemaOfKind('config')) as Record<string, unknown>;
}

/**
 * A whole file's value as YAML, with a comment on where it came from: a config file or a bundle's
 * resource file (`version` first), or a bundle's manifest (as it is).
 */
export function renderConfigAsYaml(
  value: Record<string, unknown>,
  header: string,
  kind: 'config' | 'bundle' | 'bundleResources' = 'config',
): string {
  const { version, ...rest } = withoutDefaults(value, schemaOfKind(kind)) as Record<string, unknown>;
  const ordered = kind === 'bundle' ? value : { version: version ?? 'v1', ...rest };
  const comment = header
    ? `${header
        .split('\n')
        .map((l) => `# ${l}`.trimEnd())
        .join('\n')}\n`
    : '';
  const doc = new Document(ordered, { aliasDuplicateObjects: false });
  // A parameter reference reads as one value: `paths: { param: paths }`.
  visit(doc, {
    Map(_, node) {
      const only = node.items.length === 1 ? node.items[0] : undefined;
      if (only && isScalar(only.key) && only.key.value === 'param' && isScalar(only.value) && !isMap(only.value))
        node.flow = true;
    },
  });
  return comment + doc.toString({ lineWidth: 0 });
}
