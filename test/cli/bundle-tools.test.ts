import { readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';

describe('bundle authoring tools', () => {
  const temps = useTempDirs();

  // One test per bundle: each runs the CLI twice, and together they outlast one test's time limit on a busy machine.
  const shipped = readdirSync(path.join(repoRoot, 'bundles'), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => path.join('bundles', d.name));

  it('ships the bundles the docs name', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(3);
  });

  it.each(shipped)('%s lints clean and passes its golden cases', async (dir) => {
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code, `${dir}: ${lint.stderr}`).toBe(0);
    expect(lint.stderr, dir).toBe('');
    const test = await dgateCli(['bundle', 'test', dir, '--no-requests']);
    expect(test.code, `${dir}: ${test.stdout}`).toBe(0);
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
    await editFile(
      path.join(dir, 'modules/hello.ts'),
      'greeting: PARAMS.greeting',
      'greeting: PARAMS.greeting.toUpperCase()',
    );
    const changed = await dgateCli(['bundle', 'test', dir]);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toContain('toUpperCase()');
    const docs = await dgateCli(['bundle', 'docs', dir]);
    expect(docs.stdout).toContain('| `greeting` | string | `"hello"` | What the module answers. |');
    expect((await dgateCli(['bundle', 'init', 'greeting'], { cwd: work })).stderr).toMatch(
      /^error DG0005: cannot create 'greeting': EEXIST/,
    );
  });

  it('lint finds unused and undeclared parameters, and secret slots that leak into other fields or modules', async () => {
    const work = await temps.make();
    await dgateCli(['bundle', 'init', 'leaky'], { cwd: work });
    const dir = path.join(work, 'leaky');
    await editFile(
      path.join(dir, 'bundle.yaml'),
      '    greeting:',
      '    token: { sensitive: true }\n    unused: { type: string }\n    greeting:',
    );
    await editFile(
      path.join(dir, 'resources.yaml'),
      'paths: [{ param: path }]',
      'paths: [{ param: path }, { param: token }, { param: typo }]',
    );
    const module = path.join(dir, 'modules/hello.ts');
    await writeFile(
      module,
      (await readFile(module, 'utf8')).replace('PARAMS.greeting', 'PARAMS.greeting + PARAMS.token'),
    );
    const lint = await dgateCli(['bundle', 'lint', dir]);
    expect(lint.code).toBe(1);
    expect(lint.stderr).toMatch(
      /resources\.yaml:9:\d+: error DG1806: sensitive parameter 'token' fills routes\.0\.paths\.1, which is not a secret's value or a domain's key/,
    );
    expect(lint.stderr).toMatch(
      /resources\.yaml:9:\d+: error DG1805: '\{ param: typo \}' names no parameter of the bundle/,
    );
    expect(lint.stderr).toMatch(
      /modules\/hello\.ts:4:1: error DG1806: modules\/hello\.ts reads sensitive parameter 'token' from PARAMS/,
    );
    expect(lint.stderr).toMatch(/bundle\.yaml:\d+:\d+: warning DG1805: parameter 'unused' is declared but never used/);
  });

  it('a case with requests needs a dgate-server: without one it says so, and --no-requests compares the golden output only', async () => {
    const work = await temps.make();
    await dgateCli(['bundle', 'init', 'live'], { cwd: work });
    const dir = path.join(work, 'live');
    await writeFile(
      path.join(dir, 'tests/live.yaml'),
      'with: { path: /hello }\nrequests:\n  - { path: /hello, expect: { status: 200 } }\n',
    );
    const none = await dgateCli(['bundle', 'test', dir, '--update'], {
      env: { DGATE_SERVER_BIN: path.join(work, 'no-such-dgate-server') },
    });
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(
      /^error DG0004: tests\/live\.yaml sends requests, which need a dgate-server: DGATE_SERVER_BIN names '.*no-such-dgate-server', which is not an executable file\n {2}hint: set DGATE_SERVER_BIN to a dgate-server binary, or run with --no-requests/m,
    );
    expect(none.stderr).not.toMatch(/\n\s+at /);
    const golden = await dgateCli(['bundle', 'test', dir, '--update', '--no-requests'], {
      env: { DGATE_SERVER_BIN: path.join(work, 'no-such-dgate-server') },
    });
    expect(golden.code, golden.stderr).toBe(0);
    expect(golden.stdout).toContain('✓ live: wrote tests/live.expected.json (1 requests not sent: --no-requests)');
  });
});
