import type { Kind } from '../kind.js';
import { type Shape, tagsShape } from '../wire-shape.js';
import type { NamespaceSpec } from '../../schema/generated/config.js';
import { labelsOfSpec, reversible, specTags, withTags } from './shared.js';

/** What the admin API returns for one namespace (the wire form). */
export interface ApiNamespace {
  name: string;
  tags?: string[] | null;
}

/** The answer's shape, checked before it is read (DG2003 names a field of another shape). */
const wireShape: Shape = { name: 'string', tags: tagsShape };

/** A DGate namespace: the container every other resource lives in. Its tags are its only field. */
export const namespaces: Kind<'namespaces'> = {
  key: 'namespaces',
  singular: 'namespace',
  short: 'ns',
  identity: (r) => [r.name],
  identityFields: ['name'],
  unreadable: [],
  sensitive: [],
  irreversible: reversible,
  namespaceOf: (r) => r.name,
  compiledFrom: 'namespace',
  // A namespace may be declared in several files; the first declaration with tags gives them.
  compile: ({ spec }) => {
    const declarations = spec as { name: string; declarations: { spec: NamespaceSpec }[] };
    const tags = declarations.declarations.find((d) => d.spec.tags !== undefined)?.spec.tags;
    return [withTags({ name: declarations.name }, labelsOfSpec(tags))];
  },
  normalize: (wire) => withTags({ name: wire.name }, wire.tags),
  wireShape,
  wire: { path: 'namespace', putBy: 'body', deleteBy: 'body' },
  putBody: (r) => r,
  dump: (live) => ({ name: live.name, ...specTags(live.tags) }),
  tombstone: {
    body: (live, tag) => ({ name: live.name, tags: [tag] }),
    describe: () => 'only tagged; a namespace routes nothing by itself',
  },
};
