import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import type { Location } from '../errors/dgate-error.js';
import type { SpecPath } from './openapi.js';

/**
 * Finds where a path into an OpenAPI document (YAML, or JSON, which YAML reads too) is written:
 * the value at `at`, or its key when `key` is set; the deepest part that exists when the whole
 * path does not (a value that came from a `$ref` elsewhere is located at the reference).
 */
export function specLocator(
  text: string,
  file: string,
): { locate: (at: SpecPath, key?: boolean) => Location; syntaxError?: { message: string; location: Location } } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: false });
  const first = doc.errors[0];
  const pos = first ? lineCounter.linePos(first.pos[0]) : undefined;
  return {
    locate: (at, key = false) => locate(doc.contents, lineCounter, file, at, key),
    ...(first && pos
      ? {
          syntaxError: {
            message: first.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''),
            location: { file, line: pos.line, col: pos.col },
          },
        }
      : {}),
  };
}

function locate(contents: unknown, lineCounter: LineCounter, file: string, at: SpecPath, key: boolean): Location {
  let node: unknown = contents;
  let offset = (contents as Node | null)?.range?.[0] ?? 0;
  for (let i = 0; i < at.length; i++) {
    const part = at[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => String((p.key as { value?: unknown } | null)?.value) === String(part));
      if (!pair) break;
      const last = i === at.length - 1;
      const target = last && key ? pair.key : pair.value;
      offset = (target as Node | null)?.range?.[0] ?? (pair.key as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else break;
  }
  const pos = lineCounter.linePos(offset);
  return { file, line: pos.line, col: pos.col };
}
