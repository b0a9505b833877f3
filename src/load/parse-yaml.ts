import { LineCounter, parseAllDocuments, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { Diagnostic, Location } from '../errors/dgate-error.js';

/** A config file as read from disk: `path` for messages, `rel` relative to the config root. */
export interface ConfigSource {
  path: string;
  rel: string;
  text: string;
}

/** One YAML document of a config file, with what it takes to point back into the text. */
export interface ParsedDocument {
  source: ConfigSource;
  value: unknown;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export type YamlPath = readonly (string | number)[];

/** Parses every document of a YAML file. Syntax errors become located diagnostics. */
export function parseYamlSource(source: ConfigSource): { documents: ParsedDocument[]; diagnostics: Diagnostic[] } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream with only comments: nothing to load.
    return { documents, diagnostics };
  }
  for (const doc of list) {
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
      continue;
    }
    if (doc.contents === null) continue;
    documents.push({ source, value: doc.toJS({ maxAliasCount: 1000 }), doc, lineCounter });
  }
  return { documents, diagnostics };
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
  let node: unknown = parsed.doc.contents;
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
  const pos = parsed.lineCounter.linePos(offset);
  return { file: parsed.source.path, line: pos.line, col: pos.col };
}
