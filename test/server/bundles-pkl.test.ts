import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { git } from '../harness/git.js';
import { dgateCli } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { writePklCors } from '../harness/pkl-bundles.js';

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
  await writeFile(
    path.join(dir, 'modules/answer.ts'),
    `export const requestHandler = (ctx: any) => {\n  ctx.response().status(200).json({ reply: PARAMS.reply, secret: NAMES.token });\n};\n`,
  );
}

// The two suites below run side by side (this one runs bundle test, which starts a node of its own);
// the tests of the second run in order.
describe.concurrent('the Pkl port of cors, against a real server', () => {
  const temps = useTempDirs();

  it("answers the YAML bundle's request cases unchanged", async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    const test = await dgateCli(['bundle', 'test', dir], { env: { DGATE_SERVER_BIN: inject('dgateServerBin') } });
    expect(test.stdout).toBe('✓ basic\n✓ requests (2 requests answered as expected)\n');
    expect(test.code).toBe(0);
  });
});

describe.concurrent('a Pkl bundle from a git repository, against a real server', () => {
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

  it.sequential('locks Pkl bundles like YAML ones, and compiles to what the YAML cors compiles to', async () => {
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

  it.sequential('applies them: cors answers its preflight, the Pkl module reads its parameters, the secret slot is a secret', async () => {
    const applied = await run(['apply', config, '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    const preflight = await send(
      '/api/items',
      { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      'OPTIONS',
    );
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-max-age']).toBe('600');
    expect(await send('/vault')).toMatchObject({
      status: 200,
      text: JSON.stringify({ reply: 'sealed', secret: 'safe-token' }),
    });
    const modules = (
      (await adminCall(node().adminUrl, 'GET', '/module?namespace=shop')).json.data as { name: string }[]
    )
      .map((m) => m.name)
      .sort();
    expect(modules).toEqual(['safe-vault-answer', 'web-headers', 'web-preflight']);
    const secrets = (
      (await adminCall(node().adminUrl, 'GET', '/secret?namespace=shop')).json.data as { name: string }[]
    ).map((s) => s.name);
    expect(secrets).toEqual(['safe-token']);
    const plan = await run(['plan', config, '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
  });

  it.sequential('catches a changed .pkl file of a locked bundle', async () => {
    await editFile(path.join(repo, 'vault/resources.pkl'), 'methods { "GET" }', 'methods { "GET"; "POST" }');
    const validate = await run(['validate', config]);
    expect(validate.code).toBe(1);
    expect(validate.stderr).toMatch(
      /error DG1803: the content of bundle vault@1\.0\.0 .* does not match dgate-cli\.lock/,
    );
    await editFile(path.join(repo, 'vault/resources.pkl'), 'methods { "GET"; "POST" }', 'methods { "GET" }');
  });

  it.sequential("never shows the value of the Pkl bundle's secret slot", async () => {
    await run(['plan', config, '--format', 'json']);
    await run(['compile', config]);
    for (const out of outputs) expect(out).not.toContain(token);
    const stored = JSON.stringify([
      (await adminCall(node().adminUrl, 'GET', '/module?namespace=shop')).json,
      (await adminCall(node().adminUrl, 'GET', '/route?namespace=shop')).json,
      (
        await adminCall(
          node().adminUrl,
          'GET',
          '/document?namespace=dgate-cli&collection=releases&limit=0&offset=2147483647',
        )
      ).json,
    ]);
    expect(stored).not.toContain(token);
  });
});
