import type { Diagnostic } from '../errors/dgate-error.js';
import { checkConfigSchema } from '../load/check-schema.js';
import { parseYamlSource, type ParsedDocument } from '../load/parse-yaml.js';
import type { BundleManifest } from '../schema/generated/config.js';
import type { BundleContent } from './expand.js';

/**
 * Parses a bundle from its files (relative path → bytes): bundle.yaml checked against the
 * manifest schema, every other *.yaml as a resource file. `dir` is how messages name the
 * bundle's directory. Pure: the caller reads the files.
 */
export function parseBundle(files: ReadonlyMap<string, Uint8Array>, dir: string): { content?: BundleContent; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const text = (rel: string) => new TextDecoder().decode(files.get(rel)!);
  const docOf = (rel: string): ParsedDocument | undefined => {
    const parsed = parseYamlSource({ path: `${dir}/${rel}`, rel, text: text(rel) });
    diagnostics.push(...parsed.diagnostics);
    return parsed.documents[0];
  };
  if (!files.has('bundle.yaml')) {
    return { diagnostics: [{ code: 'DG1809', severity: 'error', message: `${dir} has no bundle.yaml`, location: { file: dir, line: 1, col: 1 }, hint: 'a bundle is a directory with bundle.yaml (name, version, description, parameters) and its resource files' }] };
  }
  const manifestDoc = docOf('bundle.yaml');
  if (!manifestDoc) return { diagnostics };
  const manifestCheck = checkConfigSchema(manifestDoc, 'BundleManifest');
  diagnostics.push(...manifestCheck.diagnostics);
  const resourceDocs: ParsedDocument[] = [];
  for (const rel of [...files.keys()].sort()) {
    // tests/ holds `bundle test` cases, not resources.
    if (rel === 'bundle.yaml' || !/\.ya?ml$/.test(rel) || rel.startsWith('tests/')) continue;
    const doc = docOf(rel);
    if (doc) resourceDocs.push(doc);
  }
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { content: { manifest: manifestDoc.value as BundleManifest, manifestDoc, resourceDocs, files }, diagnostics };
}
