import { Script, createContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { splitModuleSource } from '../../../src/compile/canary.js';
import { canaryRuleOf, type CanaryRule } from '../../../src/model/canary.js';
import { compileMemory } from './build.js';

const config = (canary: string) => ({
  'shop.yaml': `version: v1
namespaces:
  - name: shop
    services:
      - { name: checkout, urls: ['HTTP://127.0.0.1:8101/a b'] }
      - { name: checkout-v2, urls: ['http://127.0.0.1:8102/', 'http://127.0.0.1:8103/'] }
    routes:
      - { name: checkout, paths: [/checkout/*], methods: [GET], service: checkout, tags: [team:pay], canary: ${canary} }
`,
});

/** Runs a generated split module the way DGate does (a CommonJS script) and returns its fetchUpstream. */
function loadSplit(rule: CanaryRule, canaryUrls = ['http://canary/'], random = 0.5) {
  const exports: Record<string, (ctx: unknown) => string> = {};
  // The module's own Math.random, fixed, so that the counter's start is known.
  const context = createContext({ exports, Math: Object.assign(Object.create(Math), { random: () => random }) });
  new Script(splitModuleSource('shop', rule, canaryUrls)).runInContext(context);
  const fetchUpstream = exports.fetchUpstream!;
  return (headers: Record<string, string> = {}, remoteAddress = '10.0.0.1') =>
    fetchUpstream({
      request: () => ({
        remoteAddress,
        headers: { get: (name: string) => headers[name.toLowerCase()] ?? '' },
      }),
      service: () => ({ urls: ['http://stable/'] }),
    }) === 'http://canary/'
      ? 'canary'
      : 'stable';
}

const rule = (fields: Partial<CanaryRule> = {}): CanaryRule => ({
  route: 'checkout',
  service: 'checkout-v2',
  weight: 10,
  ...fields,
});

describe('compile: a route canary', () => {
  it('adds a generated JavaScript module, tagged with its rule, to the route, with the canary URLs as DGate stores them', () => {
    const state = compileMemory(
      config('{ service: checkout-v2, weight: 12.5, force: { header: X-Canary }, sticky: { by: ip } }'),
    );
    expect(state.resources.routes[0]!.modules).toEqual(['checkout--canary-split']);
    const module = state.resources.modules.find((m) => m.name === 'checkout--canary-split')!;
    expect(module.moduleType).toBe('javascript');
    // The route's labels come along, so that --select-tag team:pay picks the module with its route.
    expect(module.tags?.[0]).toBe('team:pay');
    expect(canaryRuleOf(module.tags)).toEqual({
      route: 'checkout',
      service: 'checkout-v2',
      weight: 12.5,
      force: { header: 'X-Canary' },
      sticky: { by: 'ip' },
    });
    const source = Buffer.from(module.payload, 'base64').toString('utf8');
    expect(source).toContain('"weight":1250');
    expect(source).toContain('"canary":["http://127.0.0.1:8102/","http://127.0.0.1:8103/"]');
  });

  it('compiles the same config to the same module, and a weight change to a change of that module alone', () => {
    const at10 = compileMemory(config('{ service: checkout-v2, weight: 10 }'));
    expect(compileMemory(config('{ service: checkout-v2, weight: 10 }'))).toEqual(at10);
    const at50 = compileMemory(config('{ service: checkout-v2, weight: 50 }'));
    expect(at50.resources.routes).toEqual(at10.resources.routes);
    expect(at50.resources.services).toEqual(at10.resources.services);
    expect(at50.resources.modules).not.toEqual(at10.resources.modules);
  });
});

describe('the generated split module', () => {
  it('holds names with any character as escaped literals, line separators included', () => {
    const name = 'odd\u2028route\u2029"\n*/';
    const source = splitModuleSource('shop', rule({ route: name }), ['http://canary/']);
    expect(source).not.toMatch(/[\u2028\u2029]/);
    const exports: Record<string, unknown> = {};
    new Script(source).runInContext(createContext({ exports, Math }));
    expect(typeof exports.fetchUpstream).toBe('function');
  });

  it('sends exactly the weight of unkeyed requests to the canary, whatever the counter starts at', () => {
    for (const random of [0, 0.37, 0.9999]) {
      const pick = loadSplit(rule({ weight: 12.34 }), undefined, random);
      const canary = Array.from({ length: 10_000 }, () => pick()).filter((v) => v === 'canary').length;
      expect(Math.abs(canary - 1234)).toBeLessThanOrEqual(1);
    }
  });

  it('sends none at 0% and all at 100%, forced requests always, and only with the forcing value when one is set', () => {
    const none = loadSplit(rule({ weight: 0, force: { header: 'X-Canary' } }));
    expect(Array.from({ length: 100 }, () => none())).toEqual(Array(100).fill('stable'));
    expect(none({ 'x-canary': 'anything' })).toBe('canary');
    const all = loadSplit(rule({ weight: 100 }));
    expect(Array.from({ length: 100 }, () => all())).toEqual(Array(100).fill('canary'));
    const valued = loadSplit(rule({ weight: 0, force: { cookie: 'canary', value: 'always' } }));
    expect(valued({ cookie: 'a=1; canary=always' })).toBe('canary');
    expect(valued({ cookie: 'canary=never' })).toBe('stable');
    expect(valued({ cookie: 'notcanary=always' })).toBe('stable');
  });

  it('keeps sticky clients on one version, and on the canary as the weight grows', () => {
    const keys = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
    const versionsAt = (weight: number) => {
      const pick = loadSplit(rule({ weight, sticky: { by: 'header', name: 'X-User' } }));
      return keys.map((k) => pick({ 'x-user': k }));
    };
    const at10 = versionsAt(10);
    expect(versionsAt(10)).toEqual(at10);
    const at50 = versionsAt(50);
    expect(keys.filter((_, i) => at10[i] === 'canary' && at50[i] === 'stable')).toEqual([]);
    const share = (v: string[]) => (100 * v.filter((x) => x === 'canary').length) / v.length;
    expect(Math.abs(share(at10) - 10)).toBeLessThanOrEqual(3);
    expect(Math.abs(share(at50) - 50)).toBeLessThanOrEqual(3);
  });

  it('keys by client address with sticky by ip, and splits requests without the key by weight', () => {
    const pick = loadSplit(rule({ weight: 50, sticky: { by: 'cookie', name: 'session' } }));
    const first = pick({ cookie: 'session=abc' });
    expect(Array.from({ length: 20 }, () => pick({ cookie: 'session=abc' }))).toEqual(Array(20).fill(first));
    const unkeyed = Array.from({ length: 100 }, () => pick()).filter((v) => v === 'canary').length;
    expect(Math.abs(unkeyed - 50)).toBeLessThanOrEqual(1);
    const byIp = loadSplit(rule({ weight: 50, sticky: { by: 'ip' } }));
    const addresses = Array.from({ length: 200 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    const once = addresses.map((a) => byIp({}, a));
    expect(addresses.map((a) => byIp({}, a))).toEqual(once);
    expect(new Set(once)).toEqual(new Set(['canary', 'stable']));
  });
});
