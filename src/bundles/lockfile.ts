import { createHash } from 'node:crypto';
import semver from 'semver';
import type { BundleUse } from '../schema/generated/config.js';

export const lockFileName = 'dgate-cli.lock';
export const lockFormat = 'dgate-cli/lock@1';

/** What `bundle update` resolved one bundle instance to. */
export interface LockEntry {
  /** The `use:` it was resolved for (NAME@RANGE). */
  use: string;
  /** `builtin`, a directory, or a git URL, as the config names it. */
  source: string;
  version: string;
  /** The git commit of the tag (git sources), else null. */
  commit: string | null;
  /** sha256 over the bundle's files, names and contents. */
  integrity: string;
  /** Where the content was vendored, relative to the config root (git sources). */
  vendored?: string;
}

export interface LockFile {
  format: typeof lockFormat;
  bundles: Record<string, LockEntry>;
}

/** The source a `bundles:` entry names, spelled as the lock records it. */
export function sourceOf(use: BundleUse): string {
  return use.source ?? 'builtin';
}

export function parseUse(use: string): { name: string; range: string } {
  const at = use.indexOf('@');
  return { name: use.slice(0, at), range: use.slice(at + 1) };
}

/** Whether a range is a valid semver range (npm syntax). */
export function validRange(range: string): boolean {
  return semver.validRange(range) !== null;
}

/** The newest version satisfying the range, or null. Prereleases only when the range names one. */
export function newestSatisfying(versions: readonly string[], range: string): string | null {
  return semver.maxSatisfying([...versions], range);
}

export function satisfies(version: string, range: string): boolean {
  return semver.satisfies(version, range);
}

/** A semver version from a git tag (`v1.2.3` or `1.2.3`), or null for other tags. */
export function versionOfTag(tag: string): string | null {
  const v = tag.replace(/^v/, '');
  return semver.valid(v) === v ? v : null;
}

/**
 * sha256 over a bundle's files: each path (sorted, / separators) with its length and bytes, so
 * that a renamed, added, removed or edited file changes it.
 */
export function integrityOf(files: ReadonlyMap<string, Uint8Array>): string {
  const hash = createHash('sha256');
  for (const rel of [...files.keys()].sort()) {
    const bytes = files.get(rel)!;
    hash.update(`${rel}\u0000${bytes.length}\u0000`);
    hash.update(bytes);
  }
  return `sha256-${hash.digest('base64')}`;
}
