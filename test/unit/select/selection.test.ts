import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileTarget } from '../../../src/compile/compile.js';
import { loadConfig } from '../../../src/load/assemble.js';
import { selectForTarget, targetsOf, type Target } from '../../../src/select/targets.js';
import { nextScheduledChange } from '../../../src/select/schedule.js';
import { checkTargets } from '../../../src/select/check-targets.js';
import { fileTable, sourcesOf } from '../compile/build.js';

const metadata = { tool: { name: 'dgate-cli' as const, version: 'test' }, git: null };
const now = Date.parse('2026-11-23T00:00:00Z');

function load(files: Record<string, string>) {
  const { config, diagnostics } = loadConfig(sourcesOf(files));
  return { config, diagnostics: [...diagnostics, ...checkTargets(config, now)] };
}

function targetNamed(targets: Target[], name: string): Target {
  return targets.find((t) => t.name === name)!;
}

const targetsYaml = `
version: v1
targets:
  - { name: eu, admin: [http://127.0.0.1:1], tags: [region:eu, env:prod, "@(2026-12-01T00:00:00Z)#launch:eu"] }
  - { name: us, admin: [http://127.0.0.1:2], tags: [region:us, env:staging] }
`;

describe('selecting for a target', () => {
  const shop = `
version: v1
namespaces:
  - name: shop
    tags: [team:checkout, "!env:dev"]
    services:
      - { name: eu-only, urls: [http://a/], tags: ["#region:eu", owner:payments] }
      - { name: everywhere, urls: [http://b/] }
    modules:
      - { name: m, source: "module.exports = {};", tags: ["#region:us"] }
    routes:
      - { name: r-eu, paths: [/eu], methods: [GET], service: eu-only, tags: ["#region:eu"] }
      - { name: r-us, paths: [/us], methods: [GET], modules: [m], tags: ["?region:us,ap"] }
  - name: launch
    tags: ["#launch:eu"]
    services:
      - { name: landing, urls: [http://c/] }
`;

  it('keeps what each target selects, strips selector tags and keeps labels', () => {
    const { config, diagnostics } = load({ 'targets.yaml': targetsYaml, 'shop.yaml': shop });
    expect(diagnostics).toEqual([]);
    const targets = targetsOf(config);
    const eu = compileTarget(config, fileTable(), metadata, targetNamed(targets, 'eu'), now).state!;
    const us = compileTarget(config, fileTable(), metadata, targetNamed(targets, 'us'), now).state!;
    expect(eu.resources.services.map((s) => s.name)).toEqual(['eu-only', 'everywhere']);
    expect(eu.resources.routes.map((s) => s.name)).toEqual(['r-eu']);
    expect(eu.resources.modules).toEqual([]);
    expect(us.resources.services.map((s) => s.name)).toEqual(['everywhere']);
    expect(us.resources.routes.map((s) => s.name)).toEqual(['r-us']);
    expect(eu.resources.services[0]!.tags).toEqual(['owner:payments']);
    expect(eu.resources.namespaces).toEqual([{ name: 'shop', tags: ['team:checkout'] }]);
    expect(eu.target).toEqual({
      name: 'eu',
      serverTags: ['region:eu', 'env:prod', '@(2026-12-01T00:00:00Z)#launch:eu'],
      canaries: [],
      evaluatedAt: '2026-11-23T00:00:00.000Z',
    });
    expect(us.target).toEqual({ name: 'us', serverTags: ['region:us', 'env:staging'], canaries: [] });
    expect(eu.version).not.toBe(us.version);
  });

  it('applies time tags from their instant: the launch namespace arrives on eu at midnight', () => {
    const { config } = load({ 'targets.yaml': targetsYaml, 'shop.yaml': shop });
    const eu = targetNamed(targetsOf(config), 'eu');
    const before = selectForTarget(config, eu, Date.parse('2026-11-30T23:59:59.999Z')).selected;
    const at = selectForTarget(config, eu, Date.parse('2026-12-01T00:00:00Z')).selected;
    expect(before.has('namespaces:launch')).toBe(false);
    expect(at.has('namespaces:launch')).toBe(true);
    expect(at.has('services:launch/landing')).toBe(true);
    expect(nextScheduledChange(config, eu, now)).toEqual({
      at: '2026-12-01T00:00:00.000Z',
      added: { namespaces: 1, services: 1 },
      removed: {},
    });
    expect(nextScheduledChange(config, eu, Date.parse('2026-12-01T00:00:00Z'))).toBeNull();
    expect(nextScheduledChange(config, targetNamed(targetsOf(config), 'us'), now)).toBeNull();
  });

  it('refuses a route whose service a target does not get, naming route, service, target and selector', () => {
    const broken = shop.replace('service: eu-only, tags: ["#region:eu"]', 'service: eu-only');
    const { diagnostics } = load({ 'targets.yaml': targetsYaml, 'shop.yaml': broken });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'DG1705',
      location: { file: 'shop.yaml', line: 12, col: 62 },
      message:
        "route 'shop/r-eu' needs service 'shop/eu-only', which target 'us' does not get: selector '#region:eu' (shop.yaml:7:52) fails, because us does not have region:eu",
    });
  });

  it("refuses a route whose canary service a target does not get (the canary's URLs are compiled into the route's split module)", () => {
    const config = `version: v1
namespaces:
  - name: shop
    services:
      - { name: stable, urls: [http://127.0.0.1:1/] }
      - { name: next, urls: [http://127.0.0.1:2/], tags: ["#region:eu"] }
    routes:
      - { name: r, paths: [/r], methods: [GET], service: stable, canary: { service: next, weight: 5 } }
`;
    const { diagnostics } = load({ 'targets.yaml': targetsYaml, 'shop.yaml': config });
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'DG1705',
      location: { file: 'shop.yaml', line: 8, col: 85 },
      message:
        "route 'shop/r' needs service 'shop/next', which target 'us' does not get: selector '#region:eu' (shop.yaml:6:59) fails, because us does not have region:eu",
    });
  });

  it('checks dependencies at every scheduled instant too, and says from when', () => {
    const later = shop.replace(
      'tags: ["#region:eu", owner:payments]',
      'tags: ["@(2027-01-01T00:00:00Z)!region:eu", owner:payments]',
    );
    const { diagnostics } = load({ 'targets.yaml': targetsYaml, 'shop.yaml': later });
    expect(diagnostics.map((d) => d.message)).toEqual([
      expect.stringMatching(
        /^from 2027-01-01T00:00:00.000Z, route 'shop\/r-eu' needs service 'shop\/eu-only', which target 'eu' does not get/,
      ),
    ]);
  });

  it('judges selectors against a target without tags when the config declares none, and warns', () => {
    const { config, diagnostics } = load({ 'shop.yaml': shop });
    expect(diagnostics.map((d) => [d.code, d.severity])).toEqual([['DG1706', 'warning']]);
    const [implicit] = targetsOf(config);
    const state = compileTarget(config, fileTable(), metadata, implicit!, now).state!;
    expect(state.resources.services.map((s) => s.name)).toEqual(['everywhere']);
    expect(state.target).toBeUndefined();
  });

  it('sends an escaped label without its backslash, beside selectors that are stripped', () => {
    const { config, diagnostics } = load({
      'targets.yaml': targetsYaml,
      'shop.yaml': `
version: v1
namespaces:
  - name: shop
    tags: ['\\#team', "#region:eu"]
    services:
      - { name: s, urls: [http://a/], tags: ['\\!x', '!env:dev', '\\\\path', '\\?maybe', '\\@home'] }
`,
    });
    expect(diagnostics).toEqual([]);
    const eu = compileTarget(config, fileTable(), metadata, targetNamed(targetsOf(config), 'eu'), now).state!;
    expect(eu.resources.namespaces).toEqual([{ name: 'shop', tags: ['#team'] }]);
    expect(eu.resources.services[0]!.tags).toEqual(['!x', '\\path', '?maybe', '@home']);
  });
});

describe('selection does not depend on file order', () => {
  const vocabulary = ['region:eu', 'region:us', 'region:ap', 'env:prod', 'env:staging', 'edge'];
  const selectorArb = fc.oneof(
    fc.constantFrom(...vocabulary).map((t) => `#${t}`),
    fc.constantFrom(...vocabulary).map((t) => `!${t}`),
    fc.subarray(['eu', 'us', 'ap'], { minLength: 1 }).map((v) => `?region:${v.join(',')}`),
    fc.subarray(['prod', 'staging'], { minLength: 1 }).map((v) => `?*env:${v.join(',')}`),
    fc
      .constantFrom('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z')
      .chain((d) => fc.constantFrom(...vocabulary).map((t) => `@(${d})#${t}`)),
  );
  const tagsArb = fc.uniqueArray(selectorArb, { maxLength: 3 });
  const namespaceArb = fc.record({
    selectors: tagsArb,
    services: fc.array(tagsArb, { maxLength: 5 }),
  });
  const serverTagsArb = fc.uniqueArray(
    fc.oneof(
      fc.constantFrom(...vocabulary),
      fc.constantFrom(...vocabulary).map((t) => `@(2026-11-25T00:00:00Z)#${t}`),
    ),
    { maxLength: 4 },
  );

  it('gives every target the same resources however the files are split, named and ordered', () => {
    fc.assert(
      fc.property(
        fc.array(namespaceArb, { minLength: 1, maxLength: 4 }),
        fc.array(serverTagsArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom(now, Date.parse('2026-12-01T00:00:00Z')),
        (namespaces, targetTags, fileCount, seed, at) => {
          const targets = targetTags.map((tags, i) => ({ name: `t${i}`, admin: [`http://127.0.0.1:${i + 1}`], tags }));
          // Each service is an item of its own, so files can split a namespace any way they like.
          const items = namespaces.flatMap((ns, i) =>
            ns.services.map((tags, j) => ({ ns: `ns${i}`, service: { name: `s${j}`, urls: ['http://x/'], tags } })),
          );
          const layout = (order: number, files: number) => {
            const out: Record<
              string,
              {
                version: string;
                targets?: unknown[];
                namespaces: { name: string; tags?: string[]; services: unknown[] }[];
              }
            > = {};
            const file = (k: number) =>
              (out[`f${(k * 7919 + order) % 1000}.yaml`] ??= { version: 'v1', namespaces: [] });
            file(0).targets = targets;
            namespaces.forEach((ns, i) => {
              file(i % files).namespaces.push({
                name: `ns${i}`,
                ...(ns.selectors.length ? { tags: ns.selectors } : {}),
                services: [],
              });
            });
            items.forEach((item, k) => {
              const f = file((k + order) % files);
              let decl = f.namespaces.find((n) => n.name === item.ns);
              if (!decl) {
                decl = { name: item.ns, services: [] };
                f.namespaces.push(decl);
              }
              decl.services.push(item.service);
            });
            return Object.fromEntries(Object.entries(out).map(([name, doc]) => [name, stringify(doc)]));
          };
          const selections = [
            layout(seed, fileCount),
            layout(seed + 1, Math.max(1, fileCount - 1)),
            layout(seed * 3 + 2, 4),
          ].map((files) => {
            const { config, diagnostics } = load(files);
            expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
            return targetsOf(config).map((t) => [...selectForTarget(config, t, at).selected].sort());
          });
          expect(selections[1]).toEqual(selections[0]);
          expect(selections[2]).toEqual(selections[0]);
        },
      ),
      { numRuns: 150 },
    );
  });
});
