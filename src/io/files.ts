import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { DgateError, type Diagnostic } from '../errors/dgate-error.js';
import type { FileEntry, FileTable } from '../compile/file-refs.js';
import type { ConfigSource } from '../load/parse-yaml.js';

export interface ConfigInput {
  /** Absolute path of the config root: the directory given, or the directory of the file given. */
  root: string;
  sources: ConfigSource[];
  /** Symbolic links in the config directory that are not read, each saying why (outside the root, broken, a loop). */
  diagnostics: Diagnostic[];
}

const configExtensions = new Set(['.yaml', '.yml', '.pkl']);
const skippedDirectories = new Set(['node_modules']);
const isConfigFileName = (name: string) => configExtensions.has(path.extname(name).toLowerCase());

/**
 * Reads a config: one file, or every *.yaml / *.yml / *.pkl below a directory (hidden
 * directories and node_modules excepted). `path` in each source is relative to `cwd`, for messages.
 * Symbolic links are followed while they stay inside the config root; one that leads outside, is
 * broken or loops is not read, and is reported, never passed over in silence.
 */
export async function readConfigSources(input: string, cwd: string = process.cwd()): Promise<ConfigInput> {
  const absolute = path.resolve(cwd, input);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) {
    throw new DgateError({
      code: 'DG0002',
      message: `config path '${input}' does not exist`,
      hint: 'name a config file or a directory of *.yaml files',
    });
  }
  const root = info.isDirectory() ? absolute : path.dirname(absolute);
  const walk: ConfigWalk = { realRoot: await realpath(root), cwd, files: [], diagnostics: [] };
  if (info.isDirectory()) await listConfigFiles(root, [walk.realRoot], walk);
  else walk.files.push(absolute);
  const files = walk.files.sort();
  // Links not read because of an error are the answer then, not "no files".
  if (files.length === 0 && !walk.diagnostics.some((d) => d.severity === 'error')) {
    throw new DgateError({
      code: 'DG0003',
      message: `no *.yaml, *.yml or *.pkl files in '${input}'`,
      hint: 'a config directory holds YAML files that start with "version: v1", or Pkl modules that amend "modulepath:/dgate/Config.pkl"',
      diagnostics: walk.diagnostics,
    });
  }
  const sources = await Promise.all(
    files.map(async (file) => ({
      path: path.relative(cwd, file) || path.basename(file),
      rel: path.relative(root, file).split(path.sep).join('/'),
      text: await readText(file, input),
    })),
  );
  return { root, sources, diagnostics: walk.diagnostics };
}

async function readText(file: string, input: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new DgateError({
      code: 'DG0004',
      message: `cannot read '${file}' (from '${input}'): ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
      hint: 'check the file permissions',
      cause: err,
    });
  }
}

/** What a walk of a config directory has found so far. */
interface ConfigWalk {
  realRoot: string;
  cwd: string;
  files: string[];
  diagnostics: Diagnostic[];
}

/**
 * Collects the config files below `dir`. `realAncestors` are the real paths of the directories
 * walked down to here: a link back to one of them would be walked without end.
 */
async function listConfigFiles(dir: string, realAncestors: readonly string[], walk: ConfigWalk): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const entry of entries) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skippedDirectories.has(entry.name))
        await listConfigFiles(full, [...realAncestors, path.join(realAncestors.at(-1)!, entry.name)], walk);
    } else if (entry.isFile()) {
      if (isConfigFileName(entry.name)) walk.files.push(full);
    } else if (entry.isSymbolicLink()) {
      await followLink(full, entry.name, realAncestors, walk);
    }
  }
}

/** A symbolic link in the config directory: followed when it leads to a file or directory inside the root. */
async function followLink(
  link: string,
  name: string,
  realAncestors: readonly string[],
  walk: ConfigWalk,
): Promise<void> {
  const configNamed = isConfigFileName(name);
  const report = (
    code: 'DG0004' | 'DG1110',
    message: string,
    hint: string,
    severity: Diagnostic['severity'] = 'error',
  ) =>
    walk.diagnostics.push({
      code,
      severity,
      message,
      location: { file: path.relative(walk.cwd, link) || name, line: 1, col: 1 },
      hint,
    });
  let real: string;
  try {
    real = await realpath(link);
  } catch (err) {
    const loops = (err as NodeJS.ErrnoException).code === 'ELOOP';
    // A link to something that is not there may have been a directory of config files: said,
    // but only an error when its name says it is a config file.
    report(
      'DG0004',
      loops
        ? `'${name}' is a symbolic link that loops, so it is not read`
        : `'${name}' is a symbolic link to a path that does not exist, so it is not read`,
      loops
        ? 'point the link at a file or directory inside the config root, or remove it'
        : 'fix the link, or remove it',
      configNamed ? 'error' : 'warning',
    );
    return;
  }
  const info = await stat(real);
  if (!info.isDirectory() && !(info.isFile() && configNamed)) return;
  if (real !== walk.realRoot && !real.startsWith(walk.realRoot + path.sep)) {
    report(
      'DG1110',
      `'${name}' is a symbolic link to ${info.isDirectory() ? 'a directory' : 'a file'} outside the config root (${real}), so it is not read`,
      info.isDirectory()
        ? 'move or copy the directory into the config root instead of linking to it'
        : 'copy the file into the config directory instead of linking to it',
    );
    return;
  }
  if (info.isFile()) {
    walk.files.push(link);
    return;
  }
  if (realAncestors.includes(real)) {
    report(
      'DG0004',
      `'${name}' is a symbolic link to a directory that contains it, so it is not read (it would be read without end)`,
      'point the link at a directory that does not contain it, or remove it',
    );
    return;
  }
  if (!skippedDirectories.has(name)) await listConfigFiles(link, [...realAncestors, real], walk);
}

/** Reads the files a config references (paths relative to the root), noting the ones that are not there. */
export async function readReferencedFiles(root: string, rels: readonly string[]): Promise<FileTable> {
  const realRoot = await realpath(root);
  const entries = await Promise.all(
    rels.map(async (rel) => [rel, await readEntry(realRoot, path.join(root, rel))] as const),
  );
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
