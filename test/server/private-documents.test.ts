import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminCall } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

const config = (title: string) => `version: v1
namespaces:
  - name: vault
    collections:
      - name: notes
        visibility: private
        documents:
          - { id: welcome, data: { title: ${JSON.stringify(title)}, pinned: true } }
`;

/**
 * DGate answers 403 to reading documents of private collections, to the admin API too, so plan
 * cannot compare them. An edit must still be deployed: it is found against what the latest
 * release wrote, and shown without values.
 */
describe('documents of private collections, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  const env = () => ({ DGATE_ADMIN_URL: node().adminUrl });
  const planJson = async (dir: string, ...flags: string[]) => {
    const result = await dgateCli(['plan', dir, '--format', 'json', ...flags], { env: env() });
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as {
      changes: { action: string; id: string; fields: unknown[] }[];
      unverifiable: { documents: string[] };
    };
  };
  /** The stored document, read by making the collection public for a moment (DGate hides it otherwise). */
  const storedTitle = async () => {
    await adminCall(node().adminUrl, 'PUT', '/collection', {
      name: 'notes',
      namespace: 'vault',
      schema: null,
      visibility: 'public',
      type: 'document',
    });
    // DGate's paging: limit 0 with the largest offset lists every document (see src/cluster/system-store.ts).
    const list = await adminCall(
      node().adminUrl,
      'GET',
      '/document?namespace=vault&collection=notes&limit=0&offset=2147483647',
    );
    await adminCall(node().adminUrl, 'PUT', '/collection', {
      name: 'notes',
      namespace: 'vault',
      schema: null,
      visibility: 'private',
      type: 'document',
    });
    return (list.json.documents as { id: string; data: { title: string } }[]).find((d) => d.id === 'welcome')!.data
      .title;
  };

  it('an edit is planned as a change, applied, and then plans clean; --refresh writes it again', async () => {
    const dir = await temps.make();
    await writeFile(path.join(dir, 'vault.yaml'), config('first'));
    expect((await dgateCli(['apply', dir, '--auto-approve'], { env: env() })).code).toBe(0);
    // DGate really hides it.
    expect((await adminCall(node().adminUrl, 'GET', '/document?namespace=vault&collection=notes')).status).toBe(403);
    const clean = await planJson(dir);
    expect(clean.changes).toEqual([]);
    expect(clean.unverifiable.documents).toEqual(['vault/notes/welcome']);

    await writeFile(path.join(dir, 'vault.yaml'), config('second'));
    const edited = await planJson(dir);
    expect(edited.changes.map((c) => [c.action, c.id, c.fields])).toEqual([
      [
        'update',
        'vault/notes/welcome',
        [{ field: 'data', unreadable: '(not readable from DGate; changed since the last apply)' }],
      ],
    ]);
    const human = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(human.code).toBe(2);
    expect(human.stdout).toContain('data: (not readable from DGate; changed since the last apply)');
    expect(human.stdout).not.toContain('second');
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/✓ update document vault\/notes\/welcome/);
    expect(await storedTitle()).toBe('second');
    expect((await planJson(dir)).changes).toEqual([]);

    const refreshed = await planJson(dir, '--refresh');
    expect(refreshed.changes.map((c) => [c.action, c.id, c.fields])).toEqual([
      [
        'update',
        'vault/notes/welcome',
        [{ field: 'data', unreadable: '(not readable from DGate; written again: --refresh)' }],
      ],
    ]);
  });

  it('a document no release wrote (put there by hand) is written, since it cannot be compared', async () => {
    const dir = await temps.make();
    await writeFile(path.join(dir, 'vault.yaml'), config('by config').replace(/vault/g, 'other'));
    await adminCall(node().adminUrl, 'PUT', '/namespace', { name: 'other' });
    await adminCall(node().adminUrl, 'PUT', '/collection', {
      name: 'notes',
      namespace: 'other',
      schema: null,
      visibility: 'private',
      type: 'document',
    });
    await adminCall(node().adminUrl, 'PUT', '/document/welcome?namespace=other&collection=notes', { title: 'by hand' });
    const plan = await planJson(dir);
    expect(plan.changes.map((c) => [c.action, c.id, c.fields])).toEqual([
      [
        'update',
        'other/notes/welcome',
        [{ field: 'data', unreadable: '(not readable from DGate; not in the last release, so written)' }],
      ],
    ]);
  });
});
