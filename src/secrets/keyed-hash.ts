import { createHmac } from 'node:crypto';

/**
 * The keyed hash of a secret value: HMAC-SHA256 under the user's key, so that the hash stored in
 * the cluster cannot be brute-forced offline without the key. Hex, as it appears in the tag.
 */
export function secretValueHmac(key: string, value: string): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex');
}
