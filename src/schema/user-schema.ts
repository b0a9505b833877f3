import { Ajv2020, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import { validateMetaSchema } from './generated/meta-schema.validators.js';

// The generated file is untyped; this is the shape Ajv gives every standalone validator.
const checkMeta = validateMetaSchema as unknown as ValidateFunction;

const draft2020 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * An Ajv for JSON Schemas that users write (collection schemas, bundle parameters). It leaves the
 * check against the draft 2020-12 meta-schema to compileUserSchema, whose validator was compiled
 * ahead of time (bin/gen-validators.mjs): Ajv compiled the meta-schema itself on the first user
 * schema of every run, about 270 ms, a fifth of `dgate-cli validate examples/shop`.
 */
export function userSchemaAjv(options: Options): Ajv2020 {
  return new Ajv2020({ ...options, validateSchema: false });
}

/**
 * Compiles a user's schema after checking it against the meta-schema. It throws what Ajv's own
 * check throws ("schema is invalid: data/type must be ..."). A schema that names another `$schema`
 * is checked by Ajv itself, which refuses one it does not know, as it always did.
 */
export function compileUserSchema(ajv: Ajv2020, schema: object): ValidateFunction {
  const declared = (schema as { $schema?: unknown }).$schema;
  if (declared !== undefined && declared !== draft2020) {
    ajv.validateSchema(schema, true);
  } else if (!checkMeta(schema)) {
    throw new Error(`schema is invalid: ${ajv.errorsText(checkMeta.errors)}`);
  }
  return ajv.compile(schema);
}
