import { writeFile } from 'node:fs/promises';
import { generateX25519Identity, identityToRecipient } from 'age-encryption';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { DgateError } from '../../errors/dgate-error.js';
import { valueNamed } from '../../cli/value-names.js';

export class SecretKeygenCommand extends BaseCommand {
  static override paths = [['secret', 'keygen']];
  static override usage = Command.Usage({
    category: 'Secrets',
    description: 'Make a new age identity (private key) and print its recipient (public key)',
    details: `
      Writes a new X25519 identity in age's own format (compatible with age-keygen): to
      \`--out FILE\` (created with mode 0600, refusing to overwrite), or to stdout. The public
      key, which is what \`secret encrypt --recipient\` and settings.ageRecipients take, goes to
      stderr. Keep the identity in your CI's secret store (DGATE_CLI_AGE_IDENTITY) and a password
      manager, never in git.
    `,
    examples: [['A key for CI', '$0 secret keygen --out ci.agekey']],
  });

  out = valueNamed(
    'FILE',
    Option.String('--out,-o', { description: 'Write the identity to this file (mode 0600) instead of stdout' }),
  );

  protected async run(): Promise<number> {
    const identity = await generateX25519Identity();
    const recipient = await identityToRecipient(identity);
    const text = `# created: ${new Date().toISOString()}\n# public key: ${recipient}\n${identity}\n`;
    if (this.out) {
      try {
        await writeFile(this.out, text, { mode: 0o600, flag: 'wx' });
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new DgateError({
          code: 'DG0005',
          message: `cannot write '${this.out}': ${code ?? String(err)}`,
          hint:
            code === 'EEXIST'
              ? 'the file exists; choose another name (an identity is never overwritten)'
              : 'check that the directory exists and is writable',
        });
      }
    } else {
      this.context.stdout.write(text);
    }
    this.context.stderr.write(`Public key: ${recipient}\n`);
    return ExitCode.OK;
  }
}
