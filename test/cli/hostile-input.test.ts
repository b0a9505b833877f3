import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dgateCli } from '../harness/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dgate-cli-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a YAML alias bomb', () => {
  it('is refused by compile with a located DG1001, without expanding it', async () => {
    const lines = [
      'version: v1',
      'namespaces:',
      '  - name: ns',
      '    collections:',
      '      - name: c',
      '        documents:',
      '          - id: d',
      '            data:',
    ];
    lines.push(`              a0: &a0 [${Array(9).fill('"lol"').join(', ')}]`);
    for (let i = 1; i < 10; i++)
      lines.push(
        `              a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const file = path.join(dir, 'bomb.yaml');
    await writeFile(file, `${lines.join('\n')}\n`);
    const result = await dgateCli(['compile', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/bomb\.yaml:14:24: error DG1001: aliases expand this document past 100000 values/);
    expect(result.stderr).toMatch(/^ {2}hint: /m);
  });
});

/**
 * A stand-in for an admin API that answers with bodies of the wrong shape. It tests how dgate-cli
 * handles a malformed answer, not what DGate does (that is test/server/): GET /readyz is fine,
 * every list is empty and the reserved namespace absent, except the answers a test sets by path.
 */
async function wrongShapeAdminApi(
  answers: Record<string, unknown>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    res.setHeader('content-type', 'application/json');
    if (path === '/readyz') return res.end('ok');
    // dgate-cli's own records (locks, the running-apply mark): a cluster it never applied to has none.
    if ((req.url ?? '').includes('namespace=dgate-cli')) {
      res.statusCode = 404;
      return res.end(JSON.stringify({ error: 'namespace not found', status: 404 }));
    }
    res.end(
      JSON.stringify(
        path in answers ? answers[path] : path === '/api/v1/document' ? { documents: null } : { data: [] },
      ),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('an admin API answering JSON of the wrong shape', () => {
  const shop = { name: 'shop' };
  const cases: [string, Record<string, unknown>, string][] = [
    [
      'a number for the namespace list',
      { '/api/v1/namespace': { data: 5 } },
      'GET /api/v1/namespace: the list is 5, not a list',
    ],
    [
      'a number for a name',
      { '/api/v1/namespace': { data: [{ name: 3 }] } },
      "GET /api/v1/namespace: item 1 of the list: 'name' is 3, not a string",
    ],
    [
      'a route whose paths are a string',
      {
        '/api/v1/namespace': { data: [shop] },
        '/api/v1/route': { data: [{ name: 'r', namespace: 'shop', paths: '/x' }] },
      },
      `GET /api/v1/route?namespace=shop: item 1 of the list: 'paths' is "/x", not a list of strings`,
    ],
    [
      'a domain whose namespace is a string',
      {
        '/api/v1/namespace': { data: [shop] },
        '/api/v1/domain': { data: [{ name: 'd', namespace: 'shop' }] },
        '/api/v1/domain/d': { data: { name: 'd', namespace: 'shop' } },
      },
      `GET /api/v1/domain/d?namespace=shop: 'namespace' is "shop", not an object`,
    ],
    [
      'documents that are not a list',
      {
        '/api/v1/namespace': { data: [shop] },
        '/api/v1/collection': { data: [{ name: 'c', namespace: 'shop', schema: null }] },
        '/api/v1/document': { documents: { id: 1 } },
      },
      "GET /api/v1/document?namespace=shop&collection=c&limit=0&offset=2147483647: 'documents' is",
    ],
  ];

  it.each(cases)('%s is DG2003 naming the field, for plan and get', async (_, answers, expected) => {
    const api = await wrongShapeAdminApi(answers);
    try {
      const env = { DGATE_CLI_STATE_DIR: dir, STRIPE_KEY: 'x' };
      for (const args of [
        ['plan', 'examples/shop', '--admin', api.url],
        ['get', 'namespaces', '--admin', api.url],
      ]) {
        const result = await dgateCli(args, { env });
        expect(result.code).toBe(1);
        expect(result.stderr).toContain(`error DG2003: unexpected answer from ${api.url} to ${expected}`);
        expect(result.stderr).toMatch(/^ {2}hint: /m);
        expect(result.stderr).not.toContain('DG9001');
      }
    } finally {
      await api.close();
    }
  });
});

describe('a mistyped command', () => {
  it.each([
    [
      ['aply'],
      "error DG0001: unknown command 'aply': did you mean 'apply'?\n  hint: run 'dgate-cli apply --help' for what it takes\n",
    ],
    [
      ['bundle', 'lnt', 'dir'],
      "error DG0001: unknown command 'bundle lnt': did you mean 'bundle lint'?\n  hint: run 'dgate-cli bundle lint --help' for what it takes\n",
    ],
    [
      ['secret'],
      "error DG0001: 'secret' needs one more word: the secret commands are secret encrypt, secret keygen\n  hint: run 'dgate-cli secret encrypt --help' for what one takes\n",
    ],
  ])('%j gets the nearest command, not the list of all', async (args, expected) => {
    const result = await dgateCli(args);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(expected);
  });

  it('with no command near, names the commands on one line', async () => {
    const result = await dgateCli(['xyzzy']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error DG0001: unknown command 'xyzzy'\n {2}hint: the commands are validate, compile, plan, apply, .*; run 'dgate-cli --help' for what each does\n$/,
    );
  });
});
