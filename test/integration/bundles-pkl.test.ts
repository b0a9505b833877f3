import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { git } from '../harness/git.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';

const pklCors = path.join(repoRoot, 'test/fixtures/bundles-pkl/cors');

/** bundles/cors with bundle.yaml and resources.yaml replaced by the Pkl versions of the fixture. */
async function writePklCors(dir: string): Promise<void> {
  await cp(path.join(repoRoot, 'bundles/cors'), dir, { recursive: true });
  await rm(path.join(dir, 'bundle.yaml'));
  await rm(path.join(dir, 'resources.yaml'));
  for (const file of await readdir(pklCors)) await cp(path.join(pklCors, file), path.join(dir, file));
}

/** A bundle written in Pkl with a secret slot, a library module its resources import, and a module. */
async function writeVaultBundle(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'modules'), { recursive: true });
  await writeFile(
    path.join(dir, 'bundle.pkl'),
    `amends "modulepath:/dgate/Bundle.pkl"

name = "vault"
version = "1.0.0"
description = "Answers on a path and keeps a token as a DGate secret."
parameters {
  type = "object"
  additionalProperties = false
  required { "path"; "token" }
  properties {
    path { type = "string"; pattern = "^/" }
    token { sensitive = true; description = "kept as a secret" }
    reply { type = "string"; ["default"] = "sealed" }
  }
}
`,
  );
  // Not amending anything: a library the resource module imports, never evaluated on its own.
  await writeFile(path.join(dir, 'names.pkl'), `prefix = "vault"\n`);
  await writeFile(
    path.join(dir, 'resources.pkl'),
    `amends "modulepath:/dgate/BundleResources.pkl"
import "names.pkl"

secrets {
  new { name = "token"; value = module.param("token") }
}
modules {
  new { name = "\\(names.prefix)-answer"; file = "modules/answer.ts" }
}
routes {
  new {
    name = "answer"
    paths { module.param("path") }
    methods { "GET" }
    modules { "\\(names.prefix)-answer" }
  }
}
`,
  );
  await writeFile(path.join(dir, 'modules/answer.ts'), `export const requestHandler = (ctx: any) => {\n  ctx.response().status(200).json({ reply: PARAMS.reply, secret: NAMES.token });\n};\n`);
}

describe('bundles written in Pkl', () => {
  const temps = useTempDirs();

  it('a Pkl port of cors lints clean and passes the YAML bundle\'s golden and request cases unchanged', async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code, lint.stderr).toBe(0);
    expect(lint.stdout).toContain('cors@1.0.0');
    // tests/basic.expected.json was written for the YAML bundle: the same bytes must come out.
    const test = await dgateCli(['bundle', 'test', dir], { env: { DGATE_SERVER_BIN: inject('dgateServerBin') } });
    expect(test.stdout).toBe('✓ basic\n✓ requests (2 requests answered as expected)\n');
    expect(test.code).toBe(0);
    const docs = await dgateCli(['bundle', 'docs', dir]);
    expect(docs.stdout).toBe((await dgateCli(['bundle', 'docs', path.join(repoRoot, 'bundles/cors')])).stdout);
  });

  it('locates a type error in a Pkl resource file, and names the schema it breaks', async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    await editFile(path.join(dir, 'resources.pkl'), 'methods { "OPTIONS" }', 'methods { 42 }');
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(/resources\.pkl:20:15: error DG1602: expected value of type .*but got type `Int`; value: 42\n  hint: .*modulepath:\/dgate\/BundleResources\.pkl/);
    expect(lint.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses `default` written as a Pkl member in parameters, where it would silently vanish', async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    await editFile(path.join(dir, 'bundle.pkl'), '["default"] = 600', 'default = 600');
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(/bundle\.pkl:\d+:7: error DG1612: 'default' inside parameters\.properties\.maxAgeSeconds is Pkl's own default member, not a JSON key: its value would be dropped\n  hint: write the key as an entry: \["default"\] = value/);
  });

  it('names an undeclared parameter as the Pkl file spells it, at its line', async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    await editFile(path.join(dir, 'resources.pkl'), 'service = module.param("service")', 'service = module.param("svc")');
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(/resources\.pkl:14:\d+: error DG1805: 'module\.param\("svc"\)' names no parameter of the bundle\n  hint: declare 'svc' under parameters in bundle\.pkl/);
  });

  it('refuses a bundle with two manifests, and one whose Pkl reaches outside the bundle', async () => {
    const both = await temps.make();
    await writePklCors(both);
    await cp(path.join(repoRoot, 'bundles/cors/bundle.yaml'), path.join(both, 'bundle.yaml'));
    const twice = await dgateCli(['bundle', 'lint', both]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toMatch(/error DG1809: .* has both bundle\.yaml and bundle\.pkl/);

    const reading = await temps.make();
    await writePklCors(reading);
    await editFile(path.join(reading, 'resources.pkl'), 'name = "routes"', 'name = read("env:HOME").text');
    const env = await dgateCli(['bundle', 'lint', reading]);
    expect(env.code).toBe(1);
    expect(env.stderr).toMatch(/resources\.pkl:11:12: error DG1604: reading environment variable 'HOME' is not allowed by the Pkl sandbox\n  hint: a bundle's Pkl sees no environment variables: take the value as a parameter of the bundle/);

    const importing = await temps.make();
    await writePklCors(importing);
    await editFile(path.join(importing, 'resources.pkl'), 'name = "routes"', 'name = import("../outside.pkl").name');
    const outside = await dgateCli(['bundle', 'lint', importing]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(/resources\.pkl:11:12: error DG1603: import of '\.\.\/outside\.pkl' is not allowed by the Pkl sandbox\n  hint: a bundle's Pkl may import only pkl:, modulepath:\/dgate\/ and files inside the bundle directory/);
  });

  it('init --format pkl scaffolds a Pkl bundle that compiles to what the YAML scaffold compiles to', async () => {
    const work = await temps.make();
    expect((await dgateCli(['bundle', 'init', 'hello', 'yaml-hello'], { cwd: work })).code).toBe(0);
    const init = await dgateCli(['bundle', 'init', 'hello', 'pkl-hello', '--format', 'pkl'], { cwd: work });
    expect(init.code, init.stderr).toBe(0);
    const files = (await readdir(path.join(work, 'pkl-hello'))).sort();
    expect(files).toEqual(['README.md', 'bundle.pkl', 'modules', 'resources.pkl', 'tests']);
    expect((await dgateCli(['bundle', 'lint', 'pkl-hello'], { cwd: work })).stderr).toBe('');
    for (const dir of ['yaml-hello', 'pkl-hello']) expect((await dgateCli(['bundle', 'test', dir, '--update'], { cwd: work })).code).toBe(0);
    expect(await readFile(path.join(work, 'pkl-hello/tests/basic.expected.json'), 'utf8')).toBe(await readFile(path.join(work, 'yaml-hello/tests/basic.expected.json'), 'utf8'));
    const wrong = await dgateCli(['bundle', 'init', 'x', '--format', 'json'], { cwd: work });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error DG0001: --format 'json' is not a bundle format/);
  });
});

describe('convert, for bundles', () => {
  const temps = useTempDirs();
  const shipped = ['api-key', 'cors', 'oauth2', 'rate-limit', 'url-shortener'];

  it.each(shipped)('bundles/%s: YAML → Pkl → YAML passes its golden cases at each step', async (name) => {
    const work = await temps.make();
    // Golden cases only: the request cases of the YAML bundle run in bundle-tools.test.ts.
    const source = path.join(work, 'yaml');
    await cp(path.join(repoRoot, 'bundles', name), source, { recursive: true });
    await rm(path.join(source, 'tests/requests.yaml'), { force: true });
    const toPkl = await dgateCli(['convert', '--to', 'pkl', source, '--out', path.join(work, 'pkl')]);
    expect(toPkl.code, toPkl.stderr).toBe(0);
    expect(toPkl.stdout).toMatch(/^✓ converted bundle .* \(pkl\): 2 files, \d+ other files copied\n$/);
    const files = await readdir(path.join(work, 'pkl'));
    expect(files).toContain('bundle.pkl');
    expect(files.filter((f) => f.endsWith('.yaml'))).toEqual([]);
    const resources = await readFile(path.join(work, 'pkl/resources.pkl'), 'utf8');
    expect(resources).toMatch(/^amends "modulepath:\/dgate\/BundleResources\.pkl"$/m);
    expect(resources).toMatch(/module\.param\("\w+"\)/);
    expect(resources).not.toMatch(/param = /);
    const pklLint = await dgateCli(['bundle', 'lint', path.join(work, 'pkl')]);
    expect(pklLint.stderr).toBe('');
    const pklTest = await dgateCli(['bundle', 'test', path.join(work, 'pkl')]);
    expect(pklTest.code, pklTest.stdout).toBe(0);
    const toYaml = await dgateCli(['convert', '--to', 'yaml', path.join(work, 'pkl'), '--out', path.join(work, 'back')]);
    expect(toYaml.code, toYaml.stderr).toBe(0);
    expect(await readFile(path.join(work, 'back/resources.yaml'), 'utf8')).toMatch(/: \{ param: \w+ \}\n/);
    const backTest = await dgateCli(['bundle', 'test', path.join(work, 'back')]);
    expect(backTest.code, backTest.stdout).toBe(0);
  });

  it('writes a parameter default as ["default"], and refuses an invalid bundle without writing anything', async () => {
    const work = await temps.make();
    await dgateCli(['convert', '--to', 'pkl', path.join(repoRoot, 'bundles/cors'), '--out', path.join(work, 'pkl')]);
    const manifest = await readFile(path.join(work, 'pkl/bundle.pkl'), 'utf8');
    expect(manifest).toContain('["default"] = 600');
    expect(manifest).not.toMatch(/^\s*default\s*=/m);

    const broken = await temps.make(path.join(repoRoot, 'bundles/cors'));
    await editFile(path.join(broken, 'bundle.yaml'), 'version: 1.0.0', 'version: one');
    const result = await dgateCli(['convert', '--to', 'pkl', broken, '--out', path.join(work, 'never')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/bundle\.yaml:2:10: error DG1012: field .version. does not have the expected form/);
    expect(result.stderr).toMatch(/✗ .*: 1 error, 0 warnings; nothing converted\n$/);
    await expect(readdir(path.join(work, 'never'))).rejects.toThrow();
  });
});

describe('a Pkl bundle from a git repository, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let upstream: Upstream;
  let repo: string;
  let config: string;
  let yamlConfig: string;
  const token = `LEAKpkl${randomBytes(6).toString('hex')}`;
  const outputs: string[] = [];
  const run = async (args: string[]) => {
    const result = await dgateCli(args, { env: { DGATE_ADMIN_URL: node().adminUrl, VAULT_TOKEN: token } });
    outputs.push(result.stdout + result.stderr);
    return result;
  };
  const send = async (p: string, headers: Record<string, string> = {}, method = 'GET') => {
    const res = await request(`${node().proxyUrl}${p}`, { method: method as 'GET', headers, reset: true });
    return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
  };

  beforeAll(async () => {
    upstream = await startUpstream('api');
    repo = await temps.make();
    git(repo, 'init', '-q', '-b', 'main');
    await writePklCors(path.join(repo, 'cors'));
    await writeVaultBundle(path.join(repo, 'vault'));
    config = await temps.make();
    const configText = (corsSource: string) => `version: v1
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
${corsSource}    with: { service: api, paths: ["/api/*"], origins: [https://app.example.com] }
  - use: vault@^1
    as: safe
    namespace: shop
    source: ${path.join(repo, 'vault')}
    with: { path: /vault, token: { fromEnv: VAULT_TOKEN } }
`;
    await writeFile(path.join(config, 'config.yaml'), configText(`    source: ${path.join(repo, 'cors')}\n`));
    // The same config with the shipped YAML cors: the two must compile to the same resources.
    yamlConfig = await temps.make();
    await writeFile(path.join(yamlConfig, 'config.yaml'), configText(''));
  });
  afterAll(async () => {
    await upstream?.close();
  });

  it('locks Pkl bundles like YAML ones, and compiles to what the YAML cors compiles to', async () => {
    expect((await run(['bundle', 'update', '--config', config])).code).toBe(0);
    expect((await run(['bundle', 'update', '--config', yamlConfig])).code).toBe(0);
    const lock = JSON.parse(await readFile(path.join(config, 'dgate-cli.lock'), 'utf8'));
    expect(lock.bundles.safe).toMatchObject({ use: 'vault@^1', version: '1.0.0' });
    const pkl = await run(['compile', config]);
    const yaml = await run(['compile', yamlConfig]);
    expect(pkl.code, pkl.stderr).toBe(0);
    expect(yaml.code, yaml.stderr).toBe(0);
    const corsOf = (stdout: string) => {
      const state = JSON.parse(stdout).resources;
      const pick = (list: { name: string }[]) => list.filter((r) => r.name.startsWith('web-'));
      return { modules: pick(state.modules), routes: pick(state.routes) };
    };
    expect(corsOf(pkl.stdout).routes.length).toBe(2);
    expect(corsOf(pkl.stdout)).toEqual(corsOf(yaml.stdout));
  });

  it('applies them: cors answers its preflight, the Pkl module reads its parameters, the secret slot is a secret', async () => {
    const applied = await run(['apply', config, '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    const preflight = await send('/api/items', { origin: 'https://app.example.com', 'access-control-request-method': 'POST' }, 'OPTIONS');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-max-age']).toBe('600');
    expect(await send('/vault')).toMatchObject({ status: 200, text: JSON.stringify({ reply: 'sealed', secret: 'safe-token' }) });
    const modules = ((await adminCall(node().adminUrl, 'GET', '/module?namespace=shop')).json.data as { name: string }[]).map((m) => m.name).sort();
    expect(modules).toEqual(['safe-vault-answer', 'web-headers', 'web-preflight']);
    const secrets = ((await adminCall(node().adminUrl, 'GET', '/secret?namespace=shop')).json.data as { name: string }[]).map((s) => s.name);
    expect(secrets).toEqual(['safe-token']);
    const plan = await run(['plan', config, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it('catches a changed .pkl file of a locked bundle', async () => {
    await editFile(path.join(repo, 'vault/resources.pkl'), 'methods { "GET" }', 'methods { "GET"; "POST" }');
    const validate = await run(['validate', config]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toMatch(/error DG1803: the content of bundle vault@1\.0\.0 .* does not match dgate-cli\.lock/);
    await editFile(path.join(repo, 'vault/resources.pkl'), 'methods { "GET"; "POST" }', 'methods { "GET" }');
  });

  it('never shows the value of the Pkl bundle\'s secret slot', async () => {
    await run(['plan', config, '--format', 'json']);
    await run(['compile', config]);
    for (const out of outputs) expect(out).not.toContain(token);
    const stored = JSON.stringify([
      (await adminCall(node().adminUrl, 'GET', '/module?namespace=shop')).json,
      (await adminCall(node().adminUrl, 'GET', '/route?namespace=shop')).json,
      (await adminCall(node().adminUrl, 'GET', '/document?namespace=dgate-cli&collection=releases&limit=0&offset=2147483647')).json,
    ]);
    expect(stored).not.toContain(token);
  });
});
