import { Redactor } from '../secrets/redact.js';

/**
 * Every sensitive value this process has resolved (secret data, domain keys), so that no text
 * leaving it carries one: command output (BaseCommand wraps stdout and stderr), the journal, and
 * the notes dgate-cli writes into the cluster. Server error text is the channel this closes: a
 * server may echo a request body, secret included, in its answer.
 */
export const heldSecrets = new Redactor();
