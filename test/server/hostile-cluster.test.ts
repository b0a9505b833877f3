import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

describe('credentials written into an admin URL', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const password = 'Pw-n0t-t0-b3-pr1nted';
  const withCredentials = () => node().adminUrl.replace('http://', `http://dgate:${password}@`);
  const expectRefusedQuietly = (result: { code: number; stdout: string; stderr: string }) => {
    expect(result.code).not.toBe(0);
    for (const text of [result.stdout, result.stderr]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(encodeURIComponent(password));
    }
  };

  it('--admin is refused before any request, and the password is printed nowhere (DG2007)', async () => {
    const dir = await temps.make();
    const out = path.join(dir, 'plan.json');
    const result = await dgateCli(['plan', 'examples/shop', '--admin', withCredentials(), '--out', out]);
    expectRefusedQuietly(result);
    expect(result.stderr).toContain(`error DG2007: the admin URL 'http://***@${node().adminUrl.slice('http://'.length)}' (--admin) has credentials written into it`);
    expect(result.stderr).toMatch(/hint: .*DGATE_ADMIN_USER and DGATE_ADMIN_PASSWORD/);
    await expect(access(out)).rejects.toThrow();
  });

  it('$DGATE_ADMIN_URL is refused the same way, by apply too', async () => {
    const env = { DGATE_ADMIN_URL: withCredentials() };
    const planned = await dgateCli(['plan', 'examples/shop'], { env });
    expectRefusedQuietly(planned);
    expect(planned.stderr).toContain('($DGATE_ADMIN_URL) has credentials written into it');
    const applied = await dgateCli(['apply', 'examples/shop', '--auto-approve'], { env });
    expectRefusedQuietly(applied);
    expect(applied.stderr).toContain('error DG2007');
    // Nothing reached the cluster.
    expect((await dgateCli(['get', 'namespaces', '--admin', node().adminUrl])).stdout).not.toContain('shop');
  });

  it('a target admin URL in the config is refused at its place in the file (DG1711)', async () => {
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      ['version: v1', 'targets:', `  - name: prod`, `    admin: ["${withCredentials()}"]`, 'namespaces:', '  - name: ns', ''].join('\n'),
    );
    for (const args of [['plan', dir], ['apply', dir, '--auto-approve'], ['targets', dir], ['compile', dir]]) {
      const result = await dgateCli(args);
      expectRefusedQuietly(result);
      expect(result.stderr).toMatch(/config\.yaml:4:\d+: error DG1711: admin URL 1 of target 'prod' has credentials written into it/);
    }
  });
});
