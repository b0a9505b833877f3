import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHash, createSign, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { git } from '../harness/git.js';
import { dgateCli } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

/** A bundle `greet` whose module answers with its `message` parameter, and a secret slot `token`. */
async function writeGreetBundle(dir: string, version: string, reply = 'PARAMS.message'): Promise<void> {
  await mkdir(path.join(dir, 'modules'), { recursive: true });
  await writeFile(
    path.join(dir, 'bundle.yaml'),
    `name: greet
version: ${version}
description: Answers a fixed greeting on a path.
parameters:
  type: object
  additionalProperties: false
  required: [path, message]
  properties:
    path: { type: string, pattern: "^/" }
    message: { type: string }
    token: { sensitive: true, description: A token kept as a DGate secret. }
`,
  );
  await writeFile(
    path.join(dir, 'resources.yaml'),
    `version: v1
secrets:
  - name: token
    value: { param: token }
modules:
  - name: hello
    file: modules/hello.ts
routes:
  - name: hello
    paths: [{ param: path }]
    methods: [GET]
    modules: [hello]
`,
  );
  await writeFile(
    path.join(dir, 'modules/hello.ts'),
    `export const requestHandler = (ctx: any) => {\n  ctx.response().status(200).json({ message: ${reply}, version: '${version}' });\n};\n`,
  );
}

describe('bundles, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let upstream: Upstream;
  let repo: string;
  let config: string;
  const token = `LEAKtoken${randomBytes(6).toString('hex')}`;
  const cli = (args: string[]) => dgateCli(args, { env: { DGATE_ADMIN_URL: node().adminUrl, GREET_TOKEN: token } });
  const outputs: string[] = [];
  const run = async (args: string[]) => {
    const result = await cli(args);
    outputs.push(result.stdout + result.stderr);
    return result;
  };
  const get = async (p: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await request(`${node().proxyUrl}${p}`, { method: method as 'GET', headers, reset: true });
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  };

  beforeAll(async () => {
    upstream = await startUpstream('api');
    repo = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    for (const version of ['1.0.0', '1.1.0', '2.0.0']) {
      await writeGreetBundle(repo, version);
      git(repo, 'add', '-A');
      git(repo, 'commit', '-q', '-m', version);
      git(repo, 'tag', `v${version}`);
    }
    config = await temps.make();
    await writeFile(
      path.join(config, 'config.yaml'),
      `version: v1
namespaces:
  - name: shop
    domains:
      - { name: all, patterns: ["*"] }
    services:
      - { name: api, urls: ["${upstream.url}/"] }
bundles:
  - use: cors@^1.0
    as: web
    namespace: shop
    with: { service: api, paths: ["/api/*"], origins: [https://app.example.com] }
  - use: greet@^1.0
    as: hi
    namespace: shop
    source: git+file://${repo}
    with: { path: /hi, message: hello, token: { fromEnv: GREET_TOKEN } }
  - use: greet@^1.0
    as: yo
    namespace: shop
    source: git+file://${repo}
    with: { path: /yo, message: yo there, token: { fromEnv: GREET_TOKEN } }
`,
    );
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('refuses to validate before the lock exists, naming the instance', async () => {
    const result = await run(['validate', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /config\.yaml:\d+:5: error DG1801: bundle instance 'web' \(cors@\^1\.0\) is not in a dgate-cli\.lock \(there is none\)/,
    );
  });

  it('bundle update resolves each range to the newest matching version and writes the lock', async () => {
    const result = await run(['bundle', 'update', '--config', config]);
    expect(result.code, result.stderr).toBe(0);
    const lock = JSON.parse(await readFile(path.join(config, 'dgate-cli.lock'), 'utf8'));
    expect(lock.bundles.web).toMatchObject({ use: 'cors@^1.0', source: 'builtin', version: '1.0.0', commit: null });
    expect(lock.bundles.hi).toMatchObject({
      use: 'greet@^1.0',
      version: '1.1.0',
      commit: git(repo, 'rev-list', '-n', '1', 'v1.1.0'),
      vendored: '.bundles/greet@1.1.0',
    });
    expect(lock.bundles.hi.integrity).toMatch(/^sha256-/);
  });

  it('applies every instance, two of one bundle side by side, and records where each resource came from', async () => {
    const compiled = await run(['compile', config]);
    expect(compiled.code, compiled.stderr).toBe(0);
    const state = JSON.parse(compiled.stdout);
    expect(
      state.bundles.map(
        (b: { instance: string; bundle: string; version: string }) => `${b.instance}=${b.bundle}@${b.version}`,
      ),
    ).toEqual(['web=cors@1.0.0', 'hi=greet@1.1.0', 'yo=greet@1.1.0']);
    const plan = await run(['plan', config]);
    expect(plan.stdout).toMatch(
      /\n {2}\+ domain all\n( {6}.*\n)+ {2}bundle hi \(greet@1\.1\.0\)\n {4}\+ secret hi-token\n/,
    );
    expect(plan.stdout).toMatch(/\n {2}bundle web \(cors@1\.0\.0\)\n {4}\+ module web-headers\n/);
    const markdown = await run(['plan', config, '--format', 'markdown']);
    expect(markdown.stdout).toContain('| | kind | resource | changed fields | bundle |');
    expect(markdown.stdout).toContain('| + create | secret | `shop/hi-token` |  | hi (greet@1.1.0) |');
    expect(markdown.stdout).toContain('| + create | domain | `shop/all` |  |  |');
    const applied = await run(['apply', config, '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(await get('/hi')).toMatchObject({
      status: 200,
      text: JSON.stringify({ message: 'hello', version: '1.1.0' }),
    });
    expect(await get('/yo')).toMatchObject({
      status: 200,
      text: JSON.stringify({ message: 'yo there', version: '1.1.0' }),
    });
    const secrets = (
      (await adminCall(node().adminUrl, 'GET', '/secret?namespace=shop')).json.data as { name: string }[]
    ).map((s) => s.name);
    expect(secrets).toEqual(['hi-token', 'yo-token']);
  });

  it("cors: answers the preflight itself and adds the header to the service's answers, for allowed origins only", async () => {
    const preflight = await get(
      '/api/items',
      { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      'OPTIONS',
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-methods']).toBe('GET, HEAD, POST');
    expect(preflight.headers['access-control-max-age']).toBe('600');
    const before = upstream.requests.length;
    const allowed = await get('/api/items', { origin: 'https://app.example.com' });
    expect(allowed.status).toBe(200);
    expect(JSON.parse(allowed.text)).toMatchObject({ upstream: 'api', url: '/api/items' });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    const other = await get('/api/items', { origin: 'https://evil.example.com' });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(upstream.requests.length - before).toBe(2); // the preflight never reached it
  });

  it('plans no changes afterwards, and groups bundle resources under their instance', async () => {
    const plan = await run(['plan', config, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('keeps the locked version when a newer tag appears, until bundle update', async () => {
    await writeGreetBundle(repo, '1.2.0');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '-m', '1.2.0');
    git(repo, 'tag', 'v1.2.0');
    const compiled = JSON.parse((await run(['compile', config])).stdout);
    expect(compiled.bundles.find((b: { instance: string }) => b.instance === 'hi').version).toBe('1.1.0');
    const updated = await run(['bundle', 'update', 'hi', '--config', config]);
    expect(updated.stdout).toContain('hi: greet@^1.0 → 1.2.0 from git+file://');
    expect(updated.stdout).toContain('yo: greet@^1.0 → 1.1.0');
    const lock = JSON.parse(await readFile(path.join(config, 'dgate-cli.lock'), 'utf8'));
    expect([lock.bundles.hi.version, lock.bundles.yo.version]).toEqual(['1.2.0', '1.1.0']);
  });

  it('refuses a tampered bundle: its content no longer matches the lock', async () => {
    const vendored = path.join(config, '.bundles/greet@1.2.0/modules/hello.ts');
    await writeFile(vendored, (await readFile(vendored, 'utf8')).replace('PARAMS.message', "'pwned'"));
    const result = await run(['validate', config]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /error DG1803: the content of bundle greet@1\.2\.0 in .* does not match dgate-cli\.lock/,
    );
    await run(['bundle', 'update', 'hi', '--config', config]);
    expect((await run(['validate', config])).code).toBe(0);
  });

  it('refuses a bundle that does not support this dgate-cli, from a local directory', async () => {
    const local = await temps.make();
    await writeGreetBundle(local, '1.0.0');
    await editFile(path.join(local, 'bundle.yaml'), 'description:', 'dgateCli: ">=99"\ndescription:');
    const other = await temps.make();
    await writeFile(
      path.join(other, 'config.yaml'),
      `version: v1\nbundles:\n  - use: greet@^1.0\n    as: hi\n    namespace: shop\n    source: ${local}\n    with: { path: /hi, message: hello, token: { fromEnv: GREET_TOKEN } }\n`,
    );
    const updated = await run(['bundle', 'update', '--config', other]);
    expect(updated.stdout).toContain(`hi: greet@^1.0 → 1.0.0 from ${local}`);
    const refused = await run(['validate', other]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /error DG1809: bundle greet@1\.0\.0 supports dgate-cli >=99, and this is dgate-cli \d+\.\d+\.\d+/,
    );
  });

  it('refuses a lock made for another range', async () => {
    const other = await temps.make(config);
    await editFile(path.join(other, 'config.yaml'), 'use: cors@^1.0', 'use: cors@~1.0.0');
    const result = await run(['validate', other]);
    expect(result.stderr).toMatch(
      /error DG1802: dgate-cli\.lock resolved 'web' for cors@\^1\.0 from builtin, and the config now asks for cors@~1\.0\.0 from builtin/,
    );
  });

  it("checks parameters against the bundle's schema, located at the config's `with`", async () => {
    const other = await temps.make(config);
    await editFile(
      path.join(other, 'config.yaml'),
      'with: { path: /yo, message: yo there, token: { fromEnv: GREET_TOKEN } }',
      'with: { path: yo, mesage: hi }',
    );
    const result = await run(['validate', other]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /config\.yaml:\d+:11: error DG1804: bundle greet@1\.1\.0 \(instance 'yo'\): the parameters: 'message' is required/,
    );
    expect(result.stderr).toMatch(
      /error DG1804: bundle greet@1\.1\.0 \(instance 'yo'\): the parameters: 'mesage' is not a parameter of this bundle/,
    );
    expect(result.stderr).toMatch(
      /error DG1804: bundle greet@1\.1\.0 \(instance 'yo'\): parameter 'path' must match pattern/,
    );
  });

  it('never shows the value of a secret slot', async () => {
    await run(['plan', config, '--format', 'json']);
    await run(['compile', config]);
    for (const out of outputs)
      for (const form of [token, Buffer.from(token).toString('base64').replace(/=+$/, '')])
        expect(out).not.toContain(form);
    const everything = JSON.stringify([
      (await adminCall(node().adminUrl, 'GET', '/module?namespace=shop')).json,
      (await adminCall(node().adminUrl, 'GET', '/route?namespace=shop')).json,
      (await adminCall(node().adminUrl, 'GET', '/collection?namespace=dgate-cli')).json,
      (
        await adminCall(
          node().adminUrl,
          'GET',
          '/document?namespace=dgate-cli&collection=releases&limit=0&offset=2147483647',
        )
      ).json,
    ]);
    expect(everything).not.toContain(token);
    expect(everything).not.toContain(Buffer.from(token).toString('base64').replace(/=+$/, ''));
  });
});

/**
 * The shipped bundles below share one node: each is applied in a namespace of its own, whose domain
 * matches only its own host, and every request names that host.
 */
const bundlesNode = useOwnDgateNode();

describe('the api-key bundle, against a real server', () => {
  const node = bundlesNode;
  const temps = useTempDirs();
  let upstream: Upstream;
  const key = `key-${randomBytes(8).toString('hex')}`;
  const sha = createHash('sha256').update(key).digest('hex');
  const call = async (p: string, headers: Record<string, string> = {}, method = 'GET', body?: string) => {
    const res = await request(`${node().proxyUrl}${p}`, {
      method: method as 'GET',
      headers: { host: 'partners.test', ...headers },
      body,
      reset: true,
    });
    const text = await res.body.text();
    try {
      return { status: res.statusCode, json: JSON.parse(text) };
    } catch {
      return { status: res.statusCode, json: text };
    }
  };

  beforeAll(async () => {
    upstream = await startUpstream('orders');
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      `version: v1
namespaces:
  - name: partners
    domains:
      - { name: all, patterns: [partners.test] }
bundles:
  - use: api-key@^1.0
    as: partners
    namespace: partners
    with: { upstream: "${upstream.url}", paths: ["/orders/*"], keySha256: [${sha}] }
`,
    );
    const env = { DGATE_ADMIN_URL: node().adminUrl };
    expect((await dgateCli(['bundle', 'update', '--config', dir], { env })).code).toBe(0);
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('answers 401 without a key, and with a wrong one, without reaching the upstream', async () => {
    expect(await call('/orders/1')).toEqual({ status: 401, json: { error: 'missing X-API-Key header' } });
    expect(await call('/orders/1', { 'x-api-key': 'guessed' })).toEqual({
      status: 401,
      json: { error: 'invalid API key' },
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it('forwards a request with a valid key, path, query and body included, and relays the answer', async () => {
    expect(await call('/orders/7?expand=lines', { 'x-api-key': key })).toEqual({
      status: 200,
      json: { upstream: 'orders', method: 'GET', url: '/orders/7?expand=lines' },
    });
    expect(
      await call('/orders/new', { 'x-api-key': key, 'content-type': 'application/json' }, 'POST', '{"sku":"a"}'),
    ).toEqual({ status: 200, json: { upstream: 'orders', method: 'POST', url: '/orders/new' } });
    expect(upstream.requests.map((r) => `${r.method} ${r.url} ${r.headers['content-type'] ?? ''} ${r.body}`)).toEqual([
      'GET /orders/7?expand=lines  ',
      'POST /orders/new application/json {"sku":"a"}',
    ]);
  });
});

describe('the url-shortener bundle, against a real server', () => {
  const node = bundlesNode;
  const temps = useTempDirs();
  const call = async (p: string, method = 'GET') => {
    const res = await request(`${node().proxyUrl}${p}`, {
      method: method as 'GET',
      headers: { host: 'links.test' },
      reset: true,
    });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      location: res.headers.location,
      json: text.startsWith('{') ? JSON.parse(text) : text,
    };
  };

  beforeAll(async () => {
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      `version: v1
namespaces:
  - name: links
    domains:
      - { name: all, patterns: [links.test] }
bundles:
  - use: url-shortener@^1.0
    as: go
    namespace: links
    with: { allowedHosts: [example.com] }
`,
    );
    const env = { DGATE_ADMIN_URL: node().adminUrl };
    expect((await dgateCli(['bundle', 'update', '--config', dir], { env })).code).toBe(0);
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
    expect(applied.code, applied.stderr).toBe(0);
  });

  it('stores a link in its collection and redirects to it', async () => {
    const created = await call(`/s?url=${encodeURIComponent('https://example.com/a/long/path')}`, 'POST');
    expect(created.status).toBe(201);
    expect(created.json.id).toMatch(/^[0-9a-f]{10}$/);
    const followed = await call(`/s/${created.json.id}`);
    expect([followed.status, followed.location]).toEqual([307, 'https://example.com/a/long/path']);
    // The link lives in the instance's own collection (private: the admin API does not list its documents).
    const collection = await adminCall(node().adminUrl, 'GET', '/collection/go-links?namespace=links');
    expect(collection.json.data).toMatchObject({ name: 'go-links', visibility: 'private' });
    expect(await call(`/s?url=${encodeURIComponent('https://example.com/a/long/path')}`, 'POST')).toEqual({
      status: 201,
      location: undefined,
      json: created.json,
    });
  });

  it('answers 404 for an unknown id, and 400 for a host that is not allowed', async () => {
    expect((await call('/s/0000000000')).status).toBe(404);
    expect(await call(`/s?url=${encodeURIComponent('https://evil.example.net/')}`, 'POST')).toMatchObject({
      status: 400,
    });
  });
});

describe('the oauth2 bundle, against a real server', () => {
  const node = bundlesNode;
  const temps = useTempDirs();
  let upstream: Upstream;
  let issuer: { url: string; close: () => Promise<void> };
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const b64url = (v: object | Buffer) =>
    (Buffer.isBuffer(v) ? v : Buffer.from(JSON.stringify(v))).toString('base64url');
  const sign = (claims: object, privateKey = key.privateKey) => {
    const head = `${b64url({ alg: 'RS256', typ: 'JWT' })}.${b64url(claims)}`;
    return `${head}.${b64url(createSign('RSA-SHA256').update(head).sign(privateKey))}`;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const good = () => ({ iss: 'https://id.example.test', aud: 'shop', sub: 'alice', exp: now() + 300 });
  const call = async (p: string, token?: string) => {
    const res = await request(`${node().proxyUrl}${p}`, {
      headers: { host: 'oauth.test', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      reset: true,
    });
    return { status: res.statusCode, auth: res.headers['www-authenticate'], json: JSON.parse(await res.body.text()) };
  };

  beforeAll(async () => {
    upstream = await startUpstream('orders');
    // The issuer: its userinfo endpoint checks the signature with its key, as a real one does.
    const server = createServer((req, res) => {
      const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      const [head, body, signature] = token.split('.');
      const valid =
        !!signature &&
        createVerify('RSA-SHA256').update(`${head}.${body}`).verify(key.publicKey, Buffer.from(signature, 'base64url'));
      res.statusCode = valid ? 200 : 401;
      res.end(
        valid ? JSON.stringify(JSON.parse(Buffer.from(body!, 'base64url').toString())) : '{"error":"invalid_token"}',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = {
      url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
      close: () => new Promise((r) => server.close(() => r())),
    };
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      `version: v1
namespaces:
  - name: oauth
    domains:
      - { name: all, patterns: [oauth.test] }
bundles:
  - use: oauth2@^1.0
    as: api
    namespace: oauth
    with:
      upstream: "${upstream.url}"
      paths: ["/orders/*"]
      issuer: https://id.example.test
      audience: shop
      userinfoUrl: "${issuer.url}/userinfo"
      clientSecret: { fromEnv: OAUTH_CLIENT_SECRET }
`,
    );
    const env = { DGATE_ADMIN_URL: node().adminUrl, OAUTH_CLIENT_SECRET: 'client-secret-for-the-test' };
    expect((await dgateCli(['bundle', 'update', '--config', dir], { env })).code).toBe(0);
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(async () => {
    await upstream?.close();
    await issuer?.close();
  });

  it('rejects a missing, forged, expired or foreign token, and forwards nothing', async () => {
    expect(await call('/orders/1')).toMatchObject({
      status: 401,
      json: { error: 'invalid_request' },
      auth: expect.stringMatching(/^Bearer error="invalid_request"/),
    });
    expect(await call('/orders/1', sign(good(), otherKey.privateKey))).toMatchObject({
      status: 401,
      json: { error_description: 'the issuer did not accept the token' },
    });
    expect(await call('/orders/1', sign({ ...good(), exp: now() - 1 }))).toMatchObject({
      status: 401,
      json: { error_description: 'the token has expired' },
    });
    expect(await call('/orders/1', sign({ ...good(), iss: 'https://evil.test' }))).toMatchObject({
      status: 401,
      json: { error_description: 'the token is from another issuer' },
    });
    expect(await call('/orders/1', sign({ ...good(), aud: 'billing' }))).toMatchObject({
      status: 401,
      json: { error_description: 'the token is for another audience' },
    });
    expect(await call('/orders/1', 'not-a-jwt')).toMatchObject({
      status: 401,
      json: { error_description: 'the token is not a JWT' },
    });
    expect(upstream.requests).toHaveLength(0);
  });

  it("accepts a valid token signed by the issuer's key, and tells the upstream who it is", async () => {
    expect(await call('/orders/9?x=1', sign(good()))).toEqual({
      status: 200,
      auth: undefined,
      json: { upstream: 'orders', method: 'GET', url: '/orders/9?x=1' },
    });
    expect(upstream.requests.map((r) => [r.url, r.headers['x-auth-subject']])).toEqual([['/orders/9?x=1', 'alice']]);
  });
});

describe('the rate-limit bundle, against a real server', () => {
  const node = bundlesNode;
  const temps = useTempDirs();
  let upstream: Upstream;
  const call = async (client: string) => {
    const res = await request(`${node().proxyUrl}/search/q`, {
      headers: { host: 'search.test', 'x-client': client },
      reset: true,
    });
    await res.body.text();
    return {
      status: res.statusCode,
      remaining: res.headers['ratelimit-remaining'],
      retryAfter: res.headers['retry-after'],
    };
  };

  beforeAll(async () => {
    upstream = await startUpstream('search');
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      `version: v1
namespaces:
  - name: search
    domains:
      - { name: all, patterns: [search.test] }
bundles:
  - use: rate-limit@^1.0
    as: search
    namespace: search
    with: { upstream: "${upstream.url}", paths: ["/search/*"], limit: 3, windowSeconds: 3600, clientHeader: X-Client }
`,
    );
    const env = { DGATE_ADMIN_URL: node().adminUrl };
    expect((await dgateCli(['bundle', 'update', '--config', dir], { env })).code).toBe(0);
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
    expect(applied.code, applied.stderr).toBe(0);
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it("forwards a client's first requests in the window, then answers 429, counting each client apart", async () => {
    const alice = [await call('alice'), await call('alice'), await call('alice'), await call('alice')];
    expect(alice.map((r) => [r.status, r.remaining])).toEqual([
      [200, '2'],
      [200, '1'],
      [200, '0'],
      [429, '0'],
    ]);
    expect(Number(alice[3]!.retryAfter)).toBeGreaterThan(0);
    expect((await call('bob')).status).toBe(200);
    expect(upstream.requests).toHaveLength(4);
  });
});
