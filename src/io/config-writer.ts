import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DgateError } from '../errors/dgate-error.js';

const configExtensions = new Set(['.yaml', '.yml', '.pkl']);

/** Refuses a directory that already holds config files: init and convert never overwrite a config. */
export async function assertNoConfigIn(dir: string, shown: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const taken = entries.filter((e) => e.isFile() && configExtensions.has(path.extname(e.name).toLowerCase()));
  if (taken.length > 0) {
    throw new DgateError({
      code: 'DG0005',
      message: `'${shown}' already holds a config (${taken
        .map((e) => e.name)
        .sort()
        .join(', ')})`,
      hint: 'name an empty or new directory',
    });
  }
}

/** Writes files (paths relative to `dir`), creating directories as needed. */
export async function writeFiles(dir: string, files: ReadonlyMap<string, string>): Promise<void> {
  for (const [rel, text] of files) {
    const file = path.join(dir, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, text);
  }
}

/**
 * Every file under `root` that is not a config file (module sources, certificates, the bundle
 * lock), relative to the root; hidden directories and node_modules are skipped, as when reading.
 */
export async function listSupportFiles(root: string, dir: string = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules') out.push(...(await listSupportFiles(root, full)));
    } else if (entry.isFile() && !configExtensions.has(path.extname(entry.name).toLowerCase())) {
      out.push(path.relative(root, full).split(path.sep).join('/'));
    }
  }
  return out.sort();
}

/** Copies files (relative paths) from one root to another. */
export async function copySupportFiles(from: string, to: string, rels: readonly string[]): Promise<void> {
  for (const rel of rels) {
    const target = path.join(to, rel);
    await mkdir(path.dirname(target), { recursive: true });
    await copyFile(path.join(from, rel), target);
  }
}
