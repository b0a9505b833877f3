#!/usr/bin/env node
// The README's run command (`npm start`). First the part that needs no cluster, on the shipped
// examples: validate (a planted mistake, its located error, the fix), compile with its version,
// targets and explain for the multi-target example, and a round trip to Pkl and back with equal
// versions. Then, when a dgate-server can be had, the live part on a local one on loopback: plan,
// apply, a request through the gateway, a change, the history, a rollback. Without a server it
// says how to get one and that the live part was skipped, and still exits 0.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { renderThrown } from './render-error.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'dgate-cli');
const step = (text) => console.log(`\n==> ${text}`);

function dgateCli(args, env = {}, cwd = root) {
  console.log(`$ dgate-cli ${args.join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
}

/** Runs a command that is meant to fail, shows what it printed, and checks that it did fail. */
function dgateCliFailing(args, cwd) {
  console.log(`$ dgate-cli ${args.join(' ')}`);
  const res = spawnSync(process.execPath, [cli, ...args], { cwd, stdio: 'inherit', env: process.env });
  console.log(`(exit code ${res.status})`);
  if (res.status === 0) throw new Error(`dgate-cli ${args.join(' ')} was expected to fail and did not`);
}

/** The version a compiled desired state carries. */
function versionOf(dir, work, name) {
  const out = path.join(work, `${name}.json`);
  dgateCli(['compile', dir, '--out', out]);
  const { version } = JSON.parse(readFileSync(out, 'utf8'));
  return version;
}

async function callGateway(node, host, urlPath) {
  const res = await request(`${node.proxyUrl}${urlPath}`, { headers: { host } });
  const body = await res.body.text();
  console.log(`$ curl -H 'Host: ${host}' ${node.proxyUrl}${urlPath}\n${res.statusCode} ${body}`);
}

function offlinePart(work) {
  step('Validating every example');
  const examples = readdirSync(path.join(root, 'examples'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `examples/${e.name}`)
    .sort();
  for (const example of examples) dgateCli(['validate', example]);

  step('A planted mistake: a route names service `catalg`; validate says where and how to fix it');
  const shop = path.join(work, 'shop');
  cpSync(path.join(root, 'examples/shop'), shop, { recursive: true });
  const routes = path.join(shop, 'routes.yaml');
  const good = readFileSync(routes, 'utf8');
  writeFileSync(routes, good.replace('service: catalog,', 'service: catalg,'));
  dgateCliFailing(['validate', 'shop'], work);
  step('The fix, and the config is valid again');
  writeFileSync(routes, good);
  dgateCli(['validate', 'shop'], {}, work);

  step('Compiling examples/shop into a versioned, content-hashed desired state');
  const yamlVersion = versionOf('examples/shop', work, 'shop-yaml');

  step('One config, many clusters: the targets of examples/regions and what each one gets');
  dgateCli(['targets', 'examples/regions']);
  dgateCli(['explain', 'route', 'shop/debug', 'examples/regions']);
  const out = path.join(work, 'compiled', 'regions');
  mkdirSync(out, { recursive: true });
  dgateCli(['compile', 'examples/regions', '--out-dir', out]);
  console.log(`one desired state per target: ${readdirSync(out).sort().join(', ')}`);

  step('YAML to Pkl and back: every form compiles to the same version');
  dgateCli(['convert', '--to', 'pkl', 'examples/shop', '--out', path.join(work, 'shop-pkl')]);
  const pklVersion = versionOf(path.join(work, 'shop-pkl'), work, 'shop-pkl');
  dgateCli(['convert', '--to', 'yaml', path.join(work, 'shop-pkl'), '--out', path.join(work, 'shop-back')]);
  const backVersion = versionOf(path.join(work, 'shop-back'), work, 'shop-back');
  if (yamlVersion !== pklVersion || yamlVersion !== backVersion)
    throw new Error(`the versions differ: YAML ${yamlVersion}, Pkl ${pklVersion}, back to YAML ${backVersion}`);
  console.log('YAML, Pkl and YAML again: one version');
}

async function livePart(binary, work) {
  const { startDgateNode, stopDgateNode } = await import('../dist/io/local-server.js');
  step('Starting a local dgate-server on loopback');
  const node = await startDgateNode({ binary });
  console.log(`admin API ${node.adminUrl}, proxy ${node.proxyUrl}`);
  // The examples read their secrets from the environment; the demo supplies throwaway values.
  const env = {
    DGATE_ADMIN_URL: node.adminUrl,
    STRIPE_KEY: 'sk_test_demo',
    DGATE_CLI_STATE_DIR: path.join(work, 'state'),
  };
  try {
    step('Planning examples/blog, trying it first on a throwaway dgate-server (its checks: through an echo upstream)');
    dgateCli(['plan', 'examples/blog', '--try'], { ...env, DGATE_SERVER_BIN: binary.path });
    step('Applying examples/blog');
    // --proxy: after applying, the routes' checks: are sent through this node's proxy (docs/try-and-converge.md).
    dgateCli(['apply', 'examples/blog', '--auto-approve', '--proxy', node.proxyUrl], env);

    step('A request through the gateway: the health module answers at the edge');
    await callGateway(node, 'blog.example.com', '/healthz');

    step('Changing the example (the module now reports a version) and applying again');
    const changed = path.join(work, 'blog');
    cpSync(path.join(root, 'examples/blog'), changed, { recursive: true });
    const modulePath = path.join(changed, 'modules/health.js');
    writeFileSync(
      modulePath,
      readFileSync(modulePath, 'utf8').replace("{ status: 'ok' }", "{ status: 'ok', version: 2 }"),
    );
    dgateCli(['plan', changed], env);
    dgateCli(['apply', changed, '--auto-approve', '--proxy', node.proxyUrl], env);
    await callGateway(node, 'blog.example.com', '/healthz');

    step('The release history, kept in the cluster');
    dgateCli(['history'], env);

    step('Rolling back to the first release');
    dgateCli(['rollback', '--auto-approve'], env);
    await callGateway(node, 'blog.example.com', '/healthz');

    step('Planning examples/shop against the same cluster (not applied)');
    dgateCli(['plan', 'examples/shop'], env);
  } finally {
    step('Stopping the local dgate-server');
    await stopDgateNode(node);
  }
}

async function main() {
  const { searchDgateServer, describeServer, waysToGetAServer } = await import('../dist/io/server-choice.js');
  const work = mkdtempSync(path.join(os.tmpdir(), 'dgate-cli-demo-'));
  try {
    offlinePart(work);
    step('Finding dgate-server (installing it with go install if missing)');
    const search = await searchDgateServer({ install: true, log: (line) => console.log(line) });
    if ('missing' in search) {
      console.log(`\nNo dgate-server: ${search.missing}.`);
      console.log(
        'The live part (plan, apply, a request through the gateway, rollback) was skipped. To run it, get a dgate-server:',
      );
      for (const way of waysToGetAServer) console.log(`  - ${way}`);
      console.log('then run `npm start` again.');
      return 0;
    }
    console.log(`using ${describeServer(search.found)}`);
    await livePart(search.found, work);
    return 0;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  process.exitCode = await main();
} catch (err) {
  // A dgate-cli step that failed has already printed its own error.
  process.exitCode = await renderThrown(
    err.status !== undefined ? new Error(`demo stopped: ${err.message.split('\n')[0]}`) : err,
    'demo',
  );
}
