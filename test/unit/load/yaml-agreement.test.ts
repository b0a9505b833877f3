import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { CORE_SCHEMA, dump, loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { isMap, isSeq, type Node, LineCounter, parseAllDocuments, stringify } from 'yaml';
import { locate, parseYamlSource, type YamlPath } from '../../../src/load/parse-yaml.js';

// A config's values come from js-yaml and its locations from the `yaml` package, parsed only when
// a location is asked for (src/load/parse-yaml.ts: `yaml` alone parsed a 10,000-resource config
// 10-15 times slower). The two must see the same tree, or a diagnostic points at the wrong line.
// These tests hold them to it: every path of every document js-yaml reads is found by the
// positioned parse, at the node that path names.

const repo = path.resolve(import.meta.dirname, '../../..');

/** Every path in a value, containers and leaves, in document order. */
function pathsOf(value: unknown, at: YamlPath = []): YamlPath[] {
  const out: YamlPath[] = [at];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...at, i]));
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

/** The positioned node at `path`, walked as parse-yaml's locate walks it. */
function nodeAt(doc: { contents: unknown }, p: YamlPath): Node | undefined {
  let node: unknown = doc.contents;
  for (const segment of p) {
    if (isMap(node))
      node = node.items.find((pair) => String((pair.key as { value?: unknown })?.value) === String(segment))?.value;
    else if (isSeq(node)) node = node.items[segment as number];
    else return undefined;
  }
  return (node ?? undefined) as Node | undefined;
}

function expectSameTree(file: string, text: string): number {
  const values: unknown[] = [];
  try {
    loadAll(text, (v) => values.push(v), { schema: CORE_SCHEMA });
  } catch {
    return 0; // js-yaml refuses it: parse-yaml reports a syntax error, and no value is located
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter });
  const list = Array.isArray(docs) ? docs : [];
  const { documents } = parseYamlSource({ path: file, rel: file, text });
  let checked = 0;
  values.forEach((value, index) => {
    if (value === null || value === undefined) return;
    const parsed = documents.find((d) => d.index === index);
    if (!parsed) return; // refused for its aliases: located at the alias, tested in parse-yaml.test.ts
    for (const p of pathsOf(value)) {
      const node = nodeAt(list[index]!, p);
      expect(
        node,
        `${file}: document ${index} has no node at ${JSON.stringify(p)} in the positioned parse`,
      ).toBeDefined();
      const pos = lineCounter.linePos(node!.range![0]);
      expect(locate(parsed, p), `${file}: ${JSON.stringify(p)}`).toEqual({ file, line: pos.line, col: pos.col });
      checked++;
    }
  });
  return checked;
}

describe('js-yaml values and yaml positions agree', () => {
  it('on every YAML file of the repository (examples, bundles, fixtures, docs)', () => {
    const files = ['examples', 'bundles', 'test/fixtures', 'docs'].flatMap((dir) =>
      readdirSync(path.join(repo, dir), { recursive: true, encoding: 'utf8' })
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => path.join(dir, f)),
    );
    expect(files.length).toBeGreaterThan(50);
    let paths = 0;
    for (const file of files) paths += expectSameTree(file, readFileSync(path.join(repo, file), 'utf8'));
    expect(paths).toBeGreaterThan(1000);
  });

  it('on any JSON value, written by either library in block or flow style', () => {
    const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== '__proto__' && k.trim() === k);
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 8 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(
        fc.dictionary(key, value, { minKeys: 1, maxKeys: 5 }),
        fc.integer({ min: 0, max: 2 }),
        (data, writer) => {
          const text =
            writer === 0
              ? stringify(data)
              : writer === 1
                ? dump(data, { flowLevel: 1 })
                : dump(data, { flowLevel: -1 });
          expectSameTree('gen.yaml', text);
        },
      ),
      { numRuns: 300 },
    );
  });
});
