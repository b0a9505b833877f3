import { describe, expect, it } from 'vitest';
import { expandBundles } from '../../../src/bundles/expand.js';
import { integrityOf } from '../../../src/bundles/lockfile.js';
import { parseBundle } from '../../../src/bundles/read.js';
import { loadConfig } from '../../../src/load/assemble.js';
import { sourcesOf } from '../compile/build.js';

const enc = (t: string) => new TextEncoder().encode(t);
const manifest = `name: b
version: 1.0.0
description: test
parameters:
  type: object
  properties:
    path: { type: string, default: /b }
    key: { sensitive: true }
`;

function expand(resources: string, withValues = '{ key: { fromEnv: K } }', extraFiles: Record<string, string> = {}) {
  const files = new Map(
    Object.entries({ 'bundle.yaml': manifest, 'resources.yaml': resources, ...extraFiles }).map(([k, v]) => [
      k,
      enc(v),
    ]),
  );
  const { content, diagnostics } = parseBundle(files, 'b');
  expect(diagnostics).toEqual([]);
  const { config } = loadConfig(
    sourcesOf({ 'c.yaml': `version: v1\nbundles:\n  - { use: b@^1, as: one, namespace: ns, with: ${withValues} }\n` }),
  );
  return expandBundles(config, [{ use: config.bundles[0]!, content: content! }]);
}

describe('bundle expansion', () => {
  it("prefixes names, rewrites the bundle's own references, fills defaults and gives modules PARAMS without secrets", () => {
    const out = expand(
      'version: v1\nmodules:\n  - { name: m, file: m.js }\nroutes:\n  - { name: r, paths: [{ param: path }], methods: [GET], modules: [m] }\nsecrets:\n  - { name: s, value: { param: key } }\n',
      '{ key: { fromEnv: K } }',
      { 'm.js': 'module.exports = {};\n' },
    );
    expect(out.diagnostics).toEqual([]);
    const ns = out.config.namespaces[0]!;
    expect(ns.resources.routes[0]!.spec).toEqual({
      name: 'one-r',
      paths: ['/b'],
      methods: ['GET'],
      modules: ['one-m'],
    });
    expect(ns.resources.secrets[0]!.spec).toEqual({ name: 'one-s', value: { fromEnv: 'K' } });
    expect(ns.resources.modules[0]!.spec).toEqual({
      name: 'one-m',
      type: 'javascript',
      source:
        'const PARAMS = Object.freeze({"path":"/b"}), NAMES = Object.freeze({"s":"one-s","m":"one-m","r":"one-r"});\nmodule.exports = {};\n',
    });
    expect(out.provenance).toEqual([
      {
        instance: 'one',
        bundle: 'b',
        version: '1.0.0',
        namespace: 'ns',
        resources: ['secrets:ns/one-s', 'modules:ns/one-m', 'routes:ns/one-r'],
      },
    ]);
  });

  it('refuses a sensitive parameter anywhere but a secret value, located in the bundle file', () => {
    const out = expand('version: v1\nroutes:\n  - { name: r, paths: [/x], methods: [GET], service: { param: key } }\n');
    expect(out.diagnostics.map((d) => [d.code, `${d.location?.file}:${d.location?.line}:${d.location?.col}`])).toEqual([
      ['DG1806', 'b/resources.yaml:3:54'],
    ]);
  });

  it("refuses a plain value for a secret slot, located at the config's with", () => {
    const out = expand('version: v1\nsecrets:\n  - { name: s, value: { param: key } }\n', '{ key: plaintext }');
    expect(out.diagnostics.map((d) => [d.code, d.location?.file, d.message])).toEqual([
      [
        'DG1806',
        'c.yaml',
        "bundle b@1.0.0 (instance 'one'): parameter 'key' is a secret slot and takes a secret source",
      ],
    ]);
  });

  it('names a parameter the bundle does not declare, and a module file it does not hold', () => {
    const out = expand(
      'version: v1\nmodules:\n  - { name: m, file: gone.js }\nroutes:\n  - { name: r, paths: [{ param: nope }], methods: [GET] }\n',
    );
    expect(out.diagnostics.map((d) => d.code)).toEqual(expect.arrayContaining(['DG1805', 'DG1807']));
  });

  it('hashes names and contents: any change to a file changes the integrity', () => {
    const a = integrityOf(
      new Map([
        ['a', enc('x')],
        ['b', enc('y')],
      ]),
    );
    expect(
      integrityOf(
        new Map([
          ['b', enc('y')],
          ['a', enc('x')],
        ]),
      ),
    ).toBe(a);
    expect(
      integrityOf(
        new Map([
          ['a', enc('x')],
          ['b', enc('z')],
        ]),
      ),
    ).not.toBe(a);
    expect(
      integrityOf(
        new Map([
          ['a', enc('x')],
          ['c', enc('y')],
        ]),
      ),
    ).not.toBe(a);
  });
});
