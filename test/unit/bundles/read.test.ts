import { describe, expect, it } from 'vitest';
import { bundlePklSources, parseBundle } from '../../../src/bundles/read.js';
import type { ParsedDocument } from '../../../src/load/parse-yaml.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const filesOf = (files: Record<string, string>) =>
  new Map(Object.entries(files).map(([rel, text]) => [rel, bytes(text)]));
/** What pkl would have made of a module: its rendered value, located at line 1. */
const evaluated = (rel: string, value: unknown): ParsedDocument => ({
  source: { path: `b/${rel}`, rel, text: '' },
  value,
  index: 0,
  locate: () => ({ file: `b/${rel}`, line: 1, col: 1 }),
});
const manifest = { name: 'b', version: '1.0.0', description: 'a bundle' };
const resources = { version: 'v1', routes: [{ name: 'r', paths: [{ param: 'p' }] }] };

describe('parseBundle with Pkl modules', () => {
  it('takes bundle.pkl as the manifest and evaluated *.pkl modules as resource files, beside YAML ones', () => {
    const files = filesOf({
      'bundle.pkl': 'amends "x"',
      'a.pkl': 'amends "y"',
      'b.yaml': 'version: v1\n',
      'lib.pkl': 'x = 1',
      'tests/case.pkl': 'amends "z"',
    });
    const parsed = parseBundle(files, 'b', {
      documents: [evaluated('bundle.pkl', manifest), evaluated('a.pkl', resources)],
      diagnostics: [],
    });
    expect(parsed.diagnostics).toEqual([]);
    expect(parsed.content!.manifest).toEqual(manifest);
    expect(parsed.content!.resourceDocs.map((d) => d.source.rel)).toEqual(['a.pkl', 'b.yaml']);
  });

  it('passes on what pkl reported, and makes no content of a failed evaluation', () => {
    const failure = {
      code: 'DG1602' as const,
      severity: 'error' as const,
      message: 'bad',
      location: { file: 'b/a.pkl', line: 3, col: 4 },
      hint: 'fix',
    };
    const parsed = parseBundle(filesOf({ 'bundle.pkl': '', 'a.pkl': '' }), 'b', {
      documents: [],
      diagnostics: [failure],
    });
    expect(parsed.content).toBeUndefined();
    expect(parsed.diagnostics).toEqual([failure]);
  });

  it('refuses a bundle with no manifest, and one with two', () => {
    expect(parseBundle(filesOf({ 'a.yaml': 'version: v1' }), 'b').diagnostics.map((d) => d.message)).toEqual([
      'b has no bundle.yaml or bundle.pkl',
    ]);
    const both = parseBundle(filesOf({ 'bundle.yaml': 'name: b', 'bundle.pkl': '' }), 'b', {
      documents: [evaluated('bundle.pkl', manifest)],
      diagnostics: [],
    });
    expect(both.diagnostics.map((d) => `${d.code} ${d.message}`)).toEqual([
      'DG1809 b has both bundle.yaml and bundle.pkl',
    ]);
  });

  it('refuses `default` as a Pkl member in bundle.pkl, at its place, and lets ["default"] and mentions in text pass', () => {
    const text = [
      'amends "modulepath:/dgate/Bundle.pkl"',
      '// default = 1 in a comment is fine',
      'parameters {',
      '  properties {',
      '    a { type = "integer"; default = 600 }',
      '    b { type = "array"; `default` { "x" } }',
      '    c { type = "string"; ["default"] = "default = 2"; description = "default { }" }',
      '  }',
      '}',
    ].join('\n');
    const parsed = parseBundle(filesOf({ 'bundle.pkl': text }), 'b', {
      documents: [evaluated('bundle.pkl', manifest)],
      diagnostics: [],
    });
    expect(parsed.diagnostics.map((d) => `${d.code} ${d.location!.line}:${d.location!.col} ${d.hint}`)).toEqual([
      'DG1612 5:27 write the key as an entry: ["default"] = value',
      'DG1612 6:25 write the key as an entry: ["default"] { ... }',
    ]);
    expect(parsed.content).toBeUndefined();
  });
});

describe('bundlePklSources', () => {
  it('evaluates bundle.pkl and the modules that amend, not libraries and not test cases', () => {
    const files = filesOf({
      'bundle.pkl': '// a manifest\namends "modulepath:/dgate/Bundle.pkl"',
      'routes.pkl': '/* header */\namends "modulepath:/dgate/BundleResources.pkl"',
      'lib.pkl': 'local note = "amends \\"nothing\\""\nx = 1',
      'tests/x.pkl': 'amends "modulepath:/dgate/BundleResources.pkl"',
      'b.yaml': 'version: v1',
    });
    const { modules, all } = bundlePklSources(files, 'dir');
    expect(modules.map((m) => m.rel)).toEqual(['bundle.pkl', 'routes.pkl']);
    expect(all.map((m) => m.path)).toEqual(['dir/bundle.pkl', 'dir/lib.pkl', 'dir/routes.pkl']);
  });
});
