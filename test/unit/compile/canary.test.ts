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
    // Without a module of the route's to call, no requestModifier: nothing for it to do.
    expect(exports.requestModifier).toBeUndefined();
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

/** Hooks of the route's modules as the dispatcher requires them, recording which version ran. */
function moduleNamed(version: string, ran: string[], hooks: string[]) {
  return Object.fromEntries(
    hooks.map((hook) => [
      hook,
      (ctx: { request(): unknown }) => {
        ctx.request();
        ran.push(`${version}.${hook}`);
        return hook === 'fetchUpstream' ? `http://${version}/` : undefined;
      },
    ]),
  );
}

/** Runs a generated module beside the route's modules, `require` giving the stable and canary modules. */
function loadDispatcher(ruleFields: Partial<CanaryRule>, modules: Record<string, unknown>, canaryUrls: string[] = []) {
  const exports: Record<string, (...args: unknown[]) => unknown> = {};
  const required: string[] = [];
  const require = (name: string) => {
    required.push(name);
    const m = modules[name];
    if (!m) throw new Error(`${name} not found`);
    return m;
  };
  // The counter starts at 0: at 50% the first request goes to stable, the second to the canary.
  const context = createContext({ exports, require, Math: Object.assign(Object.create(Math), { random: () => 0 }) });
  new Script(splitModuleSource('shop', rule({ service: undefined, ...ruleFields }), canaryUrls)).runInContext(context);
  const headers = new Map<string, string>();
  const ctx = (h: Record<string, string> = {}) => ({
    request: () => ({
      remoteAddress: '10.0.0.1',
      headers: {
        get: (n: string) => h[n.toLowerCase()] ?? headers.get(n.toLowerCase()) ?? '',
        set: (n: string, v: string) => headers.set(n.toLowerCase(), v),
      },
    }),
    service: () => ({ urls: ['http://stable-1/', 'http://stable-2/'] }),
  });
  return { exports, required, ctx, headers };
}

describe('the generated module beside the route modules', () => {
  it('requires the route module and the canary module, and runs the chosen one in every hook of a request', () => {
    const ran: string[] = [];
    const hooks = ['requestModifier', 'responseModifier'];
    const d = loadDispatcher(
      { module: 'auth-v2', entry: 'auth', weight: 50, force: { header: 'X-Canary' } },
      { './auth': moduleNamed('auth', ran, hooks), './auth-v2': moduleNamed('auth-v2', ran, hooks) },
    );
    expect(d.required).toEqual(['./auth', './auth-v2']);
    const serve = (h: Record<string, string> = {}) => {
      const ctx = d.ctx(h);
      // DGate's order on a route with a service: fetchUpstream, requestModifier, the upstream, responseModifier.
      const upstream = d.exports.fetchUpstream!(ctx);
      d.exports.requestModifier!(ctx);
      d.exports.responseModifier!(ctx, {});
      return upstream;
    };
    for (let i = 0; i < 4; i++) expect(serve()).toBe('http://stable-1/');
    // Alternating at 50%, each request all on one version; without a fetchUpstream of their own,
    // the stable upstream is the service's first URL, as DGate picks it.
    expect(ran).toEqual([
      'auth.requestModifier',
      'auth.responseModifier',
      'auth-v2.requestModifier',
      'auth-v2.responseModifier',
      'auth.requestModifier',
      'auth.responseModifier',
      'auth-v2.requestModifier',
      'auth-v2.responseModifier',
    ]);
    ran.length = 0;
    for (let i = 0; i < 3; i++) serve({ 'x-canary': '1' });
    expect(ran.every((r) => r.startsWith('auth-v2.'))).toBe(true);
    expect(d.headers.get('user-agent')).toMatch(/^dgate-cli\.canary=canary /);
  });

  it("calls the chosen module's own fetchUpstream, and sends an upstream canary's requests to its URLs beside the route's module", () => {
    const ran: string[] = [];
    const withFetch = loadDispatcher(
      { module: 'lb-v2', entry: 'lb', weight: 100 },
      { './lb': moduleNamed('lb', ran, ['fetchUpstream']), './lb-v2': moduleNamed('lb-v2', ran, ['fetchUpstream']) },
    );
    expect(withFetch.exports.fetchUpstream!(withFetch.ctx())).toBe('http://lb-v2/');
    const upstream = loadDispatcher(
      { service: 'checkout-v2', entry: 'auth', weight: 100 },
      { './auth': moduleNamed('auth', ran, ['requestModifier']) },
      ['http://canary/'],
    );
    expect(upstream.required).toEqual(['./auth']);
    const ctx = upstream.ctx();
    expect(upstream.exports.fetchUpstream!(ctx)).toBe('http://canary/');
    ran.length = 0;
    upstream.exports.requestModifier!(ctx);
    expect(ran).toEqual(['auth.requestModifier']);
  });

  it('on a route without a service, chooses in requestModifier and answers with the chosen requestHandler', () => {
    const ran: string[] = [];
    const hooks = ['requestHandler'];
    const d = loadDispatcher(
      { module: 'page-v2', entry: 'page', weight: 50, handler: true },
      { './page': moduleNamed('page', ran, hooks), './page-v2': moduleNamed('page-v2', ran, hooks) },
    );
    expect(d.exports.fetchUpstream).toBeUndefined();
    for (let i = 0; i < 4; i++) {
      const ctx = d.ctx();
      d.exports.requestModifier!(ctx);
      d.exports.requestHandler!(ctx);
    }
    expect(ran).toEqual([
      'page.requestHandler',
      'page-v2.requestHandler',
      'page.requestHandler',
      'page-v2.requestHandler',
    ]);
  });
});

describe('compile: a module canary', () => {
  const moduleConfig = (canary: string, tags = '') => ({
    'shop.yaml': `version: v1
${tags}namespaces:
  - name: shop
    services:
      - { name: checkout, urls: ['http://127.0.0.1:8101/'] }
    modules:
      - { name: auth, source: "export const requestModifier = (ctx: any) => {};" }
      - { name: auth-v2, source: "export const requestModifier = (ctx: any) => {};" }
    routes:
      - { name: checkout, paths: [/checkout/*], methods: [GET], service: checkout, modules: [auth], canary: ${canary} }
`,
  });

  it('gives the route a generated module that sorts first, and the canary module', () => {
    const state = compileMemory(moduleConfig('{ module: auth-v2, weight: 5 }'));
    expect(state.resources.routes[0]!.modules).toEqual(['-checkout--canary-split', 'auth', 'auth-v2']);
    const module = state.resources.modules.find((m) => m.name === '-checkout--canary-split')!;
    expect(canaryRuleOf(module.tags)).toEqual({ route: 'checkout', module: 'auth-v2', entry: 'auth', weight: 5 });
  });
});
