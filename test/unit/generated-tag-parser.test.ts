import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { generateTagParser, tagParserFile } from '../../bin/gen-grammar.mjs';

describe('generated tag parser', () => {
  it('matches src/select/tag-grammar.peggy (run `npm run gen:types` after changing the grammar)', async () => {
    const current = await readFile(tagParserFile as string, 'utf8').catch(() => '(missing)');
    expect(current).toBe(await generateTagParser());
  });
});
