import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { secretValueHmac } from '../../src/secrets/keyed-hash.js';
import { adminCall } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/** keepVersions: every applied value also lands in NAME.v<k>, and the previous N stay. */
describe('secret versions, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const hashKey = 'versions-test-key';
  let dir: string;
  const cli = (args: string[], value: string, extra: Record<string, string | undefined> = {}) =>
    dgateCli(args, {
      env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_HASH_KEY: hashKey, SIGNING_KEY: value, ...extra },
    });
  /** Each secret of the namespace, with the value its keyed hash says it holds. */
  const held = async (values: string[]) => {
    const secrets = (await adminCall(node().adminUrl, 'GET', '/secret?namespace=keys')).json.data as {
      name: string;
      tags?: string[];
    }[];
    const byHash = new Map(values.map((v) => [`dgate-cli.value-hmac:${secretValueHmac(hashKey, v)}`, v]));
    return Object.fromEntries(
      secrets.map((s) => [s.name, byHash.get(s.tags?.find((t) => t.startsWith('dgate-cli.value-hmac:')) ?? '') ?? '?']),
    );
  };
  const values = ['one', 'two', 'three', 'four'];

  beforeAll(async () => {
    dir = await temps.make();
    await writeFile(
      path.join(dir, 'keys.yaml'),
      `version: v1
namespaces:
  - name: keys
    secrets:
      - { name: signing-key, value: { fromEnv: SIGNING_KEY }, keepVersions: 2, tags: [owner:auth] }
`,
    );
  });

  it('the first apply writes the secret and its version 1', async () => {
    const result = await cli(['apply', dir, '--auto-approve'], 'one');
    expect(result.code, result.stderr).toBe(0);
    expect(await held(values)).toEqual({ 'signing-key': 'one', 'signing-key.v1': 'one' });
    expect((await adminCall(node().adminUrl, 'GET', '/secret/signing-key.v1?namespace=keys')).json.data.tags).toContain(
      'owner:auth',
    );
  });

  it('the same value again plans no changes', async () => {
    const plan = await cli(['plan', dir, '--detailed-exitcode'], 'one');
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it('each new value is a new version; the previous two stay, older ones go', async () => {
    const plan = await cli(['plan', dir, '--format', 'json'], 'two');
    expect(
      JSON.parse(plan.stdout)
        .changes.map((c: { action: string; id: string }) => `${c.action} ${c.id}`)
        .sort(),
    ).toEqual(['create keys/signing-key.v2', 'update keys/signing-key']);
    expect((await cli(['apply', dir, '--auto-approve'], 'two')).code).toBe(0);
    expect(await held(values)).toEqual({ 'signing-key': 'two', 'signing-key.v1': 'one', 'signing-key.v2': 'two' });
    expect((await cli(['apply', dir, '--auto-approve'], 'three')).code).toBe(0);
    expect(await held(values)).toEqual({
      'signing-key': 'three',
      'signing-key.v1': 'one',
      'signing-key.v2': 'two',
      'signing-key.v3': 'three',
    });
    const four = await cli(['apply', dir, '--auto-approve'], 'four');
    expect(four.code, four.stderr).toBe(0);
    expect(four.stdout).toContain('- secret signing-key.v1');
    expect(await held(values)).toEqual({
      'signing-key': 'four',
      'signing-key.v2': 'two',
      'signing-key.v3': 'three',
      'signing-key.v4': 'four',
    });
    expect((await cli(['plan', dir, '--detailed-exitcode'], 'four')).code).toBe(0);
  });

  it('without the hash key it cannot know whether the value changed, and says so before any write', async () => {
    const result = await cli(['apply', dir, '--auto-approve'], 'five', { DGATE_CLI_HASH_KEY: undefined });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^error DG2006: secret keys\/signing-key keeps versions, and whether the value changed cannot be known\n {2}hint: set DGATE_CLI_HASH_KEY/,
    );
    expect(await held(values)).toEqual({
      'signing-key': 'four',
      'signing-key.v2': 'two',
      'signing-key.v3': 'three',
      'signing-key.v4': 'four',
    });
  });
});
