#!/usr/bin/env node
// The README's test command (`npm test`, after bin/setup.mjs): type-checks, finds a dgate-server
// (installing the pinned one with go install when it can), then runs the tests.
// - A server is found: every test runs, both vitest projects (offline and server).
// - None, on a developer's machine: the offline project runs, and one closing line says how many
//   real-server tests were skipped, why, and how to run them.
// - None, and CI=true or DGATE_REQUIRE_SERVER=1 (or DGATE_SERVER_BIN names no binary): the run
//   fails with that same line, so CI never lands untested code.
// - CI=true and no prometheus (bin/find-prometheus.mjs) for the checks.prometheus tests: the run fails.
// Before the tests: tsc --noEmit and `biome ci` (format + lint; `npm run format` fixes).
// Extra arguments go to vitest (e.g. `npm test -- test/unit`).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderThrown } from './render-error.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const vitestBin = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const tscBin = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const biomeBin = path.join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome');
const passThrough = process.argv.slice(2);

function node(args, env = {}) {
  return (
    spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1
  );
}

/** How many tests the server project holds, from vitest's own listing (collection only, no server). */
function countServerTests() {
  const res = spawnSync(process.execPath, [vitestBin, 'list', '--project', 'server', '--json'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, DGATE_TEST_LIST_ONLY: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  try {
    return JSON.parse(res.stdout).length;
  } catch {
    return undefined;
  }
}

async function main() {
  const { searchDgateServer, chooseServerUse, skippedServerLine, requiredServerLine, describeServer } = await import(
    '../dist/io/server-choice.js'
  );

  const search = await searchDgateServer({ install: true, log: (line) => console.error(`test: ${line}`) });
  const choice = chooseServerUse(search, process.env);
  if (choice.mode === 'fail') {
    console.error(`\n${requiredServerLine(choice.reason, process.env)}`);
    return 1;
  }

  // The canary checks.prometheus tests need a real Prometheus: under CI, its absence fails the run
  // here, in one line; elsewhere those tests fail with how to get it.
  if (choice.mode === 'run' && process.env.CI === 'true') {
    const { findPrometheus, prometheusModule } = await import('./find-prometheus.mjs');
    if (!findPrometheus()) {
      console.error(
        `\ntest: prometheus is not installed, and CI=true: the canary checks.prometheus tests need it (go install ${prometheusModule}, bin/setup.mjs does so when go is on PATH; or set PROMETHEUS_BIN)`,
      );
      return 1;
    }
  }
  console.error('test: type-checking ...');
  if (node([tscBin, '-p', 'tsconfig.json', '--noEmit']) !== 0) return 1;
  // Formatting and lint rules are part of the suite: `npm run format` fixes what they find.
  console.error('test: checking format and lint (biome) ...');
  if (node([biomeBin, 'ci', '--reporter=summary']) !== 0) return 1;
  if (choice.mode === 'run') {
    console.error(`test: real-server tests use ${describeServer(choice.binary)}`);
    return node([vitestBin, 'run', ...passThrough], {
      DGATE_SERVER_BIN: choice.binary.path,
      DGATE_TEST_SERVER: describeServer(choice.binary),
    });
  }
  const skipped = countServerTests();
  const line = skippedServerLine(skipped, choice.reason);
  console.error(`test: ${line}`);
  return node([vitestBin, 'run', '--project', 'offline', ...passThrough], {
    DGATE_TEST_SKIPPED_LINE: line,
    DGATE_TEST_SKIPPED_COUNT: String(skipped ?? 0),
  });
}

try {
  process.exitCode = await main();
} catch (err) {
  process.exitCode = await renderThrown(err, 'test');
}
