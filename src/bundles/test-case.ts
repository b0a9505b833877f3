import type { Diagnostic, Location } from '../errors/dgate-error.js';
import { checkConfigSchema } from '../load/check-schema.js';
import { parseYamlSource, type ConfigSource, type ParsedDocument, type YamlPath } from '../load/parse-yaml.js';
import type { BundleManifest, BundleTestCase, BundleUse } from '../schema/generated/config.js';

/** A `bundle test` case (tests/CASE.yaml) as read, with the document its problems are located in. */
export interface ParsedTestCase {
  source: ConfigSource;
  spec: BundleTestCase;
  /** Undefined for an empty file (a case with every default). */
  doc?: ParsedDocument;
}

/** What {{echo}} stands for in golden output: a fixed URL, so that the expected files are stable. */
export const goldenEcho = 'http://echo.bundle-test';

/**
 * Parses a test case as a config file is parsed (load/parse-yaml.ts) and checks it against the
 * schema's BundleTestCase, so that its problems carry `file:line:col`. A case is one document.
 */
export function parseTestCase(source: ConfigSource): { testCase?: ParsedTestCase; diagnostics: Diagnostic[] } {
  const parsed = parseYamlSource(source);
  const diagnostics = [...parsed.diagnostics];
  const [doc, ...more] = parsed.documents;
  for (const extra of more) {
    diagnostics.push({
      code: 'DG1809',
      severity: 'error',
      message: `a test case is one YAML document; ${source.rel} has ${parsed.documents.length}`,
      location: extra.locate([]),
      hint: 'put each case in a file of its own under tests/',
    });
  }
  if (doc) diagnostics.push(...checkConfigSchema(doc, 'BundleTestCase').diagnostics);
  if (diagnostics.some((d) => d.severity === 'error')) return { diagnostics };
  return { testCase: { source, spec: (doc?.value ?? {}) as BundleTestCase, doc }, diagnostics };
}

/** The bundle instance a case makes: `as` and `namespace` default to test, {{echo}} is `echoUrl`. */
export function testCaseUse(testCase: ParsedTestCase, manifest: BundleManifest, echoUrl: string): BundleUse {
  const { spec } = testCase;
  return {
    use: `${manifest.name}@${manifest.version}`,
    as: spec.as ?? 'test',
    namespace: spec.namespace ?? 'test',
    with: withEcho(spec.with ?? {}, echoUrl) as BundleUse['with'],
  };
}

/**
 * The config a case stands for, as one document: the bundle instance, and the case's own
 * `namespaces` (the resources around the instance), with {{echo}} replaced by `echoUrl`. A
 * problem in it is located in the case's file: the instance's `with` at the case's `with`, a
 * resource at the case's `namespaces`.
 */
export function testCaseConfig(testCase: ParsedTestCase, manifest: BundleManifest, echoUrl: string): ParsedDocument {
  const { spec, doc, source } = testCase;
  const value = {
    version: 'v1',
    bundles: [testCaseUse(testCase, manifest, echoUrl)],
    ...(spec.namespaces ? { namespaces: withEcho(spec.namespaces, echoUrl) } : {}),
  };
  const start: Location = { file: source.path, line: 1, col: 1 };
  return {
    source,
    value,
    index: doc?.index ?? 0,
    locate: (path, opts) => (doc ? doc.locate(pathInCase(path), opts) : start),
  };
}

/** Where a path of the config testCaseConfig makes was written in the case. */
function pathInCase(path: YamlPath): YamlPath {
  if (path[0] === 'namespaces') return path;
  if (path[0] === 'bundles' && path[1] === 0) {
    if (path[2] === 'with') return path.slice(2);
    if (path[2] === 'as' || path[2] === 'namespace') return [path[2]];
  }
  return [];
}

/** Replaces {{echo}} in every string of a case's parameters and resources. */
function withEcho(value: unknown, url: string): unknown {
  if (typeof value === 'string') return value.split('{{echo}}').join(url);
  if (Array.isArray(value)) return value.map((v) => withEcho(v, url));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withEcho(v, url)]));
  return value;
}
