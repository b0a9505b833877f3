import { readdirSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';

// bundle test starts a dgate-server of its own for each case with requests: one bundle per test,
// so that no test holds several of those starts within its time limit on a busy machine.
const shipped = readdirSync(path.join(repoRoot, 'bundles'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => path.join('bundles', d.name));

describe('bundle test, against a real dgate-server', () => {
  const temps = useTempDirs();

  it('ships the bundles the docs name', () => {
    expect(shipped.length).toBeGreaterThanOrEqual(3);
  });

  it.each(shipped)('%s passes its golden and request cases against a real dgate-server', async (dir) => {
    const test = await dgateCli(['bundle', 'test', dir], { env: { DGATE_SERVER_BIN: inject('dgateServerBin') } });
    expect(test.code, `${dir}: ${test.stdout}`).toBe(0);
    const cases = await readdir(path.join(repoRoot, dir, 'tests'));
    if (cases.includes('requests.yaml'))
      expect(test.stdout, dir).toMatch(/✓ requests \(\d+ requests answered as expected\)/);
  });

  it("sends a case's requests through a real dgate-server, and says which answer differs", async () => {
    const work = await temps.make();
    await dgateCli(['bundle', 'init', 'live'], { cwd: work });
    const dir = path.join(work, 'live');
    const env = { DGATE_SERVER_BIN: inject('dgateServerBin') };
    const write = (greeting: string) =>
      writeFile(
        path.join(dir, 'tests/live.yaml'),
        `with: { path: /hello }\nrequests:\n  - { path: /hello, expect: { status: 200, json: { greeting: ${greeting} } } }\n  - { path: /nowhere, expect: { status: 404 } }\n`,
      );
    await write('bye');
    const wrong = await dgateCli(['bundle', 'test', dir, '--update'], { env });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(
      /✗ live: against a real dgate-server\n {4}GET \/hello: body \{"greeting":"hello"\} does not contain \{"greeting":"bye"\}/,
    );
    await write('hello');
    const right = await dgateCli(['bundle', 'test', dir, '--update'], { env });
    expect(right.code, right.stdout + right.stderr).toBe(0);
    expect(right.stdout).toContain('✓ live: wrote tests/live.expected.json (2 requests answered as expected)');
    // Four dgate-server starts (init's case and this one, twice): a limit of its own.
  }, 180_000);
});
