import { describe, expect, it } from 'vitest';
import type { Change } from '../../../src/diff/diff.js';
import { evaluateGuards, guardRefusal, overridesOf } from '../../../src/guards/guards.js';
import {
  declaredProtectedKeys,
  findProtectedChanges,
  parseProtectSelector,
  protectionRules,
} from '../../../src/guards/protect.js';
import { loadConfig } from '../../../src/load/assemble.js';
import { sourcesOf } from '../compile/build.js';

const yaml = `version: v1
settings:
  protect:
    - "routes shop/pay-*"
    - "billing/*"
namespaces:
  - name: shop
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"], protect: true }
      - { name: spare, urls: ["http://127.0.0.1:9/"] }
    routes:
      - name: home
        paths: ["/"]
        methods: [GET]
        service: api
        protect: true
    collections:
      - name: links
        documents:
          - { id: keep, data: {}, protect: true }
`;

const config = () => loadConfig(sourcesOf({ 'gw.yaml': yaml })).config;

function change(action: Change['action'], kind: Change['kind'], id: string, extra: Partial<Change> = {}): Change {
  const [namespace = id, name = id] = id.split(/\/(.*)/s);
  return { action, kind, id, namespace, name, fields: [], ...extra };
}

describe('protection', () => {
  it('locates protect: true on the declaration it is written on', () => {
    const rules = protectionRules(config());
    expect(declaredProtectedKeys(rules)).toEqual([
      'documents:shop/links/keep',
      'routes:shop/home',
      'services:shop/api',
    ]);
    expect(rules.declared.get('services:shop/api')?.location).toEqual({ file: 'gw.yaml', line: 9, col: 53 });
    expect(rules.declared.get('routes:shop/home')?.location).toEqual({ file: 'gw.yaml', line: 16, col: 9 });
  });

  it('refuses deletes of protected resources, naming the rule, and lets the others through', () => {
    const found = findProtectedChanges(
      [
        change('delete', 'services', 'shop/api'),
        change('delete', 'services', 'shop/spare'),
        change('delete', 'routes', 'shop/pay-card'),
        change('delete', 'services', 'shop/pay-card'),
        change('delete', 'modules', 'billing/x'),
        change('delete', 'documents', 'shop/links/keep'),
        change('create', 'routes', 'shop/pay-new'),
      ],
      protectionRules(config()),
    );
    expect(found.map((f) => [f.kind, f.id, f.rule, f.location?.line])).toEqual([
      ['services', 'shop/api', 'protect: true', 9],
      ['routes', 'shop/pay-card', "settings.protect 'routes shop/pay-*'", 4],
      ['modules', 'billing/x', "settings.protect 'billing/*'", 5],
      ['documents', 'shop/links/keep', 'protect: true', 20],
    ]);
  });

  it('refuses a route update that DGate can only make by deleting the route', () => {
    const before = { name: 'home', namespace: 'shop', paths: ['/'], methods: ['GET'], service: 'api', modules: ['m'] };
    const rules = protectionRules(config());
    const dropsModule = change('update', 'routes', 'shop/home', { before, after: { ...before, modules: undefined } });
    const editsPaths = change('update', 'routes', 'shop/home', { before, after: { ...before, paths: ['/x'] } });
    expect(findProtectedChanges([dropsModule], rules).map((f) => f.action)).toEqual(['recreate']);
    expect(findProtectedChanges([editsPaths], rules)).toEqual([]);
  });

  it('keeps protecting what a release recorded until the config declares it again', () => {
    const recorded = { release: 4, keys: new Set(['services:shop/gone', 'services:shop/spare']) };
    const found = findProtectedChanges(
      [change('delete', 'services', 'shop/gone'), change('delete', 'services', 'shop/spare')],
      protectionRules(config()),
      recorded,
    );
    // shop/spare is declared again, without protect: the config unprotected it on purpose.
    expect(found).toEqual([
      {
        kind: 'services',
        id: 'shop/gone',
        action: 'delete',
        rule: 'protect: true when release 4 was applied',
      },
    ]);
  });

  it('selectors: kind singular or plural or none, * across slashes, nothing else special', () => {
    const at = { file: 'f', line: 1, col: 1 };
    expect(parseProtectSelector('route shop/*', at)).toMatchObject({ kind: 'routes' });
    expect(parseProtectSelector('shop/*', at).kind).toBeUndefined();
    expect(parseProtectSelector('shop/*', at).pattern.test('shop/links/home')).toBe(true);
    expect(parseProtectSelector('shop/*', at).pattern.test('shop')).toBe(false);
    expect(parseProtectSelector('a.b', at).pattern.test('aXb')).toBe(false);
  });

  it('one refusal names every resource, located at the first rule; --allow-protected lifts it and says what it let through', () => {
    const report = evaluateGuards({
      changes: [change('delete', 'services', 'shop/api'), change('delete', 'modules', 'billing/x')],
      config: config(),
      managed: 100,
      at: 0,
    });
    const refusal = guardRefusal(report, { checkMassDelete: true });
    expect(refusal?.code).toBe('DG3013');
    expect(refusal?.message).toBe(
      'the plan would delete or recreate 2 protected resources: service shop/api, module billing/x; nothing was changed',
    );
    expect(refusal?.location).toEqual({ file: 'gw.yaml', line: 9, col: 53 });
    expect(refusal?.diagnostics.map((d) => `${d.location?.line}: ${d.message}`)).toEqual([
      '9: would delete protected service shop/api (protect: true)',
      "5: would delete protected module billing/x (settings.protect 'billing/*')",
    ]);
    expect(guardRefusal(report, { protected: true, checkMassDelete: true })).toBeUndefined();
    expect(overridesOf(report, { protected: true })).toEqual({
      allowedProtected: ['delete service shop/api', 'delete module billing/x'],
    });
    expect(overridesOf(report, {})).toBeUndefined();
  });
});
