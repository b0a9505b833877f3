import { describe, expect, it } from 'vitest';
import {
  type ConvergeReport,
  convergeStatus,
  declaredNodes,
  describeNonConverged,
  differencesOf,
  renderConvergeLines,
} from '../../../src/converge/converge.js';
import { raftServerUrls } from '../../../src/cluster/admin-api.js';
import type { Change } from '../../../src/diff/diff.js';

const change = (action: Change['action'], kind: Change['kind'], id: string, fields: string[] = []) =>
  ({ action, kind, id, fields: fields.map((field) => ({ field })) }) as unknown as Change;

describe('convergence (pure)', () => {
  it("pairs a target's admin and proxy URLs by position", () => {
    expect(declaredNodes(['http://a:9080/', 'http://b:9080'], ['http://a:80', 'http://b:80/'])).toEqual([
      { adminUrl: 'http://a:9080', proxyUrl: 'http://a:80' },
      { adminUrl: 'http://b:9080', proxyUrl: 'http://b:80' },
    ]);
    expect(declaredNodes(['http://a:9080'], undefined)).toEqual([{ adminUrl: 'http://a:9080' }]);
  });

  it("reads the raft cluster's servers as admin URLs, and nothing from another shape", () => {
    const body = {
      servers: [
        { id: 'n1', address: '10.0.0.1:9080', suffrage: 'voter' },
        { id: 'n2', address: '10.0.0.2:9080' },
      ],
    };
    expect(raftServerUrls(body, 'https:')).toEqual(['https://10.0.0.1:9080', 'https://10.0.0.2:9080']);
    expect(raftServerUrls({ servers: [{ id: 'n1' }] }, 'http:')).toBeUndefined();
    expect(raftServerUrls('nope', 'http:')).toBeUndefined();
  });

  it('names what a node misses, holds otherwise, or holds besides', () => {
    expect(
      differencesOf({
        changes: [
          change('create', 'routes', 'shop/a'),
          change('update', 'services', 'shop/up', ['urls', 'retries']),
          change('delete', 'modules', 'shop/old'),
        ],
      }),
    ).toEqual(['missing route shop/a', 'service shop/up differs (urls, retries)', 'still has module shop/old']);
  });

  it('is converged only when every node is and every check through one passed', () => {
    const ok = { adminUrl: 'http://a', state: 'converged' as const, differences: [] };
    expect(convergeStatus([ok])).toBe('converged');
    expect(convergeStatus([ok, { adminUrl: 'http://b', state: 'lagging', differences: ['missing route x/y'] }])).toBe(
      'not-converged',
    );
    const failedCheck = {
      route: 'x/y',
      name: 'GET /y',
      request: { method: 'GET', path: '/y' },
      outcome: 'failed' as const,
      problems: ['status 500, expected 200 (body "")'],
    };
    expect(convergeStatus([{ ...ok, proxyUrl: 'http://a:80', checks: [failedCheck] }])).toBe('not-converged');
  });

  it('reports each node, its checks, and the nodes that did not converge', () => {
    const report: ConvergeReport = {
      status: 'not-converged',
      version: `sha256:${'ab'.repeat(32)}`,
      nodeSource: 'declared',
      timeoutMs: 3000,
      nodes: [
        {
          adminUrl: 'http://a:9080',
          proxyUrl: 'http://a:80',
          state: 'converged',
          afterMs: 1500,
          differences: [],
          checks: [],
        },
        {
          adminUrl: 'http://b:9080',
          state: 'lagging',
          differences: ['missing route shop/a'],
          checksSkipped: 'the node has not converged',
        },
        { adminUrl: 'http://c:9080', state: 'unreachable', differences: ['cannot reach it: ECONNREFUSED'] },
      ],
    };
    expect(renderConvergeLines(report)).toEqual([
      `Convergence of sha256:abababababab on 3 nodes (from the target's admin URLs):`,
      '  http://a:9080: converged after 1.5s',
      '  http://b:9080: LAGGING after 3s: missing route shop/a',
      '    checks not sent: the node has not converged',
      '  http://c:9080: UNREACHABLE for 3s: cannot reach it: ECONNREFUSED',
    ]);
    expect(describeNonConverged(report)).toEqual([
      'node http://b:9080 lags after 3s: missing route shop/a',
      'node http://c:9080 did not answer within 3s: cannot reach it: ECONNREFUSED',
    ]);
    expect(renderConvergeLines({ status: 'skipped', reason: '--no-converge' })).toEqual([
      'Convergence not checked: --no-converge.',
    ]);
  });
});
