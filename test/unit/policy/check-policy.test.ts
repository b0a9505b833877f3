import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/load/assemble.js';
import { parseYamlSource } from '../../../src/load/parse-yaml.js';
import { checkPolicy, configRules, fileRules } from '../../../src/policy/check-policy.js';
import { globPattern } from '../../../src/policy/rules.js';
import { fileTable, sourcesOf, type MemoryConfig } from '../compile/build.js';

const at = Date.parse('2026-06-01T00:00:00Z');

/** Loads an in-memory config (no errors allowed) and checks its own policy. */
function policyOf(files: MemoryConfig) {
  const { config, diagnostics } = loadConfig(sourcesOf(files));
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return checkPolicy(config, fileTable(), configRules(config), at);
}

const shop = `
namespaces:
  - name: shop
    tags: [team:checkout]
    services:
      - { name: catalog, urls: [http://127.0.0.1:8081/], retries: 9, requestTimeout: 1m }
      - { name: orders, urls: [http://127.0.0.1:8082/], requestTimeout: 5s, tags: [owner:ana] }
    modules:
      - { name: auth, source: "export const requestModifier = () => {};" }
    routes:
      - { name: catalog, paths: [/catalog/*], methods: [GET], service: catalog, modules: [auth] }
      - { name: Open_Route, paths: [/open/*], methods: [GET], service: orders }
`;

const withRules = (rules: string, rest = shop) => `version: v1\nsettings:\n  policy:\n    rules:\n${rules}${rest}`;

describe('policy', () => {
  it('runsModule: a route without one of the modules is a located error naming the rule', () => {
    const found = policyOf({
      'gw.yaml': withRules('      - { id: auth-everywhere, runsModule: [auth, "*-check"] }\n'),
    });
    expect(found).toEqual([
      {
        code: 'DG1201',
        severity: 'error',
        message:
          "route 'shop/Open_Route' breaks policy rule 'auth-everywhere': it runs no module, and must run one of auth, *-check",
        location: { file: 'gw.yaml', line: 17, col: 9 },
        hint: "add one of auth, *-check to the route's modules (policy rule 'auth-everywhere' at gw.yaml:5:44)",
      },
    ]);
  });

  it('max: retries and timeouts above the bound, each at its field; an unset timeout counts as none', () => {
    const found = policyOf({
      'gw.yaml': withRules(
        '      - { id: bounded, severity: warning, max: { retries: 5, requestTimeout: 30s, connectTimeout: 2s } }\n',
      ),
    });
    expect(found.map((d) => [d.severity, d.message, d.location?.line, d.location?.col])).toEqual([
      [
        'warning',
        "service 'shop/catalog' breaks policy rule 'bounded': its retries is 9, more than the 5 allowed",
        11,
        67,
      ],
      [
        'warning',
        "service 'shop/catalog' breaks policy rule 'bounded': its connectTimeout is not set (0: no timeout at all), and may be at most 2s",
        11,
        9,
      ],
      [
        'warning',
        "service 'shop/catalog' breaks policy rule 'bounded': its requestTimeout is 1m, more than the 30s allowed",
        11,
        86,
      ],
      [
        'warning',
        "service 'shop/orders' breaks policy rule 'bounded': its connectTimeout is not set (0: no timeout at all), and may be at most 2s",
        12,
        9,
      ],
    ]);
  });

  it('namePattern and requiredTags, narrowed by where', () => {
    const found = policyOf({
      'gw.yaml': withRules(
        [
          '      - { id: kebab, kind: [route, service], namePattern: "^[a-z][a-z0-9-]*$" }',
          '      - { id: owners, kind: services, requiredTags: ["owner:*"], where: { names: [cat*] }, message: every service names its owner, hint: add owner:NAME }',
          '',
        ].join('\n'),
      ),
    });
    expect(found.map((d) => [d.message, d.hint])).toEqual([
      [
        "route 'shop/Open_Route' breaks policy rule 'kebab': its name 'Open_Route' does not match ^[a-z][a-z0-9-]*$",
        "rename it to match ^[a-z][a-z0-9-]*$ (policy rule 'kebab' at gw.yaml:5:59)",
      ],
      [
        "service 'shop/catalog' breaks policy rule 'owners': every service names its owner (it has no tag matching 'owner:*')",
        "add owner:NAME (policy rule 'owners' at gw.yaml:6:54)",
      ],
    ]);
  });

  it('require: any JSON Schema, its failing path in words', () => {
    const found = policyOf({
      'gw.yaml': withRules(
        '      - { id: get-only, kind: routes, require: { properties: { methods: { items: { enum: [GET, HEAD] } } , stripPath: { const: true } } } }\n',
      ),
    });
    expect(found.map((d) => d.message)).toEqual([
      "route 'shop/Open_Route' breaks policy rule 'get-only': stripPath is false, and must be true (require/properties/stripPath/const)",
      "route 'shop/catalog' breaks policy rule 'get-only': stripPath is false, and must be true (require/properties/stripPath/const)",
    ]);
  });

  it('target selectors: a rule for env:prod targets is checked on what each such target gets, and names it', () => {
    const config = `version: v1
settings:
  policy:
    rules:
      - { id: verify-tls-in-prod, kind: services, where: { target: ["#env:prod"] }, require: { properties: { tlsSkipVerify: { const: false } } } }
targets:
  - { name: prod-eu, admin: [http://127.0.0.1:1/], tags: [env:prod] }
  - { name: prod-us, admin: [http://127.0.0.1:2/], tags: [env:prod] }
  - { name: staging, admin: [http://127.0.0.1:3/], tags: [env:staging] }
namespaces:
  - name: shop
    services:
      - { name: legacy, urls: [https://10.0.0.1/], tlsSkipVerify: true }
      - { name: eu-only, urls: [https://10.0.0.2/], tlsSkipVerify: true, tags: ["?region:eu", "#env:prod"] }
      - { name: lab, urls: [https://10.0.0.3/], tlsSkipVerify: true, tags: ["!env:prod"] }
`.replace('tags: [env:prod] }\n  - { name: prod-us', 'tags: [env:prod, region:eu] }\n  - { name: prod-us');
    const found = policyOf({ 'gw.yaml': config });
    expect(found.map((d) => [d.message, d.location?.line, d.location?.col])).toEqual([
      [
        "service 'shop/eu-only' on target 'prod-eu' breaks policy rule 'verify-tls-in-prod': tlsSkipVerify is true, and must be false (require/properties/tlsSkipVerify/const)",
        14,
        68,
      ],
      [
        "service 'shop/legacy' on targets 'prod-eu', 'prod-us' breaks policy rule 'verify-tls-in-prod': tlsSkipVerify is true, and must be false (require/properties/tlsSkipVerify/const)",
        13,
        67,
      ],
    ]);
  });

  it('a malformed rule is a located DG1202 error, and the others still run', () => {
    const found = policyOf({
      'gw.yaml': withRules(
        [
          '      - { id: typo, kind: services, require: { properties: { retries: { maximun: 3 } } } }',
          '      - { id: bad-regex, namePattern: "([a-z" }',
          '      - { id: wrong-kind, kind: services, runsModule: [auth] }',
          '      - { id: nothing, kind: routes }',
          '      - { id: bad-target, max: { retries: 3 }, where: { target: ["#"] } }',
          '      - { id: nothing }',
          '      - { id: fine, kind: routes, namePattern: "^[a-z]+$" }',
          '',
        ].join('\n'),
      ),
    });
    expect(found.map((d) => [d.code, d.message.replace(/:.*/s, ''), d.location?.line, d.location?.col])).toEqual([
      ['DG1202', "policy rule 'typo'", 5, 46],
      ['DG1202', "policy rule 'bad-regex'", 6, 39],
      ['DG1202', "policy rule 'wrong-kind'", 7, 55],
      ['DG1202', "policy rule 'nothing'", 8, 9],
      ['DG1202', "policy rule 'bad-target'", 9, 66],
      ['DG1202', "policy rule 'nothing'", 10, 15],
      ['DG1202', "policy rule 'nothing'", 10, 9],
      ['DG1201', "route 'shop/Open_Route' breaks policy rule 'fine'", 23, 17],
    ]);
    expect(found[0]!.message).toContain('unknown keyword: "maximun"');
    expect(found[5]!.message).toContain('the id is taken by another rule (gw.yaml:8:15)');
  });

  it('rules from a policy file are located in that file', () => {
    const { config } = loadConfig(sourcesOf({ 'gw.yaml': `version: v1\n${shop}` }));
    const policy = parseYamlSource({
      path: '../policy.yaml',
      rel: '../policy.yaml',
      text: 'rules:\n  - id: no-retries-storm\n    max: { retries: 3 }\n',
    });
    const found = checkPolicy(config, fileTable(), fileRules(policy.documents[0]!), at);
    expect(found.map((d) => [d.message, d.hint])).toEqual([
      [
        "service 'shop/catalog' breaks policy rule 'no-retries-storm': its retries is 9, more than the 3 allowed",
        "set retries to at most 3 (policy rule 'no-retries-storm' at ../policy.yaml:3:21)",
      ],
    ]);
  });

  it('a bundle rule applies to its instance namespace only, with its own module names as the instance names them', () => {
    const config = `version: v1
namespaces:
  - name: a
    modules: [{ name: keys-check, source: "export const requestModifier = () => {};" }]
    routes:
      - { name: guarded, paths: [/g], methods: [GET], modules: [keys-check] }
      - { name: open, paths: [/o], methods: [GET] }
  - name: b
    routes:
      - { name: open, paths: [/o], methods: [GET] }
`;
    const { config: loaded } = loadConfig(sourcesOf({ 'gw.yaml': config }));
    const manifest = parseYamlSource({
      path: 'bundle.yaml',
      rel: 'bundle.yaml',
      text: 'name: api-key\npolicy:\n  rules:\n    - { id: routes-run-check, severity: warning, runsModule: [check] }\n',
    }).documents[0]!;
    const found = checkPolicy(
      loaded,
      fileTable(),
      [
        {
          rule: { id: 'routes-run-check', severity: 'warning', runsModule: ['check'] },
          origin: { doc: manifest, path: ['policy', 'rules', 0] },
          bundle: { bundle: 'api-key', instance: 'keys', namespace: 'a', modules: { check: 'keys-check' } },
        },
      ],
      at,
    );
    expect(found.map((d) => [d.severity, d.message])).toEqual([
      [
        'warning',
        "route 'a/open' breaks policy rule 'api-key/routes-run-check': it runs no module, and must run one of keys-check",
      ],
    ]);
    // A second instance in the same namespace brings the same rule again: still one report.
    const withTarget = loadConfig(
      sourcesOf({
        'gw.yaml': config,
        't.yaml': 'version: v1\ntargets: [{ name: prod, admin: ["http://127.0.0.1:1/"] }]\n',
      }),
    ).config;
    const twice = checkPolicy(
      withTarget,
      fileTable(),
      ['keys', 'more'].map((instance) => ({
        rule: { id: 'any-module', severity: 'warning' as const, runsModule: ['*'] },
        origin: { doc: manifest, path: ['policy', 'rules', 0] },
        bundle: { bundle: 'api-key', instance, namespace: 'a', modules: { check: `${instance}-check` } },
      })),
      at,
    );
    expect(twice.map((d) => d.message)).toEqual([
      "route 'a/open' on target 'prod' breaks policy rule 'api-key/any-module': it runs no module",
    ]);
  });

  it('globs are anchored, and only * is special', () => {
    expect(new RegExp(globPattern('a.b*')).test('a.bcd')).toBe(true);
    expect(new RegExp(globPattern('a.b*')).test('axbcd')).toBe(false);
    expect(new RegExp(globPattern('team:*')).test('x-team:a')).toBe(false);
  });
});
