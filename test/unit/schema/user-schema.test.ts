import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { compileUserSchema, userSchemaAjv } from '../../../src/schema/user-schema.js';

// compileUserSchema checks a schema against the meta-schema with a validator compiled ahead of
// time; it must accept and refuse exactly what Ajv's own run-time check does, in the same words.
const schemas: [string, object][] = [
  ['an object schema', { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }],
  ['a wrong type name', { properties: { a: { type: 'strin' } } }],
  ['a number for type', { type: 5 }],
  ['required as a string', { required: 'a' }],
  ['a negative minLength under $defs', { $defs: { x: { minLength: -1 } } }],
  ['a $ref into $defs', { items: { $ref: '#/$defs/x' }, $defs: { x: { type: 'number' } } }],
  ['the 2020-12 $schema named', { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'string' }],
  ['an unknown $schema', { $schema: 'http://example.com/nope', type: 'string' }],
  ['a draft-07 $schema', { $schema: 'http://json-schema.org/draft-07/schema#', type: 'string' }],
];

function outcome(compile: () => unknown): string {
  try {
    compile();
    return 'compiled';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('user schemas are checked against the meta-schema ahead of time', () => {
  it.each(schemas)('%s: the same outcome as Ajv compiling the meta-schema at run time', (_, schema) => {
    const runtime = new Ajv2020({ allErrors: true, strict: false, validateFormats: false });
    const ahead = userSchemaAjv({ allErrors: true, strict: false, validateFormats: false });
    expect(outcome(() => compileUserSchema(ahead, schema))).toBe(outcome(() => runtime.compile(schema)));
  });

  it('refuses an invalid schema with the path and the rule it breaks', () => {
    expect(() => compileUserSchema(userSchemaAjv({ allErrors: true }), { required: 'a' })).toThrow(
      'schema is invalid: data/required must be array',
    );
  });
});
