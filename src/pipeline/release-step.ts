import type { ApplyContext } from '../apply/execute.js';
import type { AdminClient } from '../cluster/client.js';
import { heldSecrets } from '../io/held-secrets.js';
import { voidRelease, writeRelease, type ReleaseRecord } from '../cluster/releases.js';

/** The release record as a step of apply's transaction (see ApplyContext.release). */
export function releaseStep(client: AdminClient, record: ReleaseRecord): NonNullable<ApplyContext['release']> {
  return {
    number: record.number,
    describe: `release ${record.number}`,
    // Stamped when written: after the cluster was verified, inside the apply it records.
    write: () => writeRelease(client, { ...record, appliedAt: new Date().toISOString() }),
    // The reason carries server text, which may echo a request body: mask held values.
    void: (reason) => voidRelease(client, record, heldSecrets.redact(reason), new Date()),
  };
}

/** What became of a release record written before the apply was rolled back. */
export function voidedNote(voided: true | string | undefined, number: number): string {
  if (voided === undefined) return '';
  if (voided === true)
    return `\n  release ${number} was recorded before the failure and is now marked voided (history shows it; rollback skips it).`;
  return `\n  release ${number} may have been recorded before the failure, and could not be marked voided: ${voided}. \`dgate-cli history\` may list it though the apply was rolled back.`;
}
