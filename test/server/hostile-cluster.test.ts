import { access, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminPut } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

const node = useOwnDgateNode();
const temps = useTempDirs();

describe('credentials written into an admin URL', () => {
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
    expect(result.stderr).toContain(
      `error DG2007: the admin URL 'http://***@${node().adminUrl.slice('http://'.length)}' (--admin) has credentials written into it`,
    );
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
      [
        'version: v1',
        'targets:',
        `  - name: prod`,
        `    admin: ["${withCredentials()}"]`,
        'namespaces:',
        '  - name: ns',
        '',
      ].join('\n'),
    );
    for (const args of [
      ['plan', dir],
      ['apply', dir, '--auto-approve'],
      ['targets', dir],
      ['compile', dir],
    ]) {
      const result = await dgateCli(args);
      expectRefusedQuietly(result);
      expect(result.stderr).toMatch(
        /config\.yaml:4:\d+: error DG1711: admin URL 1 of target 'prod' has credentials written into it/,
      );
    }
  });
});

describe('terminal escape sequences in names on the cluster', () => {
  const red = '\u001b[31mred';
  const clear = '\u009b2Jclear';

  it('never reach the terminal through plan (human, markdown) or apply; every kind reads back without a shape error', async () => {
    const base = node().adminUrl;
    await adminPut(base, 'namespace', { name: 'esc' });
    await adminPut(base, 'namespace', { name: `${red}-ns` });
    await adminPut(base, 'service', { name: clear, namespace: 'esc', urls: ['http://127.0.0.1:1'] });
    await adminPut(base, 'route', { name: red, namespace: 'esc', paths: ['/red'], methods: ['GET'], service: clear });
    await adminPut(base, 'module', {
      name: 'm',
      namespace: 'esc',
      payload: Buffer.from(`export const colour = "${red}";\n`).toString('base64'),
    });
    await adminPut(base, 'domain', { name: 'd', namespace: 'esc', patterns: ['esc.example.com'], priority: 2 });
    await adminPut(base, 'collection', { name: 'c', namespace: 'esc', visibility: 'public', type: 'document' });
    await adminPut(base, 'document/doc?namespace=esc&collection=c', { title: red });
    await adminPut(base, 'secret', { name: 's', namespace: 'esc', data: 'x' });
    // The config keeps the module, under another source, and nothing else: the rest is planned as deletes.
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      [
        'version: v1',
        'namespaces:',
        '  - name: esc',
        '    modules:',
        '      - { name: m, source: "export const colour = 1;" }',
        '',
      ].join('\n'),
    );
    const env = { DGATE_ADMIN_URL: base, DGATE_CLI_STATE_DIR: dir };

    const human = await dgateCli(['plan', dir], { env });
    expect(human.stderr).toBe('');
    expect(human.code).toBe(0);
    expect(human.stdout).not.toMatch(/[\u001b\u009b]/);
    expect(human.stdout).toContain('- route "\\u001b[31mred"');
    expect(human.stdout).toContain('- service "\\u009b2Jclear"');
    expect(human.stdout).toContain('+export const colour = 1;');
    expect(human.stdout).toContain('-export const colour = "\\u001b[31mred";');
    expect(human.stdout).toContain('namespaces not in the config ("\\u001b[31mred-ns", default)');

    const markdown = await dgateCli(['plan', dir, '--format', 'markdown'], { env });
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).not.toMatch(/[\u001b\u009b]/);
    expect(markdown.stdout).toContain('`"esc/\\u001b[31mred"`');

    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
    expect(applied.stderr).not.toMatch(/[\u001b\u009b]/);
    expect(applied.stdout).not.toMatch(/[\u001b\u009b]/);
    expect(applied.stdout).toContain('delete route "esc/\\u001b[31mred"');
  });
});
