import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, adminPut, writesHang } from '../harness/admin.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { killDgateNode, startTestNode, useOwnDgateNode } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

/**
 * The Swagger Petstore imported (docs/import-openapi.md), applied to a real dgate-server, and a
 * request sent through DGate's proxy to a path with a parameter, answered by a local upstream.
 * The namespace's domain is the user's own file beside the generated one, as the docs advise.
 */
describe('import openapi, against a real dgate-server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const petstore = path.join(repoRoot, 'test/fixtures/openapi/petstore/openapi.yaml');
  let upstream: Upstream;
  let dir: string;
  const env = () => ({ DGATE_ADMIN_URL: node().adminUrl });

  beforeAll(async () => {
    upstream = await startUpstream('petstore');
    dir = await temps.make();
    await writeFile(
      path.join(dir, 'domains.yaml'),
      "version: v1\nnamespaces:\n  - name: pets\n    domains:\n      - { name: all, patterns: ['*'] }\n",
    );
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('imports the petstore, applies it, proxies GET /pet/{petId} and DELETE on the same path, and plans clean after', async () => {
    const imported = await dgateCli([
      'import',
      'openapi',
      petstore,
      '--namespace',
      'pets',
      '--service-url',
      `${upstream.url}/api/v3`,
      '--out',
      dir,
    ]);
    expect(imported.code, imported.stderr).toBe(0);
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);

    const got = await request(`${node().proxyUrl}/pet/42`);
    const body = await got.body.text();
    expect(got.statusCode, body).toBe(200);
    expect(JSON.parse(body)).toEqual({ upstream: 'petstore', method: 'GET', url: '/api/v3/pet/42' });
    // Another operation on the same path is its own route (deletePet): DGate keeps the methods apart.
    const deleted = await request(`${node().proxyUrl}/pet/42`, { method: 'DELETE' });
    expect(JSON.parse(await deleted.body.text())).toMatchObject({ method: 'DELETE', url: '/api/v3/pet/42' });
    // A method no operation has on that path is not routed.
    const patched = await request(`${node().proxyUrl}/pet/42`, { method: 'PATCH' });
    await patched.body.text();
    expect(patched.statusCode).not.toBe(200);
    expect(upstream.requests.map((r) => r.method)).toEqual(['GET', 'DELETE']);

    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });
});

/**
 * Why DG1502 refuses two OpenAPI templates that differ only in parameter names: DGate's router
 * files `/a/{x}` and `/a/{y}` under one pattern, refuses a second GET handler there when the
 * second route is applied, and the node then takes no more writes (docs/dgate-quirks.md).
 */
describe('two routes on /a/{x} and /a/{y}, sent straight to a real dgate-server', () => {
  it('the second is refused at apply time, and the node then refuses every write', async () => {
    const node = await startTestNode();
    try {
      await adminPut(node.adminUrl, 'namespace', { name: 'q' });
      const route = (name: string, path: string) => ({ name, namespace: 'q', paths: [path], methods: ['GET'] });
      expect((await adminCall(node.adminUrl, 'PUT', '/route', route('x', '/a/{x}'))).status).toBe(201);
      const refused = await adminCall(node.adminUrl, 'PUT', '/route', route('y', '/a/{y}'));
      expect(refused.status).toBe(400);
      expect(refused.json.error).toContain("chi: multiple handlers for method 'GET' at '/a/{y}'");
      expect(await writesHang(node.adminUrl)).toBe(true);
    } finally {
      await killDgateNode(node);
    }
  }, 120_000);
});
