import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';

describe('bundle authoring tools', () => {
  const temps = useTempDirs();

  it('every shipped bundle lints clean and passes its golden cases', async () => {
    const dirs = (await readdir(path.join(repoRoot, 'bundles'), { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => path.join('bundles', d.name));
    expect(dirs.length).toBeGreaterThanOrEqual(3);
    for (const dir of dirs) {
      const lint = await dgateCli(['bundle', 'lint', dir]);
      expect(lint.code, `${dir}: ${lint.stderr}`).toBe(0);
      expect(lint.stderr, dir).toBe('');
      const test = await dgateCli(['bundle', 'test', dir], { env: { DGATE_SERVER_BIN: inject('dgateServerBin') } });
      expect(test.code, `${dir}: ${test.stdout}`).toBe(0);
    }
  });

  it('init scaffolds a bundle that lints, and whose case passes once its golden output is written', async () => {
    const work = await temps.make();
    expect((await dgateCli(['bundle', 'init', 'greeting'], { cwd: work })).code).toBe(0);
    const dir = path.join(work, 'greeting');
    expect((await dgateCli(['bundle', 'lint', dir])).code).toBe(0);
    const missing = await dgateCli(['bundle', 'test', dir]);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('✗ basic: tests/basic.expected.json is missing (write it with --update)');
    expect((await dgateCli(['bundle', 'test', dir, '--update'])).code).toBe(0);
    expect((await dgateCli(['bundle', 'test', dir])).stdout).toBe('✓ basic\n');
    // A change to the module shows as a diff of its source, and fails.
    await editFile(path.join(dir, 'modules/hello.ts'), 'greeting: PARAMS.greeting', 'greeting: PARAMS.greeting.toUpperCase()');
    const changed = await dgateCli(['bundle', 'test', dir]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('toUpperCase()');
    const docs = await dgateCli(['bundle', 'docs', dir]);
    expect(docs.stdout).toContain('| `greeting` | string | `"hello"` | What the module answers. |');
    expect((await dgateCli(['bundle', 'init', 'greeting'], { cwd: work })).stderr).toMatch(/^error DG0005: cannot create 'greeting': EEXIST/);
  });

  it('lint finds unused and undeclared parameters, and secret slots that leak into other fields or modules', async () => {
    const work = await temps.make();
    await dgateCli(['bundle', 'init', 'leaky'], { cwd: work });
    const dir = path.join(work, 'leaky');
    await editFile(path.join(dir, 'bundle.yaml'), '    greeting:', '    token: { sensitive: true }\n    unused: { type: string }\n    greeting:');
    await editFile(path.join(dir, 'resources.yaml'), 'paths: [{ param: path }]', 'paths: [{ param: path }, { param: token }, { param: typo }]');
    const module = path.join(dir, 'modules/hello.ts');
    await writeFile(module, (await readFile(module, 'utf8')).replace('PARAMS.greeting', 'PARAMS.greeting + PARAMS.token'));
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(/resources\.yaml:9:\d+: error DG1806: sensitive parameter 'token' fills routes\.0\.paths\.1, which is not a secret's value or a domain's key/);
    expect(lint.stderr).toMatch(/resources\.yaml:9:\d+: error DG1805: '\{ param: typo \}' names no parameter of the bundle/);
    expect(lint.stderr).toMatch(/modules\/hello\.ts:4:1: error DG1806: modules\/hello\.ts reads sensitive parameter 'token' from PARAMS/);
    expect(lint.stderr).toMatch(/bundle\.yaml:\d+:\d+: warning DG1805: parameter 'unused' is declared but never used/);
  });

  it('sends a case\'s requests through a real dgate-server, and says which answer differs', async () => {
    const work = await temps.make();
    await dgateCli(['bundle', 'init', 'live'], { cwd: work });
    const dir = path.join(work, 'live');
    const env = { DGATE_SERVER_BIN: inject('dgateServerBin') };
    const write = (greeting: string) =>
      writeFile(path.join(dir, 'tests/live.yaml'), `with: { path: /hello }\nrequests:\n  - { path: /hello, expect: { status: 200, json: { greeting: ${greeting} } } }\n  - { path: /nowhere, expect: { status: 404 } }\n`);
    await write('bye');
    const wrong = await dgateCli(['bundle', 'test', dir, '--update'], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/✗ live: against a real dgate-server\n {4}GET \/hello: body \{"greeting":"hello"\} does not contain \{"greeting":"bye"\}/);
    await write('hello');
    const right = await dgateCli(['bundle', 'test', dir, '--update'], { env });
    expect(right.code, right.stdout + right.stderr).toBe(0);
    expect(right.stdout).toContain('✓ live: wrote tests/live.expected.json (2 requests answered as expected)');
  });
});
