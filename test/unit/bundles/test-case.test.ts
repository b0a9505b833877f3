import { describe, expect, it } from 'vitest';
import { goldenEcho, parseTestCase, testCaseConfig } from '../../../src/bundles/test-case.js';
import { loadConfig } from '../../../src/load/assemble.js';
import type { BundleManifest } from '../../../src/schema/generated/config.js';

const manifest = { name: 'cors', version: '1.2.0' } as BundleManifest;
const read = (text: string) => parseTestCase({ path: 'bundles/cors/tests/basic.yaml', rel: 'tests/basic.yaml', text });
const where = (d: { code: string; location?: { line: number; col: number } }) =>
  `${d.code} ${d.location?.line}:${d.location?.col}`;

describe('parseTestCase', () => {
  it('reads a case, with every default when the file is empty', () => {
    expect(read('with: { service: api }\nas: mine\n').testCase?.spec).toEqual({ with: { service: 'api' }, as: 'mine' });
    expect(read('# nothing but a comment\n')).toMatchObject({ testCase: { spec: {} }, diagnostics: [] });
  });

  it('reports YAML errors at file:line:col', () => {
    const { testCase, diagnostics } = read('with:\n  a: 1\n  a: 2\n');
    expect(testCase).toBeUndefined();
    expect(diagnostics.map(where)).toEqual(['DG1001 3:3']);
    expect(diagnostics[0]!.location!.file).toBe('bundles/cors/tests/basic.yaml');
  });

  it('checks the case against the schema: unknown fields, wrong types, requests without what they expect', () => {
    const { diagnostics } = read(
      ['with: [1]', 'namspace: x', 'requests:', '  - { path: /a }', '  - { path: b, expect: { status: "200" } }'].join(
        '\n',
      ),
    );
    expect(diagnostics.map((d) => `${where(d)} ${d.message}`)).toEqual([
      "DG1002 2:1 unknown field 'namspace' at the top of the file",
      "DG1003 1:7 field 'with' must be a mapping, not a list",
      "DG1004 4:5 missing required field 'expect'",
      'DG1012 5:13 field \'path\' does not have the expected form: string "b"',
      'DG1003 5:34 field \'status\' must be an integer, not string "200"',
    ]);
    expect(diagnostics[0]!.hint).toBe("did you mean 'namespace'?");
  });

  it('takes one document', () => {
    const { diagnostics } = read('with: {}\n---\nwith: {}\n');
    expect(diagnostics.map((d) => `${where(d)} ${d.message}`)).toEqual([
      'DG1809 3:1 a test case is one YAML document; tests/basic.yaml has 2',
    ]);
  });
});

describe('testCaseConfig', () => {
  const text = [
    'with: { upstream: "{{echo}}/x", paths: ["/a/*"] }',
    'namespace: shop',
    'namespaces:',
    '  - name: shop',
    '    services:',
    '      - { name: api, urls: ["{{echo}}/"], retries: -1 }',
  ].join('\n');

  it('makes the config of one bundle instance and the resources around it, {{echo}} replaced', () => {
    const testCase = read(text).testCase!;
    expect(testCaseConfig(testCase, manifest, goldenEcho).value).toEqual({
      version: 'v1',
      bundles: [
        { use: 'cors@1.2.0', as: 'test', namespace: 'shop', with: { upstream: `${goldenEcho}/x`, paths: ['/a/*'] } },
      ],
      namespaces: [{ name: 'shop', services: [{ name: 'api', urls: [`${goldenEcho}/`], retries: -1 }] }],
    });
  });

  it("locates the config's problems in the case's file", () => {
    const testCase = read(text).testCase!;
    const config = testCaseConfig(testCase, manifest, 'http://127.0.0.1:9');
    expect(config.locate(['bundles', 0, 'with', 'paths', 0])).toMatchObject({ line: 1, col: 41 });
    expect(config.locate(['bundles', 0, 'namespace'])).toMatchObject({ line: 2, col: 12 });
    expect(config.locate(['bundles', 0, 'as'])).toMatchObject({ line: 1, col: 1 });
    const { diagnostics } = loadConfig(
      [testCase.source],
      new Map([[testCase.source.rel, { documents: [config], diagnostics: [] }]]),
    );
    expect(diagnostics.map((d) => `${d.location?.file}:${d.location?.line}:${d.location?.col} ${d.code}`)).toEqual([
      'bundles/cors/tests/basic.yaml:6:52 DG1009',
    ]);
  });
});
