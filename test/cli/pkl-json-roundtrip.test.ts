import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dgateCli } from '../harness/cli.js';

// Free-form JSON (a document's data, a collection's schema) must compile to the same version from
// YAML and from the Pkl `convert --to pkl` writes, and again from the YAML `convert --to yaml`
// writes back: every JSON value, nulls and keys Pkl treats specially included.

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

interface Compiled {
  version: string;
  resources: { documents: { id: string; data: unknown }[]; collections: { name: string; schema: unknown }[] };
}

async function compile(dir: string): Promise<Compiled> {
  const result = await dgateCli(['compile', dir]);
  expect(result.stderr, `compile ${path.basename(dir)}`).not.toMatch(/error/);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Compiled;
}

async function convert(from: string, to: 'pkl' | 'yaml', out: string): Promise<void> {
  const result = await dgateCli(['convert', '--to', to, from, '--out', out]);
  expect(result.stderr, `convert --to ${to}`).toBe('');
  expect(result.code).toBe(0);
}

/**
 * Compiles a YAML config holding `data` as documents (and `schema` as a collection's schema),
 * converts it to Pkl and back, and returns what the three compile to.
 */
async function roundTrip(
  data: readonly unknown[],
  schema?: Record<string, unknown>,
): Promise<{ yaml: Compiled; pkl: Compiled; back: Compiled; pklText: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-pkl-json-'));
  temps.push(dir);
  const yamlDir = path.join(dir, 'yaml');
  const pklDir = path.join(dir, 'pkl');
  const backDir = path.join(dir, 'back');
  const config = {
    version: 'v1',
    namespaces: [
      {
        name: 'json',
        collections: [
          {
            name: 'values',
            ...(schema ? { schema } : {}),
            documents: data.map((value, i) => ({ id: `d${i}`, data: value })),
          },
        ],
      },
    ],
  };
  await mkdir(yamlDir);
  await writeFile(path.join(yamlDir, 'config.yaml'), stringify(config, { lineWidth: 0 }));
  const yaml = await compile(yamlDir);
  await convert(yamlDir, 'pkl', pklDir);
  const pkl = await compile(pklDir);
  await convert(pklDir, 'yaml', backDir);
  const back = await compile(backDir);
  const pklFiles = (await readdir(pklDir)).filter((f) => f.endsWith('.pkl'));
  const pklText = (await Promise.all(pklFiles.map((f) => readFile(path.join(pklDir, f), 'utf8')))).join('\n');
  return { yaml, pkl, back, pklText };
}

/** The three compile to the same resources and version; on a difference, the documents show it. */
function expectSameVersion({ yaml, pkl, back, pklText }: Awaited<ReturnType<typeof roundTrip>>): void {
  expect(pkl.resources, `YAML → Pkl changed the resources; the Pkl was:\n${pklText}`).toEqual(yaml.resources);
  expect(back.resources, 'Pkl → YAML changed the resources').toEqual(yaml.resources);
  expect(pkl.version).toBe(yaml.version);
  expect(back.version).toBe(yaml.version);
}

// Keys Pkl reads as its own: keywords, Dynamic's `default` member, names of Dynamic's methods,
// and keys that are no identifier at all (quotes, escapes, interpolation, unicode, empty).
const awkwardKeys = [
  'class',
  'default',
  'import',
  'new',
  'output',
  'hidden',
  'local',
  'amends',
  'module',
  'function',
  'null',
  'true',
  'false',
  'this',
  'outer',
  'super',
  'is',
  'as',
  'let',
  'when',
  'delete',
  'record',
  'switch',
  'vararg',
  'toMap',
  'length',
  'param',
  '',
  ' ',
  'a b',
  'a.b',
  '$ref',
  '_',
  '1st',
  'é',
  '日本語',
  'ключ',
  '🙂',
  '"quoted"',
  'back\\slash',
  '\\(interpolated)',
  '#"raw"#',
  'line\nbreak',
  'tab\there',
];
const key = fc
  .oneof(
    { weight: 2, arbitrary: fc.constantFrom(...awkwardKeys) },
    { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z][A-Za-z0-9]{0,6}$/) },
  )
  .filter((k) => k !== '__proto__');

// Numbers JSON allows and a double holds: integers beyond 2^53 and 2^63, tiny, huge, fractional.
const number = fc.oneof(
  fc.integer(),
  fc.constantFrom(
    0,
    1,
    -1,
    2.5,
    0.1,
    1e-7,
    1e21,
    2 ** 53 + 2,
    -(2 ** 63),
    // biome-ignore lint/correctness/noPrecisionLoss: the point is a number JSON cannot hold exactly
    12345678901234567890,
    1.7976931348623157e308,
    5e-324,
    -2.5e-300,
    9007199254740991,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const jsonValue = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    number,
    fc.string({ unit: 'grapheme', maxLength: 8 }),
    fc.constantFrom('', 'null', 'true', '1', '\\(x)', '"', 'a\nb'),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
})).value;

describe('free-form JSON through Pkl (convert --to pkl, --to yaml)', () => {
  it('keeps a null inside data, and data that is null (issue #17)', async () => {
    const result = await roundTrip([{ nested: { a: [1, 2.5, 'x'], b: null } }, null, {}, [], [null], { e: {}, l: [] }]);
    expect(result.pklText).toContain('b = null');
    expectSameVersion(result);
  });

  it('keeps keywords, default and unusual keys, and big or fractional numbers', async () => {
    const data = Object.fromEntries(
      // biome-ignore lint/correctness/noPrecisionLoss: the point is a number JSON cannot hold exactly
      awkwardKeys.map((k, i) => [k, i % 3 === 0 ? null : { [k]: k, n: [1e21, -0.5, 12345678901234567890] }]),
    );
    const result = await roundTrip([data]);
    expect(result.pklText).toContain('["class"] = null');
    expect(result.pklText).toContain('["default"] = new Dynamic');
    expectSameVersion(result);
  });

  it("keeps nulls and `default` keys in a collection's schema", async () => {
    const schema = {
      type: 'object',
      properties: {
        class: { type: 'string', default: 'x' },
        default: { type: 'string', default: null },
        ключ: { type: 'array', items: { type: 'number' }, default: [] },
        'a b': { type: 'object', properties: {} },
      },
      required: ['class'],
    };
    expectSameVersion(
      await roundTrip(
        [
          { class: 'c', default: 'd' },
          { class: 'c', ключ: [1.5, 1e21] },
        ],
        schema,
      ),
    );
  });

  it('any JSON value in documents compiles to the same version from YAML, Pkl and YAML again', async () => {
    // Each run starts the CLI and pkl five times: few runs, many values in each, and no shrinking
    // (each step would cost five more); a failure prints its values, the Pkl and the seed.
    await fc.assert(
      fc.asyncProperty(fc.array(jsonValue, { minLength: 8, maxLength: 16 }), async (data) => {
        expectSameVersion(await roundTrip(data));
      }),
      { numRuns: 8, endOnFailure: true },
    );
  }, 300_000);
});
