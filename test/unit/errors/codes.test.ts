import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codes } from '../../../src/errors/codes.js';

describe('error codes', () => {
  it('are each documented in docs/errors.md, and nothing else is', async () => {
    const doc = await readFile(path.resolve(import.meta.dirname, '../../../docs/errors.md'), 'utf8');
    const documented = [...doc.matchAll(/^## (DG\d{4})$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(codes).sort());
  });
});
