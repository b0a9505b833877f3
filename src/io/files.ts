import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DgateError } from '../errors/dgate-error.js';
import type { FileEntry, FileTable } from '../compile/file-refs.js';
import type { ConfigSource } from '../load/parse-yaml.js';

export interface ConfigInput {
  /** Absolute path of the config root: the directory given, or the directory of the file given. */
  root: string;
  sources: ConfigSource[];
}

const configExtensions = new Set(['.yaml', '.yml', '.pkl']);
const skippedDirectories = new Set(['node_modules']);

/**
 * Reads a config: one file, or every *.yaml / *.yml / *.pkl below a directory (hidden
 * directories and node_modules excepted). `path` in each source is relative to `cwd`, for messages.
 */
export async function readConfigSources(input: string, cwd: string = process.cwd()): Promise<ConfigInput> {
  const absolute = path.resolve(cwd, input);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) {
    throw new DgateError({ code: 'DG0002', message: `config path '${input}' does not exist`, hint: 'name a config file or a directory of *.yaml files' });
  }
  const root = info.isDirectory() ? absolute : path.dirname(absolute);
  const files = info.isDirectory() ? await listConfigFiles(root) : [absolute];
  if (files.length === 0) {
    throw new DgateError({ code: 'DG0003', message: `no *.yaml, *.yml or *.pkl files in '${input}'`, hint: 'a config directory holds YAML files that start with "version: v1", or Pkl modules that amend "modulepath:/dgate/Config.pkl"' });
  }
  const sources = await Promise.all(
    files.map(async (file) => ({
      path: path.relative(cwd, file) || path.basename(file),
      rel: path.relative(root, file).split(path.sep).join('/'),
      text: await readText(file, input),
    })),
  );
  return { root, sources };
}

async function readText(file: string, input: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new DgateError({ code: 'DG0004', message: `cannot read '${file}' (from '${input}'): ${(err as NodeJS.ErrnoException).code ?? String(err)}`, hint: 'check the file permissions', cause: err });
  }
}

async function listConfigFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirectories.has(entry.name)) out.push(...(await listConfigFiles(full)));
    } else if (entry.isFile() && configExtensions.has(path.extname(entry.name).toLowerCase())) {
      out.push(full);
    }
  }
  return out.sort();
}

/** Reads the files a config references (paths relative to the root), noting the ones that are not there. */
export async function readReferencedFiles(root: string, rels: readonly string[]): Promise<FileTable> {
  const realRoot = await realpath(root);
  const entries = await Promise.all(rels.map(async (rel) => [rel, await readEntry(realRoot, path.join(root, rel))] as const));
  return new Map(entries);
}

async function readEntry(realRoot: string, file: string): Promise<FileEntry> {
  const real = await realpath(file).catch(() => undefined);
  if (!real) return { status: 'missing' };
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) return { status: 'outside-root' };
  const info = await stat(real);
  if (!info.isFile()) return { status: 'not-a-file' };
  return { status: 'ok', bytes: new Uint8Array(await readFile(real)) };
}
