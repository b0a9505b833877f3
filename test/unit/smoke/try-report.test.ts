import { describe, expect, it } from 'vitest';
import type { Resources } from '../../../src/schema/generated/desired-state.js';
import { renderTryLines, scratchResources, tryFailure, tryStatus } from '../../../src/smoke/try-report.js';

const resources = {
  namespaces: [{ name: 'shop' }],
  services: [{ name: 'api', namespace: 'shop', urls: ['https://api.internal:8443/'] }],
  domains: [{ name: 'main', namespace: 'shop', patterns: ['shop.test'], cert: 'PEM', key: { fromEnv: 'KEY' } }],
  secrets: [],
  modules: [],
  routes: [],
  collections: [],
  documents: [],
} as unknown as Resources;

const passed = {
  route: 'shop/a',
  name: 'a',
  request: { method: 'GET', path: '/a' },
  outcome: 'passed' as const,
  problems: [],
};
const failed = {
  route: 'shop/b',
  name: 'GET /b',
  request: { method: 'GET', path: '/b', host: 'shop.test' },
  outcome: 'failed' as const,
  status: 502,
  problems: ['status 502, expected 200 (body "Bad Gateway")'],
  at: 'gateway.yaml:9:13',
};

describe('--try (pure)', () => {
  it('points services at the echo upstream, and drops domain certificates and keys', () => {
    const scratch = scratchResources(resources, 'http://127.0.0.1:4000');
    expect(scratch.services[0]!.urls).toEqual(['http://127.0.0.1:4000/']);
    expect(scratch.domains[0]).toEqual({ name: 'main', namespace: 'shop', patterns: ['shop.test'] });
    expect(scratchResources(resources, undefined).services).toBe(resources.services);
  });

  it('passes only when DGate took everything and every check passed', () => {
    expect(tryStatus(undefined, [passed])).toBe('passed');
    expect(tryStatus(undefined, [])).toBe('passed');
    expect(tryStatus(undefined, [passed, failed])).toBe('failed');
    expect(tryStatus('PUT /api/v1/route answered 400', [])).toBe('failed');
  });

  it('reports each check, and the failures in the error that stops apply', () => {
    const report = {
      status: 'failed' as const,
      upstreams: 'echo' as const,
      server: 'dgate-server (v0.11.1)',
      checks: [passed, failed],
    };
    expect(renderTryLines(report)).toEqual([
      "Tried on a scratch DGate (dgate-server (v0.11.1); services pointed at dgate-cli's echo upstream): 1 of 2 checks passed",
      '  ✓ route shop/a: a',
      `  ✗ route shop/b: check 'GET /b' (GET /b Host: shop.test, gateway.yaml:9:13) failed: status 502, expected 200 (body "Bad Gateway")`,
    ]);
    const err = tryFailure(report, 'apply');
    expect(err.code).toBe('DG3202');
    expect(err.message).toContain('so the cluster was not touched');
    expect(err.message).toContain("route shop/b: check 'GET /b'");
    const refused = { ...report, checks: [], error: 'PUT /api/v1/route answered 400: bad' };
    expect(renderTryLines(refused)[1]).toBe('  ✗ DGate refused the desired state: PUT /api/v1/route answered 400: bad');
    expect(tryFailure(refused, 'plan').message).not.toContain('not touched');
  });
});
