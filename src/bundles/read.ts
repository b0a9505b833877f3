import type { Diagnostic } from '../errors/dgate-error.js';
import { checkConfigSchema } from '../load/check-schema.js';
import type { ConfigSource } from '../load/parse-yaml.js';
import { parseYamlSource, type ParsedDocument } from '../load/parse-yaml.js';
import type { BundleManifest } from '../schema/generated/config.js';
import { amendsAModule } from '../load/parse-pkl.js';
import { freeFormDefaultMembers } from '../load/pkl-text.js';
import type { BundleContent } from './expand.js';

/** The file that makes a directory a bundle: one of these, never both. */
export const bundleManifestNames = ['bundle.yaml', 'bundle.pkl'] as const;

/** tests/ holds `bundle test` cases, not resources. */
const isBundleFile = (rel: string) => !rel.startsWith('tests/');

/**
 * The Pkl modules of a bundle that pkl evaluates: bundle.pkl and every *.pkl resource file that
 * amends a module (the dgate schema). A *.pkl file that amends nothing is a library the others
 * import. `dir` is how messages name the bundle's directory.
 */
export function bundlePklSources(
  files: ReadonlyMap<string, Uint8Array>,
  dir: string,
): { modules: ConfigSource[]; all: ConfigSource[] } {
  const all = [...files.keys()]
    .filter((rel) => isBundleFile(rel) && rel.toLowerCase().endsWith('.pkl'))
    .sort()
    .map((rel) => ({ path: `${dir}/${rel}`, rel, text: new TextDecoder().decode(files.get(rel)!) }));
  const modules = all.filter((s) => s.rel === 'bundle.pkl' || amendsAModule(s.text));
  return { modules, all };
}

/** What evaluating a bundle's Pkl modules gave: a document per module, or the problem pkl found. */
export interface EvaluatedPkl {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
}

/**
 * Parses a bundle from its files (relative path → bytes): the manifest (bundle.yaml, or
 * bundle.pkl as evaluated) checked against the manifest schema, every other *.yaml and evaluated
 * *.pkl module as a resource file. `dir` is how messages name the bundle's directory. Pure: the
 * caller reads the files and runs pkl (`pkl` holds what it gave, when the bundle has Pkl modules).
 */
export function parseBundle(
  files: ReadonlyMap<string, Uint8Array>,
  dir: string,
  pkl?: EvaluatedPkl,
): { content?: BundleContent; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [...(pkl?.diagnostics ?? [])];
  const text = (rel: string) => new TextDecoder().decode(files.get(rel)!);
  const docOf = (rel: string): ParsedDocument | undefined => {
    if (rel.endsWith('.pkl')) return pkl?.documents.find((d) => d.source.rel === rel);
    const parsed = parseYamlSource({ path: `${dir}/${rel}`, rel, text: text(rel) });
    diagnostics.push(...parsed.diagnostics);
    return parsed.documents[0];
  };
  const manifests = bundleManifestNames.filter((name) => files.has(name));
  if (manifests.length === 0) {
    return {
      diagnostics: [
        {
          code: 'DG1809',
          severity: 'error',
          message: `${dir} has no bundle.yaml or bundle.pkl`,
          location: { file: dir, line: 1, col: 1 },
          hint: 'a bundle is a directory with bundle.yaml or bundle.pkl (name, version, description, parameters) and its resource files',
        },
      ],
    };
  }
  if (manifests.length > 1) {
    return {
      diagnostics: [
        {
          code: 'DG1809',
          severity: 'error',
          message: `${dir} has both bundle.yaml and bundle.pkl`,
          location: { file: `${dir}/bundle.pkl`, line: 1, col: 1 },
          hint: 'keep one manifest: delete the other',
        },
      ],
    };
  }
  const manifestRel = manifests[0]!;
  for (const rel of [...files.keys()].sort())
    if (isBundleFile(rel) && rel.endsWith('.pkl'))
      diagnostics.push(...freeFormDefaultMembers(`${dir}/${rel}`, text(rel)));
  const manifestDoc = docOf(manifestRel);
  if (!manifestDoc) return { diagnostics };
  const manifestCheck = checkConfigSchema(manifestDoc, 'BundleManifest');
  diagnostics.push(...manifestCheck.diagnostics);
  const resourceDocs: ParsedDocument[] = [];
  for (const rel of [...files.keys()].sort()) {
    if (rel === manifestRel || !isBundleFile(rel)) continue;
    if (/\.ya?ml$/.test(rel) || (rel.endsWith('.pkl') && pkl?.documents.some((d) => d.source.rel === rel))) {
      const doc = docOf(rel);
      if (doc) resourceDocs.push(doc);
    }
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { content: { manifest: manifestDoc.value as BundleManifest, manifestDoc, resourceDocs, files }, diagnostics };
}
