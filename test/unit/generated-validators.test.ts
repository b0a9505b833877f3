import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import * as generator from '../../bin/gen-validators.mjs';

const { generateMetaValidator, generateValidators, metaValidatorFile, validatorsFile } = generator;

describe('precompiled schema validators', () => {
  it('match schema/config.schema.json (run `npm run gen:types` after changing it)', async () => {
    const current = await readFile(validatorsFile as string, 'utf8').catch(() => '(missing)');
    expect(current === (await generateValidators()), `${validatorsFile as string} is stale`).toBe(true);
  });

  it("match ajv's draft 2020-12 meta-schema (run `npm run gen:types` after upgrading ajv)", async () => {
    const current = await readFile(metaValidatorFile as string, 'utf8').catch(() => '(missing)');
    expect(current === (await generateMetaValidator()), `${metaValidatorFile as string} is stale`).toBe(true);
  });
});
