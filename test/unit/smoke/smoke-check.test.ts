import { describe, expect, it } from 'vitest';
import {
  checkName,
  containsJson,
  describeFailures,
  judgeResponse,
  resultOf,
  resultOfError,
  type RouteCheck,
} from '../../../src/smoke/smoke-check.js';

const res = (status: number, body: string, headers: Record<string, string> = {}) => ({ status, body, headers });

describe('smoke checks (pure)', () => {
  it('names a check by its name, else METHOD PATH', () => {
    expect(checkName({ path: '/a', expect: {} })).toBe('GET /a');
    expect(checkName({ method: 'POST', path: '/a', expect: {} })).toBe('POST /a');
    expect(checkName({ name: 'home', path: '/a', expect: {} })).toBe('home');
  });

  it('judges status, headers, body, bodyContains and json, each only when given', () => {
    expect(judgeResponse({}, res(500, 'x'))).toEqual([]);
    expect(judgeResponse({ status: 200 }, res(200, 'x'))).toEqual([]);
    expect(judgeResponse({ status: 200 }, res(500, 'boom\n  at x'))).toEqual([
      'status 500, expected 200 (body "boom at x")',
    ]);
    expect(judgeResponse({ headers: { 'X-A': '1' } }, res(200, '', { 'x-a': '2' }))).toEqual([
      'header X-A: "2", expected "1"',
    ]);
    expect(judgeResponse({ headers: { 'X-A': '1' } }, res(200, ''))).toEqual(['header X-A: null, expected "1"']);
    expect(judgeResponse({ body: 'ok' }, res(200, 'ok'))).toEqual([]);
    expect(judgeResponse({ bodyContains: 'lo w' }, res(200, 'hello world'))).toEqual([]);
    expect(judgeResponse({ bodyContains: 'bye' }, res(200, 'hello'))).toEqual(['body "hello" does not contain "bye"']);
    expect(judgeResponse({ json: { a: { b: 1 } } }, res(200, '{"a":{"b":1,"c":2},"d":3}'))).toEqual([]);
    expect(judgeResponse({ json: { a: 2 } }, res(200, '{"a":1}'))).toEqual(['body {"a":1} does not contain {"a":2}']);
    expect(judgeResponse({ json: { a: 1 } }, res(200, 'not json'))).toHaveLength(1);
  });

  it('cuts a long body to an excerpt', () => {
    const [problem] = judgeResponse({ status: 200 }, res(404, 'x'.repeat(500)));
    expect(problem).toBe(`status 404, expected 200 (body "${'x'.repeat(200)}…")`);
  });

  it('compares JSON: mappings field by field, arrays and scalars whole', () => {
    expect(containsJson({ a: [1, 2] }, { a: [1, 2] })).toBe(true);
    expect(containsJson({ a: [1, 2, 3] }, { a: [1, 2] })).toBe(false);
    expect(containsJson([1], { 0: 1 })).toBe(false);
    expect(containsJson('x', 'x')).toBe(true);
  });

  it('keeps header names but never header values in a result, and describes failures with where the check is written', () => {
    const rc: RouteCheck = {
      route: 'shop/catalog',
      check: {
        name: 'list',
        path: '/catalog',
        host: 'shop.test',
        headers: { 'X-Api-Key': 'k3y' },
        expect: { status: 200 },
      },
      at: { file: 'shop/routes.yaml', line: 9, col: 11 },
    };
    const failed = resultOf(rc, res(401, '{"error":"no"}'));
    expect(JSON.stringify(failed)).not.toContain('k3y');
    expect(failed).toMatchObject({ outcome: 'failed', status: 401, request: { headers: ['X-Api-Key'] } });
    const passed = resultOf(rc, res(200, ''));
    expect(passed.outcome).toBe('passed');
    const error = resultOfError(rc, 'http://127.0.0.1:1: ECONNREFUSED');
    expect(describeFailures([failed, passed, error])).toEqual([
      `route shop/catalog: check 'list' (GET /catalog Host: shop.test, shop/routes.yaml:9:11) failed: status 401, expected 200 (body "{\\"error\\":\\"no\\"}")`,
      "route shop/catalog: check 'list' (GET /catalog Host: shop.test, shop/routes.yaml:9:11) got no answer: http://127.0.0.1:1: ECONNREFUSED",
    ]);
  });
});
