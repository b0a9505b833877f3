import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { lockFileName, lockFormat, versionOfTag, type LockFile } from '../bundles/lockfile.js';
import { DgateError } from '../errors/dgate-error.js';

/** The bundles shipped with dgate-cli: the repository's bundles/ directory. */
export function builtinBundlesDir(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bundles');
}

/** Every file of a bundle directory (but .git and node_modules), by path relative to it. */
export async function readBundleFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  const walk = async (sub: string) => {
    let entries: Dirent[];
    try {
      entries = await readdir(path.join(dir, sub), { withFileTypes: true });
    } catch (err) {
      throw new DgateError({
        code: 'DG1808',
        message: `cannot read the bundle directory ${path.join(dir, sub)}: ${(err as NodeJS.ErrnoException).code}`,
        hint: 'check the bundle source, then run `dgate-cli bundle update`',
      });
    }
    for (const e of entries) {
      if (e.name === '.git' || e.name === 'node_modules') continue;
      const rel = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.isFile()) out.set(rel, await readFile(path.join(dir, rel)));
    }
  };
  await walk('');
  return out;
}

/** `git+file:///x` → `file:///x`: the URL git itself takes. */
export function gitUrlOf(source: string): string {
  return source.replace(/^git\+/, '');
}

export function isGitSource(source: string): boolean {
  return /^git\+(file|https?|ssh):\/\//.test(source);
}

/** The semver tags of a git repository: version → tag. */
export async function gitVersions(source: string): Promise<Map<string, string>> {
  let listing: string;
  try {
    listing = await simpleGit().listRemote(['--tags', gitUrlOf(source)]);
  } catch (err) {
    throw new DgateError({
      code: 'DG1808',
      message: `cannot list the tags of ${source}: ${(err as Error).message.split('\n')[0]}`,
      hint: 'check the URL and that the repository is reachable from here',
    });
  }
  const out = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const ref = line.split('\t')[1];
    if (!ref?.startsWith('refs/tags/') || ref.endsWith('^{}')) continue;
    const tag = ref.slice('refs/tags/'.length);
    const version = versionOfTag(tag);
    if (version) out.set(version, tag);
  }
  return out;
}

/** Copies the tree of `tag` into `dest` (replacing it) and returns the tag's commit. */
export async function vendorGitTag(source: string, tag: string, dest: string): Promise<string> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-bundle-'));
  try {
    await simpleGit().clone(gitUrlOf(source), tmp, ['--depth', '1', '--branch', tag, '--quiet']);
    const commit = (await simpleGit({ baseDir: tmp }).revparse(['HEAD'])).trim();
    await rm(path.join(tmp, '.git'), { recursive: true, force: true });
    await rm(dest, { recursive: true, force: true });
    await mkdir(path.dirname(dest), { recursive: true });
    await cp(tmp, dest, { recursive: true });
    return commit;
  } catch (err) {
    if (err instanceof DgateError) throw err;
    throw new DgateError({
      code: 'DG1808',
      message: `cannot fetch ${source} at ${tag}: ${(err as Error).message.split('\n')[0]}`,
      hint: 'check the URL and the tag',
    });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function readLock(root: string): Promise<LockFile | null> {
  let text: string;
  try {
    text = await readFile(path.join(root, lockFileName), 'utf8');
  } catch {
    return null;
  }
  try {
    const lock = JSON.parse(text) as LockFile;
    if (lock.format !== lockFormat || typeof lock.bundles !== 'object') throw new Error('not a lock file');
    return lock;
  } catch (err) {
    throw new DgateError({
      code: 'DG1801',
      message: `${path.join(root, lockFileName)} cannot be read: ${(err as Error).message}`,
      hint: 'run `dgate-cli bundle update` to write it again',
    });
  }
}

export async function writeLock(root: string, lock: LockFile): Promise<void> {
  const sorted = {
    format: lock.format,
    bundles: Object.fromEntries(Object.entries(lock.bundles).sort(([a], [b]) => (a < b ? -1 : 1))),
  };
  await writeFile(path.join(root, lockFileName), `${JSON.stringify(sorted, null, 2)}\n`);
}
