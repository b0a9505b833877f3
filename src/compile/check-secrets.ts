import path from 'node:path';
import type { LoadedNamespace, Origin } from '../load/assemble.js';
import type { YamlPath } from '../load/parse-yaml.js';
import type { SecretSource } from '../schema/generated/config.js';
import { resolveFileRef, type FileTable } from './file-refs.js';

import { checkFileRef } from './check-modules.js';
import type { Report } from './check-report.js';

/** The secret policy: where sensitive values may come from, and names secret versions reserve. */

/** age's armor decoder (`armor.decode` of age-encryption), given by the caller: see usesEncryptedValues. */
export type ArmorDecoder = (text: string) => Uint8Array;

export function checkSecretVersionNames(ns: LoadedNamespace, report: Report): void {
  const keeping = ns.resources.secrets
    .filter((s) => s.valid && s.spec.keepVersions !== undefined)
    .map((s) => s.spec.name);
  for (const secret of ns.resources.secrets) {
    const base = /^(.+)\.v[1-9][0-9]*$/.exec(secret.spec.name)?.[1];
    if (base !== undefined && keeping.includes(base)) {
      report(
        'DG1121',
        secret.origin,
        ['name'],
        `secret '${ns.name}/${secret.spec.name}' has the name of a version of secret '${base}', which keeps versions`,
        `rename it: ${base}.v1, ${base}.v2, ... are written by dgate-cli for keepVersions`,
      );
    }
  }
}

/** What the secret checks need to know about the whole config. */
export interface SecretRules {
  plaintextAllowed: boolean;
  /** settings.secretFileRoots: absolute directories fromFile may read from. */
  fileRoots: string[];
  files: FileTable;
  decodeArmor?: ArmorDecoder;
}

/** Whether an absolute secret file lies inside one of the allowed roots (after normalizing away ..). */
export function insideSecretFileRoots(file: string, roots: readonly string[]): boolean {
  const normalized = path.posix.normalize(file);
  return roots.some((root) => {
    const r = path.posix.normalize(root).replace(/\/+$/, '');
    return normalized === r || normalized.startsWith(`${r}/`);
  });
}

export function checkSecretSource(
  origin: Origin,
  sub: YamlPath,
  source: SecretSource,
  what: string,
  rules: SecretRules,
  report: Report,
): void {
  if (typeof source.value === 'string') {
    if (rules.plaintextAllowed) {
      report(
        'DG1901',
        origin,
        [...sub, 'value'],
        `${what} is written in plain text in the config`,
        'reference it instead, e.g. { fromEnv: NAME }, { encrypted: ... } or { fromFile: path }, so it stays out of git',
        { key: true, warning: true },
      );
    } else {
      report(
        'DG1119',
        origin,
        [...sub, 'value'],
        `${what} is written in plain text in the config, which would put it in git`,
        'reference it with { fromEnv: NAME }, { fromFile: path }, or encrypt it (`dgate-cli secret encrypt`) into { encrypted: ... }; for a local demo only, set `settings: { allowPlaintextSecrets: true }`',
        { key: true },
      );
    }
  }
  if (typeof source.fromFile === 'string') {
    const absolute = path.posix.isAbsolute(source.fromFile);
    if (absolute && !insideSecretFileRoots(source.fromFile, rules.fileRoots)) {
      report(
        'DG1110',
        origin,
        [...sub, 'fromFile'],
        `${what} is read from '${source.fromFile}', an absolute path outside every directory settings.secretFileRoots allows`,
        `list its directory under settings.secretFileRoots (e.g. [${path.posix.dirname(path.posix.normalize(source.fromFile))}]), or keep the file inside the config root`,
      );
    } else if (!absolute && !resolveFileRef(origin, source.fromFile).rel) {
      report(
        'DG1110',
        origin,
        [...sub, 'fromFile'],
        `${what} is read from '${source.fromFile}', which is outside the config root`,
        'keep secret files inside the config directory (and out of git) with a relative path, or use an absolute path under settings.secretFileRoots',
      );
    }
  }
  if (typeof source.encrypted === 'string') {
    if (!rules.decodeArmor)
      throw new Error(
        'checkConfig: the config has encrypted values, and no armor decoder was given (see usesEncryptedValues)',
      );
    const problem = armorProblem(source.encrypted, rules.decodeArmor);
    if (problem)
      report(
        'DG1120',
        origin,
        [...sub, 'encrypted'],
        `${what} is not an age-encrypted value: ${problem}`,
        'paste the whole output of `dgate-cli secret encrypt`, from -----BEGIN AGE ENCRYPTED FILE----- to -----END AGE ENCRYPTED FILE-----, as a block scalar (encrypted: |)',
      );
  }
  if (typeof source.fromEncryptedFile === 'string') {
    checkFileRef(origin, [...sub, 'fromEncryptedFile'], source.fromEncryptedFile, rules.files, what, report);
  }
}

/** Why a string is not an ASCII-armored age file, or undefined when it is one. */
function armorProblem(text: string, decode: ArmorDecoder): string | undefined {
  try {
    const bytes = decode(text.trim());
    return new TextDecoder().decode(bytes.slice(0, 21)) === 'age-encryption.org/v1'
      ? undefined
      : 'the armor does not hold an age file';
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Keywords that make DGate v0.11.1's schema loader panic while it holds its write lock, which
 * drops the connection and leaves the node refusing every later write (checked against a real
 * server; see docs/dgate-quirks.md).
 */
