import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dgateCli } from '../harness/cli.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

/** A scratch directory holding `files` (relative path → text) and `links` (relative path → link target, as written). */
async function scratch(files: Record<string, string>, links: Record<string, string> = {}): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-links-'));
  temps.push(dir);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  for (const [rel, target] of Object.entries(links)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await symlink(target, path.join(dir, rel));
  }
  return dir;
}

const namespace = (name: string) => `version: v1\nnamespaces:\n  - name: ${name}\n`;

describe('symbolic links in a config directory', () => {
  it('reads a linked *.yaml that stays inside the root, even when it is the only file', async () => {
    const dir = await scratch(
      { 'gw/.store/config.yaml': namespace('shop') },
      { 'gw/config.yaml': '.store/config.yaml' },
    );
    const result = await dgateCli(['validate', 'gw'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('✓ gw is valid: 1 namespace, 0 resources in 1 file\n');
  });

  it('reads the files of a linked directory inside the root, named by the link', async () => {
    const service =
      'version: v1\nnamespaces:\n  - name: a\n    services:\n      - { name: api, urls: ["http://127.0.0.1:9/"] }\n';
    const dir = await scratch(
      { 'gw/a.yaml': namespace('a'), 'gw/.shared/b.yaml': service },
      { 'gw/linked': '.shared' },
    );
    const valid = await dgateCli(['validate', 'gw'], { cwd: dir });
    expect(valid.stderr).toBe('');
    expect(valid.stdout).toBe('✓ gw is valid: 1 namespace, 1 resource in 2 files\n');
    await writeFile(path.join(dir, 'gw/.shared/b.yaml'), service.replace('urls:', 'urlz:'));
    const invalid = await dgateCli(['validate', 'gw'], { cwd: dir });
    expect(invalid.stderr).toMatch(/^gw\/linked\/b\.yaml:5:\d+: error DG10\d\d: /);
  });

  it('reports a linked file outside the root (DG1110) at the link, instead of finding no files', async () => {
    const dir = await scratch(
      { 'shared/config.yaml': namespace('shop') },
      { 'gw/config.yaml': '../shared/config.yaml' },
    );
    const result = await dgateCli(['validate', 'gw'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).not.toMatch(/DG0003/);
    expect(result.stderr).toMatch(
      /^gw\/config\.yaml:1:1: error DG1110: 'config\.yaml' is a symbolic link to a file outside the config root \(.*shared\/config\.yaml\), so it is not read\n {2}hint: copy the file into the config directory instead of linking to it\n/,
    );
  });

  it('reports a linked directory outside the root (DG1110), and reads the rest', async () => {
    const dir = await scratch(
      { 'gw/a.yaml': namespace('a'), 'elsewhere/b.yaml': namespace('b') },
      { 'gw/more': '../elsewhere' },
    );
    const result = await dgateCli(['validate', '.', '--format', 'json'], { cwd: path.join(dir, 'gw') });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toMatchObject([
      {
        code: 'DG1110',
        severity: 'error',
        file: 'more',
        line: 1,
        col: 1,
        message: expect.stringMatching(/^'more' is a symbolic link to a directory outside the config root/),
      },
    ]);
  });

  it('reports a broken link, a link that loops, and a directory linked into itself (DG0004)', async () => {
    const dir = await scratch(
      { 'gw/a.yaml': namespace('a') },
      { 'gw/gone.yaml': 'nowhere.yaml', 'gw/loop.yaml': 'loop.yaml', 'gw/sub/up': '..', 'gw/notes': 'missing-dir' },
    );
    const result = await dgateCli(['validate', '.'], { cwd: path.join(dir, 'gw') });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      [
        "gone.yaml:1:1: error DG0004: 'gone.yaml' is a symbolic link to a path that does not exist, so it is not read",
        '  hint: fix the link, or remove it',
        "loop.yaml:1:1: error DG0004: 'loop.yaml' is a symbolic link that loops, so it is not read",
        '  hint: point the link at a file or directory inside the config root, or remove it',
        // Not named as a config file: said, but not an error.
        "notes:1:1: warning DG0004: 'notes' is a symbolic link to a path that does not exist, so it is not read",
        '  hint: fix the link, or remove it',
        "sub/up:1:1: error DG0004: 'up' is a symbolic link to a directory that contains it, so it is not read (it would be read without end)",
        '  hint: point the link at a directory that does not contain it, or remove it',
        '✗ .: 3 errors, 1 warning in 1 file',
        '',
      ].join('\n'),
    );
  });

  it('says there are no config files when only a broken link of another name is there, and names the link', async () => {
    const dir = await scratch({}, { 'gw/notes': 'missing-dir' });
    const result = await dgateCli(['validate', 'gw'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error DG0003: no \*\.yaml, \*\.yml or \*\.pkl files in 'gw'\n.*\ngw\/notes:1:1: warning DG0004: 'notes' is a symbolic link to a path that does not exist/,
    );
  });

  it('reads a linked Pkl module inside the root', async () => {
    const dir = await scratch(
      { 'gw/.modules/shop.pkl': 'amends "modulepath:/dgate/Config.pkl"\n\nnamespaces { new { name = "shop" } }\n' },
      { 'gw/shop.pkl': '.modules/shop.pkl' },
    );
    const result = await dgateCli(['validate', 'gw'], { cwd: dir });
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('✓ gw is valid: 1 namespace, 0 resources in 1 file\n');
  });
});
