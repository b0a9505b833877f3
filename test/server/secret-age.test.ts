import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretValueHmac } from '../../src/secrets/keyed-hash.js';
import { adminCall } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/**
 * Secrets encrypted with age live in git; dgate-cli decrypts them in memory to apply them, and
 * keeps every applied value encrypted in the release history, so rollback can put old values back.
 * The value that reached DGate is checked through the keyed hash apply tags each secret with.
 */
describe('age-encrypted secrets, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const hashKey = 'age-test-hash-key';
  let dir: string;
  let identity: string;
  let recipient: string;
  let otherIdentity: string;
  const base = (extra: Record<string, string | undefined> = {}) => ({
    DGATE_ADMIN_URL: node().adminUrl,
    DGATE_CLI_HASH_KEY: hashKey,
    DGATE_CLI_AGE_IDENTITY: identity,
    ...extra,
  });
  const cli = (args: string[], extra: Record<string, string | undefined> = {}) => dgateCli(args, { env: base(extra) });
  const hashTagOf = async (name: string) => {
    const secrets = (await adminCall(node().adminUrl, 'GET', '/secret?namespace=vault')).json.data as {
      name: string;
      tags?: string[];
    }[];
    return secrets.find((s) => s.name === name)?.tags?.find((t) => t.startsWith('dgate-cli.value-hmac:'));
  };
  const expectValue = async (name: string, value: string) =>
    expect(await hashTagOf(name)).toBe(`dgate-cli.value-hmac:${secretValueHmac(hashKey, value)}`);
  const encrypt = async (value: string, args: string[] = []) => {
    const result = await dgateCli(['secret', 'encrypt', '--recipient', recipient, ...args], { input: value });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout;
  };
  const writeConfig = async (inlineCiphertext: string, settings = `ageRecipients: [${recipient}]`) => {
    await writeFile(
      path.join(dir, 'vault.yaml'),
      `version: v1
settings: { ${settings} }
namespaces:
  - name: vault
    secrets:
      - name: api-key
        value:
          encrypted: |
${inlineCiphertext
  .trim()
  .split('\n')
  .map((l) => `            ${l}`)
  .join('\n')}
      - name: db-password
        value: { fromEncryptedFile: secrets/db.age }
`,
    );
  };

  beforeAll(async () => {
    dir = await temps.make();
    const keygen = await dgateCli(['secret', 'keygen']);
    identity = keygen.stdout.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    recipient = /Public key: (age1\w+)/.exec(keygen.stderr)![1]!;
    otherIdentity = (await dgateCli(['secret', 'keygen'])).stdout
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
    await mkdir(path.join(dir, 'secrets'));
    await writeFile(path.join(dir, 'secrets/db.age'), await encrypt('db-password-one'));
    await writeConfig(await encrypt('api-key-one\n'));
  });

  it('validates and compiles without any identity: only ciphertext, never a value', async () => {
    const validated = await cli(['validate', dir], { DGATE_CLI_AGE_IDENTITY: undefined });
    expect(validated.code, validated.stderr).toBe(0);
    const compiled = await cli(['compile', dir], { DGATE_CLI_AGE_IDENTITY: undefined });
    const state = JSON.parse(compiled.stdout);
    expect(state.resources.secrets.map((s: { data: object }) => Object.keys(s.data))).toEqual([
      ['encrypted'],
      ['fromEncryptedFile'],
    ]);
    expect(compiled.stdout).not.toContain('api-key-one');
  });

  it('refuses to apply without an identity, naming the secret, before any write', async () => {
    const result = await cli(['apply', dir, '--auto-approve'], { DGATE_CLI_AGE_IDENTITY: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^\S*vault\.yaml:8:11: error DG2006: secret 'vault\/api-key' is encrypted with age, and no identity was given\n {2}hint: set DGATE_CLI_AGE_IDENTITY/,
    );
    expect(
      ((await adminCall(node().adminUrl, 'GET', '/namespace')).json.data as { name: string }[]).map((n) => n.name),
    ).not.toContain('vault');
  });

  it('refuses an identity the values were not encrypted to, before any write', async () => {
    const result = await cli(['apply', dir, '--auto-approve'], { DGATE_CLI_AGE_IDENTITY: otherIdentity });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^\S*vault\.yaml:8:11: error DG2006: secret 'vault\/api-key' cannot be decrypted: no identity matched any of the file's recipients/,
    );
    expect(
      ((await adminCall(node().adminUrl, 'GET', '/namespace')).json.data as { name: string }[]).map((n) => n.name),
    ).not.toContain('vault');
  });

  it.each([
    [
      'an unset variable',
      '{ fromEnv: UNSET_IN_THIS_TEST }',
      /secret 'vault\/other' comes from environment variable UNSET_IN_THIS_TEST, which is not set/,
    ],
    [
      'a missing file',
      '{ fromFile: nowhere.txt }',
      /secret 'vault\/other' comes from file nowhere.txt, which cannot be read \(ENOENT\)/,
    ],
  ])('reports %s where the config names it, before any write', async (_, source, message) => {
    const other = await temps.make(dir);
    const valueLine = (await readFile(path.join(other, 'vault.yaml'), 'utf8')).split('\n').length + 1;
    await appendFile(path.join(other, 'vault.yaml'), `      - name: other\n        value: ${source}\n`);
    const result = await cli(['apply', other, '--auto-approve']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^\\S*vault\\.yaml:${valueLine}:16: error DG2006: ${message.source}`));
    expect(
      ((await adminCall(node().adminUrl, 'GET', '/namespace')).json.data as { name: string }[]).map((n) => n.name),
    ).not.toContain('vault');
  });

  it('applies the decrypted values (the stdin newline dropped), and records them only encrypted', async () => {
    const result = await cli(['apply', dir, '--auto-approve']);
    expect(result.code, result.stderr).toBe(0);
    await expectValue('api-key', 'api-key-one');
    await expectValue('db-password', 'db-password-one');
    const history = JSON.parse((await cli(['history', '--format', 'json'])).stdout);
    const release = history.releases?.at?.(-1) ?? history.at(-1);
    expect(JSON.stringify(release)).not.toMatch(/api-key-one|db-password-one/);
  });

  it('an identity file works as well as the variable', async () => {
    const file = path.join(dir, 'id.txt');
    await writeFile(file, `# a comment\n${identity}\n`);
    const plan = await cli(['plan', dir, '--identity-file', file, '--format', 'json'], {
      DGATE_CLI_AGE_IDENTITY: undefined,
    });
    expect(JSON.parse(plan.stdout).changes).toEqual([]);
  });

  it('a new encrypted value is a masked change; rollback puts the old one back from the encrypted history', async () => {
    await writeConfig(await encrypt('api-key-two'));
    const plan = await cli(['plan', dir]);
    expect(plan.stdout).toContain('~ secret api-key\n      data: (sensitive value changed)');
    expect((await cli(['apply', dir, '--auto-approve'])).code).toBe(0);
    await expectValue('api-key', 'api-key-two');

    const noIdentity = await cli(['rollback', '--auto-approve'], { DGATE_CLI_AGE_IDENTITY: undefined });
    expect(noIdentity.code).toBe(1);
    expect(noIdentity.stderr).toMatch(/error DG2006: .*vault\/api-key.* encrypted with age, and no identity was given/);
    await expectValue('api-key', 'api-key-two');

    const rolled = await cli(['rollback', '--auto-approve']);
    expect(rolled.code, rolled.stderr).toBe(0);
    await expectValue('api-key', 'api-key-one');
  });

  it('without the hash key, rollback sends every kept value again, as it cannot compare them', async () => {
    await writeConfig(await encrypt('api-key-three'));
    expect((await cli(['apply', dir, '--auto-approve'])).code).toBe(0);
    const rolled = await cli(['rollback', '--auto-approve'], { DGATE_CLI_HASH_KEY: undefined });
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(rolled.stdout).toContain(
      '~ secret api-key\n      data: (sensitive value sent again: it cannot be compared)',
    );
    expect(rolled.stdout).toContain('✓ update secret vault/db-password');
    // Sent without the key, so untagged: plan with the key now sees the value as unknown, i.e. changed.
    expect(await hashTagOf('api-key')).toBeUndefined();
  });

  it('--refresh-secrets sends values that cannot be compared again; without it they are left as they are', async () => {
    const plain = await cli(['plan', dir, '--format', 'json'], { DGATE_CLI_HASH_KEY: undefined });
    expect(JSON.parse(plain.stdout).changes.filter((c: { kind: string }) => c.kind === 'secrets')).toEqual([]);
    expect(JSON.parse(plain.stdout).unverifiable.secretValues).toEqual(['vault/api-key', 'vault/db-password']);
    const refreshed = await cli(['apply', dir, '--auto-approve', '--refresh-secrets']);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout).toContain('✓ update secret vault/api-key');
    await expectValue('api-key', 'api-key-three');
  });

  it('reads an absolute secret file only under settings.secretFileRoots', async () => {
    const outside = await temps.make();
    const tokenFile = path.join(outside, 'token');
    await writeFile(tokenFile, 'token-from-a-mount\n');
    const ciphertext = await encrypt('api-key-three');
    const token = `      - { name: token, value: { fromFile: ${tokenFile} } }\n`;
    await writeConfig(ciphertext);
    await appendFile(path.join(dir, 'vault.yaml'), token);
    const refused = await cli(['validate', dir]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `error DG1110: secret 'vault/token' is read from '${tokenFile}', an absolute path outside every directory settings.secretFileRoots allows`,
    );
    await writeConfig(ciphertext, `ageRecipients: [${recipient}], secretFileRoots: [${outside}]`);
    await appendFile(path.join(dir, 'vault.yaml'), token);
    const applied = await cli(['apply', dir, '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    await expectValue('token', 'token-from-a-mount');
  });

  it('without recipients, releases keep no values, and rollback names the secrets it cannot restore and changes nothing', async () => {
    await writeConfig(await encrypt('api-key-four'), 'allowPlaintextSecrets: false');
    expect((await cli(['apply', dir, '--auto-approve'])).code).toBe(0);
    await writeConfig(await encrypt('api-key-five'), 'allowPlaintextSecrets: false');
    expect((await cli(['apply', dir, '--auto-approve'])).code).toBe(0);
    const rolled = await cli(['rollback', '--auto-approve']);
    expect(rolled.code).toBe(1);
    expect(rolled.stderr).toMatch(
      /^error DG3009: returning to release \d+ would have to write 1 secret \(vault\/api-key\), and the release kept no value for it/m,
    );
    await expectValue('api-key', 'api-key-five');
  });
});
