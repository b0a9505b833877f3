import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { generateTypes } from '../../bin/gen-types.mjs';

describe('generated types', () => {
  it('match schema/ (run `npm run gen:types` after changing a schema)', async () => {
    const generated = (await generateTypes()) as Map<string, string>;
    expect(generated.size).toBeGreaterThan(0);
    for (const [file, content] of generated) {
      const current = await readFile(file, 'utf8').catch(() => '(missing)');
      expect(current, `${file} is stale`).toBe(content);
    }
  });
});
