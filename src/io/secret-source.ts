import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DgateError } from '../errors/dgate-error.js';
import type { SecretRef } from '../schema/generated/desired-state.js';
import { decryptWithIdentities } from './age-keys.js';

/**
 * Resolves a sensitive value from where the config says it lives. The value stays in memory;
 * errors name the owner and the source, never the value.
 */
export async function resolveSecretRef(
  ref: SecretRef,
  opts: {
    owner: string;
    root: string;
    env: NodeJS.ProcessEnv;
    inline?: () => string | undefined;
    identities?: readonly string[];
  },
): Promise<string> {
  if (ref.fromEnv !== undefined) {
    const value = opts.env[ref.fromEnv];
    if (value === undefined || value === '') {
      throw new DgateError({
        code: 'DG2006',
        message: `${opts.owner} comes from environment variable ${ref.fromEnv}, which is not set`,
        hint: `export ${ref.fromEnv} before running dgate-cli (in CI, from the pipeline's secret store)`,
      });
    }
    return value;
  }
  if (ref.encrypted !== undefined) return decryptWithIdentities(ref.encrypted, opts.identities ?? [], opts.owner);
  if (ref.fromEncryptedFile !== undefined) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path.join(opts.root, ref.fromEncryptedFile));
    } catch (err) {
      throw new DgateError({
        code: 'DG2006',
        message: `${opts.owner} comes from encrypted file ${ref.fromEncryptedFile}, which cannot be read (${(err as NodeJS.ErrnoException).code})`,
        hint: 'commit the encrypted file with the config, or fix the path',
        cause: err,
      });
    }
    return decryptWithIdentities(bytes, opts.identities ?? [], `${opts.owner} (${ref.fromEncryptedFile})`);
  }
  if (ref.fromFile !== undefined) {
    // Absolute paths were allowed by settings.secretFileRoots at validate time.
    const file = path.isAbsolute(ref.fromFile) ? ref.fromFile : path.join(opts.root, ref.fromFile);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new DgateError({
        code: 'DG2006',
        message: `${opts.owner} comes from file ${ref.fromFile}, which cannot be read (${(err as NodeJS.ErrnoException).code})`,
        hint: 'create the file under the config root, or fix the path',
        cause: err,
      });
    }
    return ref.trimTrailingNewline !== false ? text.replace(/\r?\n$/, '') : text;
  }
  const inline = opts.inline?.();
  if (inline === undefined)
    throw new DgateError({
      code: 'DG2006',
      message: `${opts.owner} has no value in the config`,
      hint: 'give it a source: { fromEnv: NAME } or { fromFile: path }',
    });
  return inline;
}
