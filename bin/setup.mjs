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

const installed = path.join(root, 'node_modules', '.package-lock.json');
if (!existsSync(installed) || mtime(path.join(root, 'package-lock.json')) > mtime(installed)) {
  console.error('setup: installing npm dependencies (npm ci) ...');
  execFileSync(npm, ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, stdio: 'inherit' });
}

console.error('setup: building dist/ ...');
execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
  cwd: root,
  stdio: 'inherit',
});
