import path from 'node:path';
import type { BundleInstance } from '../bundles/expand.js';
import { integrityOf, parseUse, satisfies, sourceOf, type LockEntry, type LockFile } from '../bundles/lockfile.js';
import { toolVersion } from '../cli/tool-version.js';
import { bundlePklSources, parseBundle, type EvaluatedPkl } from '../bundles/read.js';
import type { BundleContent } from '../bundles/expand.js';
import { defaultPklTimeoutMs, evaluatePklModules } from './pkl-input.js';
import type { DgateError, Diagnostic } from '../errors/dgate-error.js';
import { builtinBundlesDir, isGitSource, readBundleFiles, readLock } from '../io/bundle-store.js';
import { locationOf, type Declared, type LoadedConfig } from '../load/assemble.js';
import type { BundleUse } from '../schema/generated/config.js';

/**
 * Reads and parses the bundle in `dir`: its files, and its Pkl modules (bundle.pkl, *.pkl
 * resource files) evaluated in one sandboxed pkl process that may reach only the bundle's own
 * directory and the dgate schema, with no environment: a bundle gets its values from parameters.
 * `files` skips reading when the caller has them (to hash them, say).
 */
export async function readBundle(
  dir: string,
  files?: Map<string, Uint8Array>,
): Promise<{ content?: BundleContent; diagnostics: Diagnostic[]; files: Map<string, Uint8Array> }> {
  const bundleFiles = files ?? (await readBundleFiles(dir));
  const display = path.relative(process.cwd(), path.resolve(dir)) || '.';
  const sources = bundlePklSources(bundleFiles, display);
  const pkl: EvaluatedPkl | undefined =
    sources.modules.length > 0
      ? await evaluatePklModules({
          root: path.resolve(dir),
          modules: sources.modules,
          sources: sources.all,
          allowedImports: [],
          env: {},
          timeoutMs: defaultPklTimeoutMs,
          scope: 'bundle',
        })
      : undefined;
  return { ...parseBundle(bundleFiles, display, pkl), files: bundleFiles };
}

/** Where a bundle's files are for a lock entry: the shipped directory, a local one, or the vendored copy. */
export function bundleDirOf(use: Declared<BundleUse>, entry: Pick<LockEntry, 'vendored'>, root: string): string {
  const source = sourceOf(use.spec);
  if (source === 'builtin') return path.join(builtinBundlesDir(), parseUse(use.spec.use).name);
  if (isGitSource(source)) return path.join(root, entry.vendored ?? '');
  return path.resolve(root, path.dirname(use.origin.doc.source.rel), source);
}

/**
 * The content of every bundle the config uses, exactly as dgate-cli.lock pins it: no resolution,
 * no network. A missing or stale lock, or content whose hash differs from the lock's, is an error
 * at the `bundles:` entry.
 */
export async function readLockedBundles(
  config: LoadedConfig,
  root: string,
): Promise<{ instances: BundleInstance[]; diagnostics: Diagnostic[] }> {
  const uses = config.bundles.filter((b) => b.valid);
  if (uses.length === 0) return { instances: [], diagnostics: [] };
  const diagnostics: Diagnostic[] = [];
  const instances: BundleInstance[] = [];
  let lock: LockFile | null;
  try {
    lock = await readLock(root);
  } catch (err) {
    return {
      instances,
      diagnostics: [{ ...(err as DgateError).toDiagnostic(), location: locationOf(uses[0]!.origin) }],
    };
  }
  const seen = new Map<string, Declared<BundleUse>>();
  for (const use of uses) {
    const at = locationOf(use.origin);
    const fail = (code: Diagnostic['code'], message: string, hint: string) =>
      diagnostics.push({ code, severity: 'error', message, location: at, hint });
    const first = seen.get(use.spec.as);
    if (first) {
      fail(
        'DG1101',
        `bundle instance '${use.spec.as}' is declared twice (first at ${locationOf(first.origin).file}:${locationOf(first.origin).line})`,
        'give each instance its own `as:`',
      );
      continue;
    }
    seen.set(use.spec.as, use);
    const entry = lock?.bundles[use.spec.as];
    if (!lock || !entry) {
      fail(
        'DG1801',
        `bundle instance '${use.spec.as}' (${use.spec.use}) is not in ${lock ? 'dgate-cli.lock' : 'a dgate-cli.lock (there is none)'}`,
        'run `dgate-cli bundle update` to resolve it and write the lock, then commit the lock',
      );
      continue;
    }
    if (entry.use !== use.spec.use || entry.source !== sourceOf(use.spec)) {
      fail(
        'DG1802',
        `dgate-cli.lock resolved '${use.spec.as}' for ${entry.use} from ${entry.source}, and the config now asks for ${use.spec.use} from ${sourceOf(use.spec)}`,
        `run \`dgate-cli bundle update ${use.spec.as}\``,
      );
      continue;
    }
    const dir = bundleDirOf(use, entry, root);
    let files: Map<string, Uint8Array>;
    try {
      files = await readBundleFiles(dir);
    } catch (err) {
      fail('DG1808', (err as DgateError).message, `run \`dgate-cli bundle update ${use.spec.as}\``);
      continue;
    }
    const integrity = integrityOf(files);
    if (integrity !== entry.integrity) {
      fail(
        'DG1803',
        `the content of bundle ${parseUse(use.spec.use).name}@${entry.version} in ${path.relative(process.cwd(), dir) || '.'} does not match dgate-cli.lock (${integrity}, locked ${entry.integrity})`,
        'someone changed the bundle after it was locked: restore it, or review the change and run `dgate-cli bundle update`',
      );
      continue;
    }
    const parsed = await readBundle(dir, files);
    diagnostics.push(...parsed.diagnostics);
    if (!parsed.content) continue;
    if (
      parsed.content.manifest.version !== entry.version ||
      parsed.content.manifest.name !== parseUse(use.spec.use).name
    ) {
      fail(
        'DG1802',
        `dgate-cli.lock pins ${parseUse(use.spec.use).name}@${entry.version}, and ${dir} holds ${parsed.content.manifest.name}@${parsed.content.manifest.version}`,
        `run \`dgate-cli bundle update ${use.spec.as}\``,
      );
      continue;
    }
    const supported = parsed.content.manifest.dgateCli;
    if (supported !== undefined && !satisfies(toolVersion(), supported)) {
      fail(
        'DG1809',
        `bundle ${parsed.content.manifest.name}@${entry.version} supports dgate-cli ${supported}, and this is dgate-cli ${toolVersion()}`,
        'use a dgate-cli version the bundle supports, or a bundle version that supports this one',
      );
      continue;
    }
    instances.push({ use, content: parsed.content });
  }
  return { instances, diagnostics };
}
