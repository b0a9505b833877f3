import { cp, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';
import { writePklCors } from '../harness/pkl-bundles.js';

describe('bundles written in Pkl', () => {
  const temps = useTempDirs();

  it("a Pkl port of cors lints clean and passes the YAML bundle's golden cases unchanged", async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code, lint.stderr).toBe(0);
    expect(lint.stdout).toContain('cors@1.0.0');
    // tests/basic.expected.json was written for the YAML bundle: the same bytes must come out.
    const test = await dgateCli(['bundle', 'test', dir, '--no-requests']);
    expect(test.stdout).toBe('✓ basic\n✓ requests (2 requests not sent: --no-requests)\n');
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
    expect(lint.stderr).toMatch(
      /resources\.pkl:20:15: error DG1602: expected value of type .*but got type `Int`; value: 42\n {2}hint: .*modulepath:\/dgate\/BundleResources\.pkl/,
    );
    expect(lint.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses `default` written as a Pkl member in parameters, where it would silently vanish', async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    await editFile(path.join(dir, 'bundle.pkl'), '["default"] = 600', 'default = 600');
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(
      /bundle\.pkl:\d+:7: error DG1612: 'default' inside parameters\.properties\.maxAgeSeconds is Pkl's own default member, not a JSON key: its value would be dropped\n {2}hint: write the key as an entry: \["default"\] = value/,
    );
  });

  it('names an undeclared parameter as the Pkl file spells it, at its line', async () => {
    const dir = await temps.make();
    await writePklCors(dir);
    await editFile(
      path.join(dir, 'resources.pkl'),
      'service = module.param("service")',
      'service = module.param("svc")',
    );
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(
      /resources\.pkl:14:\d+: error DG1805: 'module\.param\("svc"\)' names no parameter of the bundle\n {2}hint: declare 'svc' under parameters in bundle\.pkl/,
    );
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
    expect(env.stderr).toMatch(
      /resources\.pkl:11:12: error DG1604: reading environment variable 'HOME' is not allowed by the Pkl sandbox\n {2}hint: a bundle's Pkl sees no environment variables: take the value as a parameter of the bundle/,
    );

    const importing = await temps.make();
    await writePklCors(importing);
    await editFile(path.join(importing, 'resources.pkl'), 'name = "routes"', 'name = import("../outside.pkl").name');
    const outside = await dgateCli(['bundle', 'lint', importing]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toMatch(
      /resources\.pkl:11:12: error DG1603: import of '\.\.\/outside\.pkl' is not allowed by the Pkl sandbox\n {2}hint: a bundle's Pkl may import only pkl:, modulepath:\/dgate\/ and files inside the bundle directory/,
    );
  });

  it('init --format pkl scaffolds a Pkl bundle that compiles to what the YAML scaffold compiles to', async () => {
    const work = await temps.make();
    expect((await dgateCli(['bundle', 'init', 'hello', 'yaml-hello'], { cwd: work })).code).toBe(0);
    const init = await dgateCli(['bundle', 'init', 'hello', 'pkl-hello', '--format', 'pkl'], { cwd: work });
    expect(init.code, init.stderr).toBe(0);
    const files = (await readdir(path.join(work, 'pkl-hello'))).sort();
    expect(files).toEqual(['README.md', 'bundle.pkl', 'modules', 'resources.pkl', 'tests']);
    expect((await dgateCli(['bundle', 'lint', 'pkl-hello'], { cwd: work })).stderr).toBe('');
    for (const dir of ['yaml-hello', 'pkl-hello'])
      expect((await dgateCli(['bundle', 'test', dir, '--update'], { cwd: work })).code).toBe(0);
    expect(await readFile(path.join(work, 'pkl-hello/tests/basic.expected.json'), 'utf8')).toBe(
      await readFile(path.join(work, 'yaml-hello/tests/basic.expected.json'), 'utf8'),
    );
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
    // Golden cases only: the request cases of the YAML bundle run in test/server/bundle-requests.test.ts.
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
    const toYaml = await dgateCli([
      'convert',
      '--to',
      'yaml',
      path.join(work, 'pkl'),
      '--out',
      path.join(work, 'back'),
    ]);
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
