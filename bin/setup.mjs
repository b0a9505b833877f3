#!/usr/bin/env node
// Makes a fresh clone ready to run: installs npm dependencies when they are missing or older
// than package-lock.json, then builds dist/. Uses only Node built-ins, since it runs before
// anything is installed. dgate-server is found or installed later, by the harness that starts it.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function mtime(file) {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

/** Runs a step; on failure, one line that says which step and how it ended, never a stack trace. */
function stepOrExit(what, file, args) {
  try {
    execFileSync(file, args, { cwd: root, stdio: 'inherit' });
  } catch (err) {
    const how =
      err.status !== null && err.status !== undefined
        ? `exit code ${err.status}`
        : err.signal
          ? `signal ${err.signal}`
          : err.message;
    console.error(`setup: ${what} failed (${how}); its output is above`);
    process.exit(1);
  }
}

const installed = path.join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || mtime(path.join(root, 'package-lock.json')) > mtime(installed)) {
  console.error('setup: installing npm dependencies (npm ci) ...');
  stepOrExit('npm ci', npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
}

console.error('setup: building dist/ ...');
stepOrExit('building dist/ (tsc)', process.execPath, [
  path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
  '-p',
  'tsconfig.build.json',
]);
stepOrExit('bundling dist/ for bin/dgate-cli (bin/bundle.mjs)', process.execPath, [
  path.join(root, 'bin', 'bundle.mjs'),
]);

// The canary checks.prometheus tests (test/server/canary-prometheus.test.ts) run a real Prometheus.
// Found as the harness finds it (bin/find-prometheus.mjs); when none is there and go is, installed
// with go install (minutes: it is a large build).
const { findPrometheus, goBinDir, prometheusModule } = await import('./find-prometheus.mjs');
if (!findPrometheus()) {
  if (goBinDir() === undefined) {
    console.error(
      `setup: prometheus is not installed and go is not on PATH; the checks.prometheus tests will fail until it is (go install ${prometheusModule}, or set PROMETHEUS_BIN)`,
    );
  } else {
    console.error(
      `setup: installing prometheus for the checks.prometheus tests (go install ${prometheusModule}; several minutes) ...`,
    );
    try {
      execFileSync('go', ['install', prometheusModule], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      console.error(
        'setup: go install of prometheus failed (its output is above); the checks.prometheus tests will fail until it is installed',
      );
    }
  }
}
