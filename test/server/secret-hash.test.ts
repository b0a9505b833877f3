import { describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { everyFieldDir } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/** Plan knows whether a secret's value changed, across processes, without ever reading it back. */
describe('secret values compared by keyed hash (DGATE_CLI_HASH_KEY)', () => {
  const node = useOwnDgateNode();
  const key = 'a-key-the-team-keeps-in-ci-secrets';
  const env = (secret: string, withKey = true) => ({
    DGATE_ADMIN_URL: node().adminUrl,
    EVERY_SECRET: secret,
    ...(withKey ? { DGATE_CLI_HASH_KEY: key } : {}),
  });
  const planJson = async (secret: string, withKey = true) =>
    JSON.parse((await dgateCli(['plan', everyFieldDir, '--format', 'json'], { env: env(secret, withKey) })).stdout);

  it('an applied secret plans clean with the same value, in another process', async () => {
    const applied = await dgateCli(['apply', everyFieldDir, '--auto-approve'], { env: env('first') });
    expect(applied.code, applied.stderr).toBe(0);
    const plan = await planJson('first');
    expect(plan.changes).toEqual([]);
    expect(plan.unverifiable.secretValues).toEqual([]);
  });

  it('a changed value is one masked change, and applying it plans clean again', async () => {
    const plan = await planJson('second');
    expect(
      plan.changes.map((c: { action: string; id: string; fields: unknown }) => [c.action, c.id, c.fields]),
    ).toEqual([['update', 'every/from-env', [{ field: 'data', sensitive: true }]]]);
    const human = await dgateCli(['plan', everyFieldDir], { env: env('second') });
    expect(human.stdout).toContain('  ~ secret from-env\n      data: (sensitive value changed)');
    expect(human.stdout + human.stderr).not.toContain('second');
    const applied = await dgateCli(['apply', everyFieldDir, '--auto-approve'], { env: env('second') });
    expect(applied.code, applied.stderr).toBe(0);
    expect((await planJson('second')).changes).toEqual([]);
  });

  it('without the key, values are not compared, and plan says so', async () => {
    const plan = await planJson('anything', false);
    expect(plan.changes).toEqual([]);
    expect(plan.unverifiable.secretValues).toEqual(['every/from-env', 'every/from-file', 'every/inline']);
  });

  it('a secret rewritten behind the tool (its hash tag gone) shows as a change', async () => {
    const res = await adminCall(node().adminUrl, 'PUT', '/secret', {
      name: 'inline',
      namespace: 'every',
      data: 'changed by hand',
    });
    expect(res.status).toBe(201);
    const plan = await planJson('second');
    expect(plan.changes.map((c: { id: string }) => c.id)).toEqual(['every/inline']);
  });

  it('the hash tag is ours: plan, get and dump never show it as a user tag', async () => {
    const tags = (
      (await adminCall(node().adminUrl, 'GET', '/secret?namespace=every')).json.data as {
        name: string;
        tags?: string[];
      }[]
    ).find((s) => s.name === 'from-env')!.tags;
    expect(tags).toEqual(['sec:env', expect.stringMatching(/^dgate-cli\.value-hmac:[0-9a-f]{64}$/)]);
    const got = await dgateCli(['get', 'secret', 'from-env', '-n', 'every', '--format', 'json'], {
      env: env('second'),
    });
    expect(JSON.parse(got.stdout)[0].tags).toEqual(['sec:env']);
  });
});
