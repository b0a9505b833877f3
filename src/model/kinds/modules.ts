import type { Kind } from '../kind.js';
import { type Shape, tagsShape } from '../wire-shape.js';
import type { ModuleSpec } from '../../schema/generated/config.js';
import { dumpedModuleSource, varsPrelude } from '../module-vars.js';
import { byNamespaceName, namespacedIdentity, reversible, labelsOfSpec, specTags, withTags } from './shared.js';

/**
 * A module tombstone's source: defines none of the functions DGate calls (requestModifier,
 * fetchUpstream, ...), so a route that still runs it behaves as one without modules. It must
 * compile to something: DGate fails on a TypeScript module whose output is empty (`export {}`).
 */
export const tombstoneModuleSource =
  '// left by dgate-cli: a failed apply on raft created this module and could not delete it\nexport const dgateCliTombstone = true;\n';

const extensionTypes: Record<string, 'typescript' | 'javascript'> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
};

/** The module language: explicit `type`, else from the file extension, else typescript for inline source. */
export function moduleTypeOf(spec: ModuleSpec): 'typescript' | 'javascript' | undefined {
  if (spec.type) return spec.type;
  if (typeof spec.file !== 'string') return 'typescript';
  const ext = /\.[^./]+$/.exec(spec.file)?.[0]?.toLowerCase() ?? '';
  return extensionTypes[ext];
}

/** Re-encodes a payload from its bytes, so any valid base64 spelling compares equal. */
function canonicalBase64(payload: string): string {
  return Buffer.from(payload, 'base64').toString('base64');
}

/** What the admin API returns for one module (the wire form). */
export interface ApiModule {
  name: string;
  namespace: string;
  payload: string;
  tags?: string[] | null;
}

/** The answer's shape, checked before it is read (DG2003 names a field of another shape). */
const wireShape: Shape = { name: 'string', namespace: 'string', payload: 'string', tags: tagsShape };

/** A JavaScript or TypeScript module routes run. DGate never returns its type, only its source. */
export const modules: Kind<'modules'> = {
  key: 'modules',
  singular: 'module',
  short: 'mod',
  identity: byNamespaceName,
  identityFields: namespacedIdentity,
  unreadable: ['moduleType'],
  sensitive: [],
  irreversible: reversible,
  namespaceOf: (r) => r.namespace,
  compiledFrom: 'modules',
  compile: ({ spec, origin }, tools) => {
    const m = spec as ModuleSpec;
    const text =
      typeof m.file === 'string' ? tools.fileBytes(origin, m.file) : new TextEncoder().encode(m.source ?? '');
    const prelude = m.vars ? new TextEncoder().encode(varsPrelude(m.vars)) : new Uint8Array();
    const bytes = Buffer.concat([prelude, text]);
    return [
      withTags(
        {
          name: m.name,
          namespace: tools.namespace,
          payload: Buffer.from(bytes).toString('base64'),
          moduleType: moduleTypeOf(m) ?? 'typescript',
        },
        labelsOfSpec(m.tags),
      ),
    ];
  },
  normalize: (wire) =>
    withTags({ name: wire.name, namespace: wire.namespace, payload: canonicalBase64(wire.payload) }, wire.tags),
  wireShape,
  wire: { path: 'module', putBy: 'body', deleteBy: 'body' },
  putBody: (r) => r,
  tombstone: {
    body: (live, tag) => ({
      name: live.name,
      namespace: live.namespace,
      moduleType: 'typescript',
      payload: Buffer.from(tombstoneModuleSource).toString('base64'),
      tags: [tag],
    }),
    describe: () => 'its source defines nothing DGate calls',
  },
  // The source goes to a file of its own; the namespace's YAML file names it. A VARS line
  // dgate-cli wrote comes back as `vars:` (model/module-vars.ts).
  dump: (live, tools) => {
    const { vars, body } = dumpedModuleSource(Buffer.from(live.payload, 'base64').toString('utf8'));
    const withVars = vars ? { vars } : {};
    return tools.inlineModules
      ? { name: live.name, source: body, ...withVars, ...specTags(live.tags) }
      : { name: live.name, file: tools.moduleFile(live.namespace, live.name), ...withVars, ...specTags(live.tags) };
  },
};
