import { describe, expect, it } from 'vitest';
import { parseYamlSource } from '../../../src/load/parse-yaml.js';

/** "Billion laughs": `depth` anchors, each a list of `width` aliases of the one before, inside a document's data. */
function aliasBomb(depth: number, width: number): string {
  const lines = [
    'version: v1',
    'namespaces:',
    '  - name: ns',
    '    collections:',
    '      - name: c',
    '        documents:',
    '          - id: d',
    '            data:',
  ];
  lines.push(`              a0: &a0 [${Array(width).fill('"lol"').join(', ')}]`);
  for (let i = 1; i < depth; i++)
    lines.push(
      `              a${i}: &a${i} [${Array(width)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  return `${lines.join('\n')}\n`;
}

const parse = (text: string) => parseYamlSource({ path: 'cfg/config.yaml', rel: 'config.yaml', text });

describe('parseYamlSource and aliases', () => {
  it('refuses an alias bomb at the alias that takes it past the limit, at once', () => {
    const started = performance.now();
    const { documents, diagnostics } = parse(aliasBomb(10, 9));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(documents).toEqual([]);
    // a1..a4 add 74718 values; the first *a4 of a5 (66430 more) goes over.
    expect(diagnostics).toEqual([
      {
        code: 'DG1001',
        severity: 'error',
        message: 'aliases expand this document past 100000 values; this one goes over',
        location: { file: 'cfg/config.yaml', line: 14, col: 24 },
        hint: expect.stringContaining('write the values out'),
      },
    ]);
  });

  it('refuses the bomb the same way when only the positioned parser accepts the file', () => {
    // A tab in a flow sequence: js-yaml refuses it, the positioned parse does not; another document has the bomb.
    const { diagnostics } = parse(`${aliasBomb(10, 9)}---\nversion: v1\nlist: [a,\tb]\n`);
    expect(diagnostics.map((d) => [d.code, d.location?.line, d.location?.col])).toContainEqual(['DG1001', 14, 24]);
  });

  it('refuses an alias inside the value it refers to', () => {
    const { documents, diagnostics } = parse('version: v1\nnamespaces:\n  - &ns\n    name: ns\n    tags: [*ns]\n');
    expect(documents).toEqual([]);
    expect(diagnostics).toEqual([
      {
        code: 'DG1001',
        severity: 'error',
        message: 'alias *ns refers to a value that contains it',
        location: { file: 'cfg/config.yaml', line: 5, col: 12 },
        hint: expect.stringContaining('tree'),
      },
    ]);
  });

  it('still expands aliases that repeat a value a reasonable number of times', () => {
    const { documents, diagnostics } = parse(aliasBomb(4, 9));
    expect(diagnostics).toEqual([]);
    const data = (
      documents[0]!.value as { namespaces: { collections: { documents: { data: Record<string, unknown[][]> }[] }[] }[] }
    ).namespaces[0]!.collections[0]!.documents[0]!.data;
    expect(data.a3!.flat(3)).toHaveLength(9 ** 4);
  });
});
