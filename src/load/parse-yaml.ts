import { CORE_SCHEMA, loadAll } from 'js-yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
import { positionedYaml } from './positioned-yaml.js';
import {
  aliasProblemInDocument,
  aliasProblemInValue,
  MAX_ALIAS_EXPANSION,
  mayHaveAliases,
  type AliasProblem,
} from './yaml-aliases.js';

/** A config file as read from disk: `path` for messages, `rel` relative to the config root. */
export interface ConfigSource {
  path: string;
  rel: string;
  text: string;
}

/**
 * One YAML document of a config file, with what it takes to point back into the text. The
 * positioned parse (`doc`, `lineCounter`) is made only when a location is asked for: values come
 * from js-yaml, over ten times faster than a parse that keeps positions, and most files of a
 * valid config never need one. Parsing with `yaml` alone (branch issue-14-yaml-only-parser) made
 * a 10,000-resource config's parse 10-15 times slower: its CST parser, not its composer, is the
 * cost. APISIX ADC moved from `yaml` to js-yaml for the same reason (api7/adc#299).
 * test/unit/load/yaml-agreement.test.ts holds the two libraries to the same tree.
 */
export interface ParsedDocument {
  source: ConfigSource;
  value: unknown;
  /** Position of this document among all documents of the file, empty ones included. */
  index: number;
  /**
   * The location of the node at `path` (or of its key, with `key`), falling back to the deepest
   * node that exists. Each source format brings its own: YAML parses with positions on demand,
   * Pkl searches the module's text (load/locate-pkl.ts).
   */
  locate: (path: YamlPath, opts?: { key?: boolean }) => Location;
}

export type YamlPath = readonly (string | number)[];

function positionedParse(text: string): { docs: Document.Parsed[]; lineCounter: LineCounter } {
  const { LineCounter, parseAllDocuments } = positionedYaml();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  // An empty stream (only comments) parses to an empty list.
  return { docs: Array.isArray(docs) ? docs : [], lineCounter };
}

/** Parses every document of a YAML file. Syntax errors become located diagnostics. */
export function parseYamlSource(source: ConfigSource): { documents: ParsedDocument[]; diagnostics: Diagnostic[] } {
  let values: unknown[] | undefined;
  try {
    values = [];
    loadAll(source.text, (v) => values!.push(v), { schema: CORE_SCHEMA, filename: source.path });
  } catch {
    values = undefined;
  }
  let positioned: ReturnType<typeof positionedParse> | undefined;
  const positions = () => (positioned ??= positionedParse(source.text));
  if (values) {
    const documents: ParsedDocument[] = [];
    const diagnostics: Diagnostic[] = [];
    const checkAliases = mayHaveAliases(source.text);
    values.forEach((value, index) => {
      if (value === null || value === undefined) return;
      if (checkAliases && aliasProblemInValue(value)) {
        const { docs, lineCounter } = positions();
        diagnostics.push(aliasDiagnostic(source, docs[index]!, lineCounter));
        return;
      }
      documents.push({
        source,
        value,
        index,
        locate: (path, opts) => {
          const { docs, lineCounter } = positions();
          return locateInYaml(source, docs[index]!, lineCounter, path, opts);
        },
      });
    });
    return { documents, diagnostics };
  }
  // The fast parser refused the file: the positioned parse says where, in its own words.
  return parseWithPositions(source, positions());
}

function parseWithPositions(
  source: ConfigSource,
  parsed: ReturnType<typeof positionedParse>,
): { documents: ParsedDocument[]; diagnostics: Diagnostic[] } {
  const { docs, lineCounter } = parsed;
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  docs.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const pos = lineCounter.linePos(err.pos[0]);
        diagnostics.push({
          code: 'DG1001',
          severity: 'error',
          message: firstLine(err.message),
          location: { file: source.path, line: pos.line, col: pos.col },
          hint: yamlHint(err.code),
        });
      }
      return;
    }
    if (doc.contents === null) return;
    if (aliasProblemInDocument(doc)) {
      diagnostics.push(aliasDiagnostic(source, doc, lineCounter));
      return;
    }
    // Aliases were bounded just above, by the same measure as on the fast path.
    documents.push({
      source,
      value: doc.toJS({ maxAliasCount: -1 }),
      index,
      locate: (path, opts) => locateInYaml(source, doc, lineCounter, path, opts),
    });
  });
  if (diagnostics.length === 0) {
    // js-yaml refused what the positioned parser accepts: report js-yaml's reason at its mark.
    diagnostics.push(fastParserDiagnostic(source));
  }
  return { documents, diagnostics };
}

/** A document whose aliases would expand without bound, located at the alias that does it. */
function aliasDiagnostic(source: ConfigSource, doc: Document.Parsed, lineCounter: LineCounter): Diagnostic {
  const found = aliasProblemInDocument(doc);
  const problem: AliasProblem = found?.problem ?? { kind: 'too-many' };
  const pos = lineCounter.linePos(found?.offset ?? doc.range[0]);
  const location = { file: source.path, line: pos.line, col: pos.col };
  if (problem.kind === 'unknown') {
    return {
      code: 'DG1001',
      severity: 'error',
      message: `alias *${problem.anchor} has no anchor &${problem.anchor} before it`,
      location,
      hint: 'an alias repeats a value marked with its anchor earlier in the same document',
    };
  }
  if (problem.kind === 'cycle') {
    return {
      code: 'DG1001',
      severity: 'error',
      message: `alias *${problem.anchor} refers to a value that contains it`,
      location,
      hint: 'a config is a tree: an alias may repeat a value defined before it, not one it sits inside',
    };
  }
  return {
    code: 'DG1001',
    severity: 'error',
    message: `aliases expand this document past ${MAX_ALIAS_EXPANSION} values; this one goes over`,
    location,
    hint: 'each alias repeats its whole anchored value, so anchors that alias other anchors multiply: write the values out, or alias fewer nested anchors',
  };
}

function fastParserDiagnostic(source: ConfigSource): Diagnostic {
  try {
    loadAll(source.text, () => undefined, { schema: CORE_SCHEMA });
  } catch (err) {
    const mark = (err as { mark?: { line: number; column: number } }).mark;
    const reason = (err as { reason?: string }).reason ?? String(err);
    return {
      code: 'DG1001',
      severity: 'error',
      message: reason,
      location: { file: source.path, line: (mark?.line ?? 0) + 1, col: (mark?.column ?? 0) + 1 },
      hint: yamlHint(''),
    };
  }
  return {
    code: 'DG1001',
    severity: 'error',
    message: 'the file could not be parsed',
    location: { file: source.path, line: 1, col: 1 },
    hint: yamlHint(''),
  };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function yamlHint(code: string): string {
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'a key may appear once per mapping: remove or merge the repeated one';
    case 'TAB_AS_INDENT':
      return 'indent with spaces, not tabs';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
      return 'check the indentation and the brackets or quotes around this point';
    default:
      return 'fix the YAML syntax here; a YAML linter shows the structure the parser sees';
  }
}

/**
 * The location of the node at `path` (or of its key, with `key`). Falls back to the deepest
 * node that exists, so a missing field points at the mapping it is missing from.
 */
export function locate(parsed: ParsedDocument, path: YamlPath, opts: { key?: boolean } = {}): Location {
  return parsed.locate(path, opts);
}

function locateInYaml(
  source: ConfigSource,
  doc: Document.Parsed,
  lineCounter: LineCounter,
  path: YamlPath,
  opts: { key?: boolean } = {},
): Location {
  const { isMap, isPair, isScalar, isSeq } = positionedYaml();
  let node: unknown = doc?.contents;
  let best: Node | null = (node as Node | null) ?? null;
  for (let i = 0; i < path.length; i++) {
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      if (last && opts.key && pair.key && isScalar(pair.key)) {
        best = pair.key;
        break;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      node = node.items[segment];
    } else {
      break;
    }
    if (node && typeof node === 'object' && 'range' in node) best = node as Node;
    else break;
  }
  const offset = best?.range?.[0] ?? 0;
  const pos = lineCounter.linePos(offset);
  return { file: source.path, line: pos.line, col: pos.col };
}
