import { writeFile } from 'node:fs/promises';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { DgateError } from '../../errors/dgate-error.js';
import { ageRecipientsFrom, encryptToRecipients } from '../../io/age-keys.js';
import { valueNamed } from '../../cli/value-names.js';

export class SecretEncryptCommand extends BaseCommand {
  static override paths = [['secret', 'encrypt']];
  static override usage = Command.Usage({
    category: 'Secrets',
    description: 'Encrypt a secret value (read from stdin) with age, for a config kept in git',
    details: `
      Reads the value from stdin and prints it encrypted with age to every recipient (public
      keys, age1...), ASCII-armored, ready to paste into a config as \`encrypted: |\`, or, with
      \`--out\`, writes it to a file for \`fromEncryptedFile:\`. One trailing newline is dropped
      (as \`echo\` adds one) unless \`--keep-newline\`. Recipients come from \`--recipient\`
      (repeatable) or $DGATE_CLI_AGE_RECIPIENTS. The value is never printed.
    `,
    examples: [
      [
        'Encrypt a key for the team and the CI',
        'printf %s "$STRIPE_KEY" | $0 secret encrypt --recipient age1team... --recipient age1ci...',
      ],
      [
        'Into a file the config names',
        '$0 secret encrypt --recipient age1... --out secrets/stripe.age < stripe-key.txt',
      ],
    ],
  });

  recipient = valueNamed(
    'RECIPIENT',
    Option.Array('--recipient,-r', [], {
      description: 'An age recipient (public key, age1...) to encrypt to (repeatable)',
    }),
  );
  out = valueNamed(
    'FILE',
    Option.String('--out,-o', { description: 'Write the encrypted value to this file instead of stdout' }),
  );
  keepNewline = Option.Boolean('--keep-newline', false, { description: 'Keep a trailing newline of the input' });

  protected async run(): Promise<number> {
    const recipients = ageRecipientsFrom(this.recipient, process.env);
    if (recipients.length === 0) {
      throw new DgateError({
        code: 'DG0001',
        message: 'secret encrypt needs at least one recipient',
        hint: 'pass --recipient age1... (repeatable) or set DGATE_CLI_AGE_RECIPIENTS',
      });
    }
    const chunks: Buffer[] = [];
    for await (const chunk of this.context.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    let value = Buffer.concat(chunks).toString('utf8');
    if (!this.keepNewline) value = value.replace(/\r?\n$/, '');
    if (value === '')
      throw new DgateError({
        code: 'DG0001',
        message: 'secret encrypt read an empty value from stdin',
        hint: 'pipe the value in, e.g. printf %s "$VALUE" | dgate-cli secret encrypt -r age1...',
      });
    const armored = await encryptToRecipients(value, recipients);
    if (!this.out) {
      this.context.stdout.write(armored);
      return ExitCode.OK;
    }
    try {
      await writeFile(this.out, armored);
    } catch (err) {
      throw new DgateError({
        code: 'DG0005',
        message: `cannot write '${this.out}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        hint: 'check that the directory exists and is writable',
      });
    }
    this.context.stderr.write(
      `${this.errStyle.green('✓')} encrypted to ${recipients.length === 1 ? '1 recipient' : `${recipients.length} recipients`} → ${this.out}\n`,
    );
    return ExitCode.OK;
  }
}
