import { pklFailureDiagnostic } from '../../../src/load/pkl-errors.js';
import { describe, expect, it } from 'vitest';
import {
  moduleOutputSettings,
  parsePklOutputs,
  pklSettingsOf,
  selectPklModules,
  type PklContext,
} from '../../../src/load/parse-pkl.js';
import type { ConfigSource, ParsedDocument } from '../../../src/load/parse-yaml.js';

const source = (rel: string, text: string): ConfigSource => ({ path: `cfg/${rel}`, rel, text });
const main = source(
  'main.pkl',
  'amends "modulepath:/dgate/Config.pkl"\n\nnamespaces {\n  new {\n    name = "shop"\n    services {\n      new { name = "a"; urls { "x" }; retries = 5000 }\n    }\n  }\n}\n',
);
const context: PklContext = { root: '/work/cfg', sources: [main], allowedImports: [] };

const constraintError = `–– Pkl Error ––
Type constraint \`isBetween(0, 1000)\` violated.
Value: 5000

140 | retries: Int(isBetween(0, 1000)) = 3
                   ^^^^^^^^^^^^^^^^^^
at dgate.Config#ServiceSpec.retries (modulepath:/dgate/Config.pkl)

7 | new { name = "a"; urls { "x" }; retries = 5000 }
                                              ^^^^
at main#namespaces[#1].services[#1].retries (file:///work/cfg/main.pkl, line 7)

106 | text = renderer.renderDocument(value)
             ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
at pkl.base#Module.output.text (https://github.com/apple/pkl/blob/0.28.2/stdlib/base.pkl#L106)
`;

describe('pklFailureDiagnostic', () => {
  it('locates a constraint error at the value in the user file, adding back the indentation pkl strips', () => {
    const d = pklFailureDiagnostic({ status: 'error', stderr: constraintError }, context);
    expect(d).toEqual({
      code: 'DG1602',
      severity: 'error',
      message: 'type constraint `isBetween(0, 1000)` violated; value: 5000',
      location: { file: 'cfg/main.pkl', line: 7, col: 49 },
      hint: expect.stringContaining('constraint'),
    });
  });

  it('turns an undefined required property into DG1611 at the element being rendered', () => {
    const stderr = `–– Pkl Error ––
Tried to read property \`name\` but its value is undefined.

126 | name: Name
      ^^^^
at dgate.Config#ServiceSpec.name (modulepath:/dgate/Config.pkl)

The above error occurred when rendering path \`namespaces[0].services[0].name\` of module \`file:///work/cfg/main.pkl\`.
`;
    const unnamed = source('main.pkl', main.text.replace('new { name = "a"; ', 'new { '));
    const d = pklFailureDiagnostic({ status: 'error', stderr }, { ...context, sources: [unnamed] });
    expect(d.code).toBe('DG1611');
    expect(d.location).toEqual({ file: 'cfg/main.pkl', line: 7, col: 7 });
  });

  it('reports a refused https import as DG1603, and an allowed one as pkl says', () => {
    const stderr =
      '–– Pkl Error ––\nI/O error loading module `https://example.com/x.pkl`.\nConnectException: Error connecting to host `example.com`.\n\n2 | import "https://example.com/x.pkl"\n    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\nat main#x (file:///work/cfg/main.pkl, line 2)\n';
    expect(pklFailureDiagnostic({ status: 'error', stderr }, context).code).toBe('DG1603');
    expect(
      pklFailureDiagnostic({ status: 'error', stderr }, { ...context, allowedImports: ['https://example.com/'] }).code,
    ).toBe('DG1607');
  });

  it("names the dgate schema the failing module amends, and gives a bundle's sandbox its own hints", () => {
    const typeError =
      '–– Pkl Error ––\nExpected value of type `String`, but got type `Int`.\nValue: 42\n\n21 | x: *String|Param\n     ^^^^^^^^^^^^^\nat dgate.BundleResources#RouteSpec.x (modulepath:/dgate/BundleResources.pkl)\n\n5 | x = 42\n        ^^\nat main#x (file:///work/cfg/main.pkl, line 5)\n';
    expect(pklFailureDiagnostic({ status: 'error', stderr: typeError }, context).hint).toContain(
      'modulepath:/dgate/BundleResources.pkl',
    );
    expect(pklFailureDiagnostic({ status: 'error', stderr: constraintError }, context).hint).toContain(
      'modulepath:/dgate/Config.pkl',
    );
    const unknown =
      '–– Pkl Error ––\nCannot find property `bogus` in object of type `dgate.BundleResources#RouteSpec`.\n\n5 | bogus = 1\n    ^^^^^\nat main#routes[#1] (file:///work/cfg/main.pkl, line 5)\n';
    expect(pklFailureDiagnostic({ status: 'error', stderr: unknown }, context).message).toBe(
      "unknown property 'bogus' in RouteSpec",
    );
    const env =
      '–– Pkl Error ––\nRefusing to read resource `env:HOME` because it does not match any entry in the resource allowlist (`--allowed-resources`).\n\n5 | x = read("env:HOME")\n        ^^^^^^^^^^^^^^^^\nat main#x (file:///work/cfg/main.pkl, line 5)\n';
    expect(pklFailureDiagnostic({ status: 'error', stderr: env }, context).hint).toMatch(
      /^name it with --pkl-env HOME/,
    );
    expect(pklFailureDiagnostic({ status: 'error', stderr: env }, { ...context, scope: 'bundle' }).hint).toBe(
      "a bundle's Pkl sees no environment variables: take the value as a parameter of the bundle",
    );
    const file =
      '–– Pkl Error ––\nRefusing to load module `file:///work/other.pkl` because it does not match any entry in the module allowlist (`--allowed-modules`).\n\n2 | import "../other.pkl"\n    ^^^^^^^^^^^^^^^^^^^^\nat main (file:///work/cfg/main.pkl, line 2)\n';
    expect(pklFailureDiagnostic({ status: 'error', stderr: file }, { ...context, scope: 'bundle' })).toMatchObject({
      code: 'DG1603',
      message: "import of '../other.pkl' is not allowed by the Pkl sandbox",
      hint: expect.stringContaining('inside the bundle directory'),
    });
  });

  it('reports timeouts, a missing binary and a killed process without a location', () => {
    expect(pklFailureDiagnostic({ status: 'timeout', timeoutMs: 1500 }, context)).toMatchObject({
      code: 'DG1605',
      message: 'Pkl evaluation of cfg/main.pkl did not finish within 1500ms',
    });
    expect(pklFailureDiagnostic({ status: 'missing', detail: 'x' }, context)).toMatchObject({ code: 'DG1606' });
    expect(pklFailureDiagnostic({ status: 'missing', detail: 'x' }, context).location).toBeUndefined();
    expect(pklFailureDiagnostic({ status: 'killed', signal: 'SIGKILL' }, context).message).toContain('SIGKILL');
    expect(pklFailureDiagnostic({ status: 'crashed', exitCode: 134, stderr: 'Aborted\n' }, context)).toMatchObject({
      code: 'DG1606',
      message: 'pkl failed: Aborted',
    });
  });
});

describe('selectPklModules', () => {
  it('takes main.pkl alone when there is one', () => {
    expect(selectPklModules([main, source('lib.pkl', 'amends "x.pkl"\n')]).map((s) => s.rel)).toEqual(['main.pkl']);
  });

  it('otherwise takes the modules that amend, not libraries or YAML', () => {
    const a = source('a.pkl', '// amends "nothing"\namends "modulepath:/dgate/Config.pkl"\n');
    const lib = source('lib/util.pkl', '/* amends "x" */\nfunction f() = 1\n');
    const yaml = source('b.yaml', 'version: v1\n');
    expect(selectPklModules([a, lib, yaml]).map((s) => s.rel)).toEqual(['a.pkl']);
  });
});

describe('parsePklOutputs', () => {
  it('gives each module a document that locates into its own text', () => {
    const { documents, diagnostics } = parsePklOutputs(
      [main],
      ['{"version":"v1","namespaces":[{"name":"shop","services":[{"name":"a","urls":["x"],"retries":5000}]}]}'],
    );
    expect(diagnostics).toEqual([]);
    expect(documents[0]!.locate(['namespaces', 0, 'services', 0, 'retries'])).toEqual({
      file: 'cfg/main.pkl',
      line: 7,
      col: 49,
    });
  });

  it('refuses output that is not a JSON object', () => {
    expect(parsePklOutputs([main], ['not json']).diagnostics[0]!.code).toBe('DG1608');
    expect(parsePklOutputs([main], ['[1]']).diagnostics[0]!.code).toBe('DG1608');
  });
});

describe('moduleOutputSettings', () => {
  const schema = 'amends "modulepath:/dgate/Config.pkl"\n\n';

  it('finds `output` set at the top of a module, written either way, and nothing else named output', () => {
    const block = source(
      'a.pkl',
      `${schema}namespaces { new { name = "a" } }\n\n  output {\n  renderer = new JsonRenderer {}\n}\n`,
    );
    const assigned = source(
      'b.pkl',
      `${schema}// output { }\nx = "output = 1"\noutput = new ModuleOutput { text = "{}" }\n`,
    );
    const innocent = source(
      'c.pkl',
      `${schema}local output = 1\nnamespaces { new { name = "c"; output = 2 } }\ny = let (output = 3) output\nclass X { output = 4 }\n`,
    );
    const found = moduleOutputSettings([block, assigned, innocent], [block, assigned, innocent]);
    expect(found.map((d) => [d.code, d.location])).toEqual([
      ['DG1608', { file: 'cfg/a.pkl', line: 5, col: 3 }],
      ['DG1608', { file: 'cfg/b.pkl', line: 5, col: 1 }],
    ]);
    expect(found[0]!.hint).toMatch(/^remove `output`: dgate-cli renders a config module as JSON itself/);
  });

  it('follows the files a module amends or extends, and reports each file once', () => {
    const base = source('lib/base.pkl', `${schema}output { text = "{}" }\n`);
    const middle = source('lib/middle.pkl', 'extends "base.pkl"\n');
    const one = source('one.pkl', 'amends "lib/middle.pkl"\n');
    const two = source('two.pkl', 'amends "./lib/base.pkl"\n');
    const found = moduleOutputSettings([one, two], [base, middle, one, two]);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ code: 'DG1608', location: { file: 'cfg/lib/base.pkl', line: 3, col: 1 } });
    expect(found[0]!.message).toBe(
      'a config module may not set `output`, nor may a module it amends or extends: cfg/lib/middle.pkl extends cfg/lib/base.pkl, which sets it',
    );
  });

  it('speaks of bundle modules for a bundle, and stops at a loop', () => {
    const a = source('a.pkl', 'amends "b.pkl"\noutput { text = "{}" }\n');
    const b = source('b.pkl', 'amends "a.pkl"\n');
    const found = moduleOutputSettings([a, b], [a, b], 'bundle');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^a bundle module may not set `output`/);
    expect(found[0]!.hint).toMatch(/dgate-cli renders a bundle's modules as JSON itself/);
  });
});

describe('pklSettingsOf', () => {
  it('joins settings.pkl over YAML documents', () => {
    const doc = (value: unknown) => ({ value }) as ParsedDocument;
    const settings = pklSettingsOf([
      doc({ settings: { pkl: { env: ['A'], allowedImports: ['https://x/'], timeout: '2s' } } }),
      doc({ settings: { pkl: { env: ['B', 'A'], timeout: '500ms' } } }),
      doc({ namespaces: [] }),
    ]);
    expect(settings).toEqual({ allowedImports: ['https://x/'], env: ['A', 'B'], timeoutMs: 2000 });
  });
});
