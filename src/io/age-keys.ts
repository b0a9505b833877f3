import { readFile } from 'node:fs/promises';
import { DgateError } from '../errors/dgate-error.js';

/**
 * age identities (private keys) to decrypt with: every `AGE-SECRET-KEY-1...` line of
 * $DGATE_CLI_AGE_IDENTITY and of the --identity-file, as age's own identity files hold them.
 * Comments and blank lines are skipped. Never logged.
 */
export async function loadAgeIdentities(env: NodeJS.ProcessEnv, identityFile?: string): Promise<string[]> {
  const texts: string[] = [];
  if (env.DGATE_CLI_AGE_IDENTITY) texts.push(env.DGATE_CLI_AGE_IDENTITY);
  if (identityFile) {
    try {
      texts.push(await readFile(identityFile, 'utf8'));
    } catch (err) {
      throw new DgateError({
        code: 'DG0004',
        message: `cannot read --identity-file '${identityFile}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        hint: 'name the file age-keygen (or `dgate-cli secret keygen`) wrote',
      });
    }
  }
  const identities = texts
    .flatMap((t) => t.split(/\r?\n/))
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const bad = identities.find((l) => !/^AGE-SECRET-KEY-1[0-9A-Z]+$/.test(l));
  if (bad !== undefined) {
    throw new DgateError({
      code: 'DG2006',
      message: 'an age identity (from $DGATE_CLI_AGE_IDENTITY or --identity-file) is not an AGE-SECRET-KEY-1... line',
      hint: 'give the identity age-keygen printed, one per line; comments start with #',
    });
  }
  return identities;
}

/** Recipients from settings and $DGATE_CLI_AGE_RECIPIENTS (separated by commas or white space). */
export function ageRecipientsFrom(settings: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const fromEnv = (env.DGATE_CLI_AGE_RECIPIENTS ?? '').split(/[\s,]+/).filter((r) => r !== '');
  return [...new Set([...settings, ...fromEnv])];
}

/** age-encryption, loaded on first use: importing it costs about 140 ms, which most runs never need. */
const age = () => import('age-encryption');

export async function encryptToRecipients(value: string, recipients: readonly string[]): Promise<string> {
  const { armor, Encrypter } = await age();
  const e = new Encrypter();
  for (const r of recipients) {
    try {
      e.addRecipient(r);
    } catch {
      throw new DgateError({
        code: 'DG0001',
        message: `'${r}' is not an age recipient`,
        hint: 'recipients are public keys that start with age1 (age-keygen -y prints one)',
      });
    }
  }
  return armor.encode(await e.encrypt(value));
}

/** Decrypts an armored or binary age file; failures name the owner, never a value. */
export async function decryptWithIdentities(
  data: Uint8Array | string,
  identities: readonly string[],
  owner: string,
): Promise<string> {
  const { armor, Decrypter } = await age();
  if (identities.length === 0) {
    throw new DgateError({
      code: 'DG2006',
      message: `${owner} is encrypted with age, and no identity was given`,
      hint: 'set DGATE_CLI_AGE_IDENTITY to the identity (AGE-SECRET-KEY-1...), or pass --identity-file',
    });
  }
  let bytes: Uint8Array;
  try {
    const text = typeof data === 'string' ? data : new TextDecoder().decode(data.slice(0, 40));
    bytes = text.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----')
      ? armor.decode((typeof data === 'string' ? data : new TextDecoder().decode(data)).trim())
      : typeof data === 'string'
        ? new TextEncoder().encode(data)
        : data;
  } catch (err) {
    throw new DgateError({
      code: 'DG2006',
      message: `${owner} is not a readable age file (${(err as Error).message})`,
      hint: 'encrypt it again with `dgate-cli secret encrypt`',
    });
  }
  const d = new Decrypter();
  for (const id of identities) d.addIdentity(id);
  try {
    return await d.decrypt(bytes, 'text');
  } catch (err) {
    const message = (err as Error).message;
    const hint = /no identity matched/.test(message)
      ? 'it was encrypted to other recipients: use a matching identity, or encrypt it again to yours'
      : 'the file is damaged or not an age file: encrypt it again with `dgate-cli secret encrypt`';
    throw new DgateError({ code: 'DG2006', message: `${owner} cannot be decrypted: ${message}`, hint });
  }
}
