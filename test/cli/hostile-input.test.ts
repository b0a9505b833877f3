import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dgateCli } from '../harness/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'dgate-cli-hostile-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a YAML alias bomb', () => {
  it('is refused by compile with a located DG1001, without expanding it', async () => {
    const lines = ['version: v1', 'namespaces:', '  - name: ns', '    collections:', '      - name: c', '        documents:', '          - id: d', '            data:'];
    lines.push(`              a0: &a0 [${Array(9).fill('"lol"').join(', ')}]`);
    for (let i = 1; i < 10; i++) lines.push(`              a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    const file = path.join(dir, 'bomb.yaml');
    await writeFile(file, lines.join('\n') + '\n');
    const result = await dgateCli(['compile', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/bomb\.yaml:14:24: error DG1001: aliases expand this document past 100000 values/);
    expect(result.stderr).toMatch(/^ {2}hint: /m);
  });
});
