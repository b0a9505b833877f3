import { readFileSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { DesiredState, SecretRef } from '../../src/schema/generated/desired-state.js';
import { dgateCli, repoRoot } from './cli.js';

export const everyFieldDir = path.join(repoRoot, 'test/fixtures/valid/every-field');
export const everyFieldKey = readFileSync(path.join(everyFieldDir, 'tls/every.key'), 'utf8');

/** The environment the configs under test read their secrets from. */
export const secretEnv: Record<string, string> = { EVERY_SECRET: 'every-secret-value', STRIPE_KEY: 'sk_test_shop' };

/** Values for a hand-made cluster: what dgate-cli would resolve each reference to. */
export function fixtureSecret(root: string): (ref: SecretRef) => string {
  return (ref) => {
    if (ref.fromEnv) return secretEnv[ref.fromEnv] ?? `unset-${ref.fromEnv}`;
    if (ref.fromFile) {
      const text = readFileSync(path.join(root, ref.fromFile), 'utf8');
      return ref.trimTrailingNewline === false ? text : text.replace(/\r?\n$/, '');
    }
    return 'not-for-production';
  };
}

export async function compileDir(dir: string): Promise<DesiredState> {
  const result = await dgateCli(['compile', dir]);
  if (result.code !== 0) throw new Error(`compile ${dir} failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as DesiredState;
}

/** Temporary directories removed after the file's tests. */
export function useTempDirs(): { make: (copyOf?: string) => Promise<string> } {
  const made: string[] = [];
  afterAll(async () => {
    await Promise.all(made.map((d) => rm(d, { recursive: true, force: true })));
  });
  return {
    make: async (copyOf) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-test-'));
      made.push(dir);
      if (copyOf) await cp(copyOf, dir, { recursive: true });
      return dir;
    },
  };
}

/** Replaces one exact piece of a file, failing loudly when it is not there (so an edit test cannot pass vacuously). */
export async function editFile(file: string, from: string, to: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
  await writeFile(file, text.replace(from, to));
}
