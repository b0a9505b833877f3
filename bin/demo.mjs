#!/usr/bin/env node
// The README's run command (`npm start`): starts a local dgate-server on loopback and shows the
// whole job on the examples, step by step: validate, compile, plan, apply, a request through the
// gateway, a change applied, the history, a rollback; then stops the server.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { resolveDgateServer, startDgateNode, stopDgateNode } from '../dist/io/local-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'dgate-cli');
const step = (text) => console.log(`\n==> ${text}`);

function dgateCli(args, env = {}) {
  console.log(`$ dgate-cli ${args.join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

async function callGateway(node, host, urlPath) {
  const res = await request(`${node.proxyUrl}${urlPath}`, { headers: { host } });
  const body = await res.body.text();
  console.log(`$ curl -H 'Host: ${host}' ${node.proxyUrl}${urlPath}\n${res.statusCode} ${body}`);
}

step('Finding dgate-server (installing it with go install if missing)');
const binary = await resolveDgateServer({ install: true, log: (line) => console.log(line) });
console.log(`using ${binary.path} (${binary.version})`);

step('Starting a local dgate-server on loopback');
const node = await startDgateNode({ binary });
console.log(`admin API ${node.adminUrl}, proxy ${node.proxyUrl}`);

const work = mkdtempSync(path.join(os.tmpdir(), 'dgate-cli-demo-'));
// The examples read their secrets from the environment; the demo supplies throwaway values.
const env = { DGATE_ADMIN_URL: node.adminUrl, STRIPE_KEY: 'sk_test_demo', DGATE_CLI_STATE_DIR: path.join(work, 'state') };
let failed = false;
try {
  const examples = readdirSync(path.join(root, 'examples'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `examples/${e.name}`)
    .sort();
  for (const example of examples) {
    step(`Validating and compiling ${example}`);
    dgateCli(['validate', example]);
    // One desired state per target (examples/regions has four; the others, one: default.json).
    const out = path.join(work, 'compiled', path.basename(example));
    mkdirSync(out, { recursive: true });
    dgateCli(['compile', example, '--out-dir', out]);
  }

  step('Planning and applying examples/blog');
  dgateCli(['plan', 'examples/blog'], env);
  dgateCli(['apply', 'examples/blog', '--auto-approve'], env);

  step('A request through the gateway: the health module answers at the edge');
  await callGateway(node, 'blog.example.com', '/healthz');

  step('Changing the example (the module now reports a version) and applying again');
  const changed = path.join(work, 'blog');
  cpSync(path.join(root, 'examples/blog'), changed, { recursive: true });
  const modulePath = path.join(changed, 'modules/health.js');
  writeFileSync(modulePath, readFileSync(modulePath, 'utf8').replace("{ status: 'ok' }", "{ status: 'ok', version: 2 }"));
  dgateCli(['plan', changed], env);
  dgateCli(['apply', changed, '--auto-approve'], env);
  await callGateway(node, 'blog.example.com', '/healthz');

  step('The release history, kept in the cluster');
  dgateCli(['history'], env);

  step('Rolling back to the first release');
  dgateCli(['rollback', '--auto-approve'], env);
  await callGateway(node, 'blog.example.com', '/healthz');

  step('Planning examples/shop against the same cluster (not applied)');
  dgateCli(['plan', 'examples/shop'], env);
} catch (err) {
  failed = true;
  console.error(`\ndemo failed: ${err.message}`);
} finally {
  step('Stopping the local dgate-server');
  await stopDgateNode(node);
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
