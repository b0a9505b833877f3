#!/usr/bin/env node
// The README's run command (`npm start`): starts a local dgate-server on loopback and runs
// dgate-cli on every example, printing each step, then stops the server.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDgateServer, startDgateNode, stopDgateNode } from '../dist/io/local-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'dgate-cli');
const step = (text) => console.log(`\n==> ${text}`);

function dgateCli(args, env = {}) {
  console.log(`$ dgate-cli ${args.join(' ')}`);
  execFileSync(process.execPath, [cli, ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
}

step('Finding dgate-server (installing it with go install if missing)');
const binary = await resolveDgateServer({ install: true, log: (line) => console.log(line) });
console.log(`using ${binary.path} (${binary.version})`);

step('Starting a local dgate-server on loopback');
const node = await startDgateNode({ binary });
console.log(`admin API ${node.adminUrl}, proxy ${node.proxyUrl}`);

let failed = false;
try {
  const examples = readdirSync(path.join(root, 'examples'), { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => `examples/${e.name}`)
    .sort();
  for (const example of examples) {
    step(`Validating ${example}`);
    dgateCli(['validate', example]);
    step(`Compiling ${example} into its desired state`);
    const stateDir = path.join(root, '.dgate-cli');
    mkdirSync(stateDir, { recursive: true });
    dgateCli(['compile', example, '--out', path.relative(root, path.join(stateDir, `${path.basename(example)}.state.json`))]);
  }
  // The examples read their secrets from the environment; a demo supplies throwaway values.
  const env = { DGATE_ADMIN_URL: node.adminUrl, STRIPE_KEY: 'sk_test_demo' };
  for (const example of examples) {
    step(`Planning ${example} against the local dgate-server`);
    dgateCli(['plan', example], env);
  }
} catch (err) {
  failed = true;
  console.error(`\ndemo failed: ${err.message}`);
} finally {
  step('Stopping the local dgate-server');
  await stopDgateNode(node);
}
process.exitCode = failed ? 1 : 0;
