import { describe, expect, it } from 'vitest';
import { locate, parseYamlSource } from '../../../src/load/parse-yaml.js';

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

const valueIn = (text: string) => {
  const { documents, diagnostics } = parse(text);
  expect(diagnostics).toEqual([]);
  return documents[0]?.value;
};

describe('parseYamlSource values', () => {
  it.each([
    ['yes', 'yes'],
    ['on', 'on'],
    ['y', 'y'],
    ['true', true],
    ['True', true],
    ['FALSE', false],
    ['tRue', 'tRue'],
    ['~', null],
    ['null', null],
    ['NULL', null],
    ['', null],
    ['017', 17],
    ['0o17', 15],
    ['0O17', '0O17'],
    ['0x1F', 31],
    ['-0x1F', -31],
    ['0b101', 5],
    ['1_000', '1_000'],
    ['1e3', 1000],
    ['1.5e-3', 0.0015],
    ['.5', 0.5],
    ['-.5', '-.5'],
    ['5.', 5],
    ['+5', 5],
    ['.inf', Number.POSITIVE_INFINITY],
    ['-.Inf', Number.NEGATIVE_INFINITY],
    ['.NaN', Number.NaN],
    ['2001-12-14', '2001-12-14'],
    ['1:20', '1:20'],
    ['"5"', '5'],
    ["'it''s'", "it's"],
    ['"caf\\u00e9"', 'café'],
    ['!!str 5', '5'],
    ['!!int "5"', 5],
    ['!!float 1', 1],
    ['x #c', 'x'],
    ['x#c', 'x#c'],
  ])('reads %j as the core schema does: %j', (scalar, expected) => {
    expect((valueIn(`k: ${scalar}\n`) as { k: unknown }).k).toEqual(expected);
  });

  it('reads -0 as 0 and a 400-digit number as the digits', () => {
    expect(Object.is((valueIn('k: -0\n') as { k: unknown }).k, 0)).toBe(true);
    const digits = '9'.repeat(400);
    expect((valueIn(`k: ${digits}\n`) as { k: unknown }).k).toBe(digits);
  });

  it('names keys as strings, whatever the key is', () => {
    expect(valueIn('~: a\ntrue: b\n1.0: c\n0x10: d\n"x": e\n')).toEqual({
      null: 'a',
      true: 'b',
      1: 'c',
      16: 'd',
      x: 'e',
    });
    expect(valueIn('[a, b]: c\n')).toEqual({ 'a,b': 'c' });
  });

  it('keeps __proto__ and << as plain keys', () => {
    const value = valueIn('__proto__: { polluted: true }\n<<: { a: 1 }\nb: 2\n') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__', '<<', 'b']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('keeps the 1.2 core schema under a %YAML 1.1 directive', () => {
    expect(valueIn('%YAML 1.1\n---\nk: yes\n')).toEqual({ k: 'yes' });
  });

  it('reads block and flow forms, and aliases as the value they repeat', () => {
    expect(
      valueIn('a: >\n  folded\n  text\nb: |+\n  kept\n\nc: [x, { y: 1 }, ]\nd: { e, f: }\ng: &t { h: [1] }\ni: *t\n'),
    ).toEqual({
      a: 'folded text\n',
      b: 'kept\n\n',
      c: ['x', { y: 1 }],
      d: { e: null, f: null },
      g: { h: [1] },
      i: { h: [1] },
    });
  });
});

describe('parseYamlSource documents', () => {
  it('gives each document its place in the file, counting the empty ones, and leaves the empty ones out', () => {
    const { documents, diagnostics } = parse('# only a comment\n---\n---\n~\n---\nversion: v1\n---\n[1]\n');
    expect(diagnostics).toEqual([]);
    expect(documents.map((d) => [d.index, d.value])).toEqual([
      [2, { version: 'v1' }],
      [3, [1]],
    ]);
    expect(documents[0]!.source.rel).toBe('config.yaml');
  });

  it('gives nothing for a file of comments or nothing', () => {
    expect(parse('# nothing\n')).toEqual({ documents: [], diagnostics: [] });
    expect(parse('')).toEqual({ documents: [], diagnostics: [] });
  });

  it('keeps the documents that parse when another does not', () => {
    const { documents, diagnostics } = parse('a: 1\n---\nb: [\n---\nc: 3\n');
    expect(documents.map((d) => d.value)).toEqual([{ a: 1 }, { c: 3 }]);
    expect(diagnostics.map((d) => d.code)).toContain('DG1001');
  });
});

describe('parseYamlSource errors', () => {
  it('reports a syntax error at its line and column, in the parser words, with a hint', () => {
    const { documents, diagnostics } = parse(
      'version: v1\nnamespaces:\n  - name: shop\n    services:\n      - { name: catalog, urls: [http://127.0.0.1:8081 }\n',
    );
    expect(documents).toEqual([]);
    expect(diagnostics.map((d) => [d.location?.line, d.location?.col, d.message])).toEqual([
      [5, 55, 'Flow sequence in block collection must be sufficiently indented and end with a ]'],
      [5, 56, 'Flow map in block collection must be sufficiently indented and end with a }'],
    ]);
    expect(diagnostics[0]).toMatchObject({
      code: 'DG1001',
      severity: 'error',
      location: { file: 'cfg/config.yaml' },
      hint: 'check the indentation and the brackets or quotes around this point',
    });
  });

  it('refuses a key repeated in one mapping, at the repeat', () => {
    const { diagnostics } = parse('a: 1\nb:\n  c: 1\n  c: 2\n');
    expect(diagnostics).toEqual([
      {
        code: 'DG1001',
        severity: 'error',
        message: 'Map keys must be unique',
        location: { file: 'cfg/config.yaml', line: 4, col: 3 },
        hint: 'a key may appear once per mapping: remove or merge the repeated one',
      },
    ]);
  });

  it('refuses keys that name the same string, however they are written', () => {
    for (const text of ['1: a\n"1": b\n', '~: a\nnull: b\n', '0x10: a\n16: b\n'])
      expect(
        parse(text).diagnostics.map((d) => [d.code, d.location?.line]),
        text,
      ).toEqual([['DG1001', 2]]);
  });

  it('refuses tabs that indent', () => {
    const { diagnostics } = parse('a:\n\tb: 1\n');
    expect(diagnostics[0]).toMatchObject({ code: 'DG1001', location: { line: 2, col: 1 } });
    expect(diagnostics[0]!.hint).toBe('indent with spaces, not tabs');
  });

  it('refuses an alias with no anchor before it', () => {
    const { documents, diagnostics } = parse('a: *nope\nb: &later 1\nc: *later\n');
    expect(documents).toEqual([]);
    expect(diagnostics).toEqual([
      {
        code: 'DG1001',
        severity: 'error',
        message: 'alias *nope has no anchor &nope before it',
        location: { file: 'cfg/config.yaml', line: 1, col: 4 },
        hint: 'an alias repeats a value marked with its anchor earlier in the same document',
      },
    ]);
  });

  it('refuses a control character YAML does not allow', () => {
    const { documents, diagnostics } = parse('a: 1\n---\nb: "x\u001b[2J"\n---\nc: 3\n');
    expect(documents.map((d) => d.value)).toEqual(expect.arrayContaining([{ a: 1 }, { c: 3 }]));
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['DG1001', 'error']]);
    // Written as an escape, it is a string like any other.
    expect(valueIn('b: "x\\u001b"\n')).toEqual({ b: 'x\u001b' });
  });

  it.each(['k: !foo x\n', 'k: !!binary aGk=\n', 'k: !!timestamp 2001-12-14\n', 'k: !!set { a }\n', 'k: !!int 1.5\n'])(
    'refuses a tag the core schema does not have, or a value its tag does not fit: %j',
    (text) => {
      const { diagnostics } = parse(text);
      expect(diagnostics.map((d) => [d.code, d.severity, d.location?.line])).toEqual([['DG1001', 'error', 1]]);
    },
  );
});

describe('locate', () => {
  const text = [
    'version: v1', //                       1
    'namespaces:', //                       2
    '  - name: shop', //                    3
    '    services:', //                     4
    '      - name: catalog', //             5
    '        urls: [http://a, http://b]', // 6
    '        retries: 3', //                7
  ].join('\n');
  const doc = () => parse(text).documents[0]!;
  const at = (path: (string | number)[], key = false) => {
    const { line, col } = locate(doc(), path, { key });
    return `${line}:${col}`;
  };

  it('points at the value at a path, or at its key', () => {
    expect(at(['namespaces', 0, 'services', 0, 'retries'])).toBe('7:18');
    expect(at(['namespaces', 0, 'services', 0, 'retries'], true)).toBe('7:9');
    expect(at(['namespaces', 0, 'services', 0, 'urls', 1])).toBe('6:26');
    expect(at(['namespaces', 0])).toBe('3:5');
  });

  it('falls back to the deepest node that exists, and names the file', () => {
    expect(at(['namespaces', 0, 'services', 0, 'requestTimeout'])).toBe('5:9');
    expect(at(['namespaces', 3, 'name'])).toBe('3:3');
    expect(at([])).toBe('1:1');
    expect(locate(doc(), ['version']).file).toBe('cfg/config.yaml');
  });
});
