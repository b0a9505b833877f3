import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminCall, adminPut } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/**
 * The tags dgate-cli writes for itself (issue #17): DGate v0.11.1 stores them on any resource, so
 * what they do to dgate-cli is shown here on a real server, by raw admin-API writes, and a config
 * carrying them is refused (DG1122) where dgate-cli would misbehave, and only warned about where
 * nothing reads them.
 */
const node = useOwnDgateNode();
const temps = useTempDirs();

async function configDir(yaml: string): Promise<string> {
  const dir = await temps.make();
  await writeFile(path.join(dir, 'config.yaml'), yaml);
  return dir;
}

function envFor(base: string, state: string) {
  return { DGATE_ADMIN_URL: base, DGATE_CLI_STATE_DIR: state, DGATE_CLI_HASH_KEY: undefined };
}

describe('dgate-cli.tombstone on a resource DGate stores', () => {
  it('makes it a tombstone to dgate-cli: get marks it, dump leaves it out, plan deletes it outside --select-tag', async () => {
    const base = node().adminUrl;
    const env = envFor(base, await temps.make());
    await adminPut(base, 'namespace', { name: 'tomb' });
    await adminPut(base, 'service', {
      name: 'kept',
      namespace: 'tomb',
      urls: ['http://127.0.0.1:9/'],
      tags: ['team:a', 'dgate-cli.tombstone'],
    });
    await adminPut(base, 'service', {
      name: 'other',
      namespace: 'tomb',
      urls: ['http://127.0.0.1:9/'],
      tags: ['team:b'],
    });

    const got = await dgateCli(['get', 'service', 'kept', '--namespace', 'tomb', '--format', 'json'], { env });
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)[0].tombstone).toBeDefined();

    const out = path.join(await temps.make(), 'dump');
    expect((await dgateCli(['dump', '--out', out, '--namespace', 'tomb'], { env })).code).toBe(0);
    const dumped = await readFile(path.join(out, 'tomb.yaml'), 'utf8');
    expect(dumped).toContain('name: other');
    expect(dumped).not.toContain('name: kept');

    // Only team:b is managed, yet the service tagged team:a is planned for deletion.
    const planned = await dgateCli(['plan', out, '--select-tag', 'team:b', '--format', 'json'], { env });
    expect(planned.code).toBe(0);
    const changes = JSON.parse(planned.stdout).changes as { action: string; kind: string; id: string }[];
    expect(changes).toContainEqual(expect.objectContaining({ action: 'delete', kind: 'services', id: 'tomb/kept' }));
    // The service is still there: nothing was applied.
    expect((await adminCall(base, 'GET', '/service/kept?namespace=tomb')).status).toBe(200);
  });

  it('is refused in a config (DG1122), at the tag, saying why', async () => {
    const dir = await configDir(
      [
        'version: v1',
        'namespaces:',
        '  - name: tomb',
        '    services:',
        "      - { name: kept, urls: ['http://127.0.0.1:9/'], tags: [team:a, dgate-cli.tombstone] }",
        '',
      ].join('\n'),
    );
    const validated = await dgateCli(['validate', dir]);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain(
      `config.yaml:5:69: error DG1122: service 'tomb/kept' has the tag "dgate-cli.tombstone", which dgate-cli reserves for the tombstones a failed apply leaves on raft`,
    );
    // The escape does not get around it: it is the same label.
    const escaped = await configDir("version: v1\nnamespaces:\n  - name: tomb\n    tags: ['\\dgate-cli.tombstone']\n");
    const again = await dgateCli(['validate', escaped]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error DG1122: namespace \'tomb\' has the tag "dgate-cli.tombstone"');
  });
});

describe('dgate-cli.value-hmac: on a resource DGate stores', () => {
  it("on a secret, is read as the hash of its value: the user's tag disappears from get and dump", async () => {
    const base = node().adminUrl;
    const env = envFor(base, await temps.make());
    await adminPut(base, 'namespace', { name: 'hmac' });
    await adminPut(base, 'secret', {
      name: 'token',
      namespace: 'hmac',
      data: 'hunter2',
      tags: ['dgate-cli.value-hmac:0f3a', 'team:x'],
    });
    // DGate keeps both tags.
    const listed = (await adminCall(base, 'GET', '/secret?namespace=hmac')).json.data;
    expect(listed[0].tags).toEqual(['dgate-cli.value-hmac:0f3a', 'team:x']);

    const got = await dgateCli(['get', 'secret', 'token', '--namespace', 'hmac', '--format', 'json'], { env });
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)[0].tags).toEqual(['team:x']);

    const dir = await configDir(
      [
        'version: v1',
        'namespaces:',
        '  - name: hmac',
        '    secrets:',
        "      - { name: token, value: { fromEnv: TOKEN }, tags: ['dgate-cli.value-hmac:0f3a', 'team:x'] }",
        '',
      ].join('\n'),
    );
    const validated = await dgateCli(['validate', dir]);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(
      /config\.yaml:5:\d+: error DG1122: secret 'hmac\/token' has the tag "dgate-cli\.value-hmac:0f3a", which starts with 'dgate-cli\.value-hmac:'/,
    );
  });

  it('on any other kind, is a label like any other: dumped, validated with a warning, planned clean', async () => {
    const base = node().adminUrl;
    const env = envFor(base, await temps.make());
    await adminPut(base, 'namespace', { name: 'hmac-svc' });
    await adminPut(base, 'service', {
      name: 'svc',
      namespace: 'hmac-svc',
      urls: ['http://127.0.0.1:9/'],
      tags: ['dgate-cli.value-hmac:0f3a'],
    });
    const out = path.join(await temps.make(), 'dump');
    expect((await dgateCli(['dump', '--out', out, '--namespace', 'hmac-svc'], { env })).code).toBe(0);
    expect(await readFile(path.join(out, 'hmac-svc.yaml'), 'utf8')).toContain('dgate-cli.value-hmac:0f3a');

    const validated = await dgateCli(['validate', out]);
    expect(validated.code).toBe(0);
    expect(validated.stderr).toContain("warning DG1122: service 'hmac-svc/svc' has the tag");

    const planned = await dgateCli(['plan', out, '--detailed-exitcode'], { env });
    expect(planned.stdout).toContain('No changes.');
    expect(planned.code).toBe(0);
  });
});
