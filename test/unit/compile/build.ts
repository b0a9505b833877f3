import { armor } from 'age-encryption';
import { checkConfig } from '../../../src/compile/check.js';
import { compileConfig } from '../../../src/compile/compile.js';
import type { FileEntry, FileTable } from '../../../src/compile/file-refs.js';
import type { Diagnostic } from '../../../src/errors/dgate-error.js';
import { loadConfig } from '../../../src/load/assemble.js';
import type { DesiredState } from '../../../src/schema/generated/desired-state.js';

/** In-memory config files: relative path → YAML text. No disk involved. */
export type MemoryConfig = Record<string, string>;

export function sourcesOf(files: MemoryConfig) {
  return Object.entries(files).map(([rel, text]) => ({ path: rel, rel, text }));
}

export function fileTable(files: Record<string, string | null> = {}): FileTable {
  return new Map(
    Object.entries(files).map(([rel, text]): [string, FileEntry] => [
      rel,
      text === null ? { status: 'missing' } : { status: 'ok', bytes: new TextEncoder().encode(text) },
    ]),
  );
}

export function checkMemory(files: MemoryConfig, refs: Record<string, string | null> = {}): Diagnostic[] {
  const { config, diagnostics } = loadConfig(sourcesOf(files));
  return [...diagnostics, ...checkConfig(config, fileTable(refs), (t) => armor.decode(t))];
}

/** Loads, checks and compiles in memory; fails the test on any error diagnostic. */
export function compileMemory(files: MemoryConfig, refs: Record<string, string | null> = {}): DesiredState {
  const { config, diagnostics } = loadConfig(sourcesOf(files));
  const all = [...diagnostics, ...checkConfig(config, fileTable(refs), (t) => armor.decode(t))].filter(
    (d) => d.severity === 'error',
  );
  if (all.length > 0)
    throw new Error(
      `unexpected errors: ${all.map((d) => `${d.location?.file}:${d.location?.line} ${d.message}`).join('; ')}`,
    );
  return compileConfig(config, fileTable(refs), { tool: { name: 'dgate-cli', version: 'test' }, git: null });
}
