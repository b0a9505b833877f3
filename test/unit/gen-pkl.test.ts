import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script without type declarations
import { generatePklFromSchema } from '../../bin/gen-pkl.mjs';
import { configSchema } from '../../src/schema/generated/config.schema.js';

const generate = generatePklFromSchema as (
  schema: unknown,
  options?: { rootDef?: string; moduleName?: string; paramRefs?: boolean },
) => string;
const withProperty = (property: unknown) => ({
  type: 'object',
  additionalProperties: false,
  properties: { x: property },
});

describe('gen-pkl (the Pkl schema from the JSON Schema)', () => {
  const pkl = generate(configSchema);

  it('maps types, constraints, defaults, optionality and descriptions', () => {
    expect(pkl).toContain('module dgate.Config');
    expect(pkl).toContain('  retries: Int(this >= 0) = 3');
    expect(pkl).toContain(
      '  urls: Listing<String(contains(Regex(#"^[A-Za-z][A-Za-z0-9+.-]*://[^\\s/?#]+([/?#].*)?$"#)))>(!isEmpty)',
    );
    expect(pkl).toContain('  type: ("typescript"|"javascript")?');
    expect(pkl).toContain('  keepVersions: (Int(isBetween(1, 100)))?');
    expect(pkl).toContain(
      'typealias SafeName = String(length.isBetween(1, 253), contains(Regex(#"^[A-Za-z0-9._-]+$"#)))',
    );
    // DGate takes any resource name; validate warns (and refuses the empty ones DGate refuses).
    expect(pkl).toContain('typealias Name = String\n');
    expect(pkl).toContain('  /// Retries after a failed upstream request.');
    expect(pkl).toContain('  @Deprecated\n  hideDGateHeaders: Boolean?');
    expect(pkl).toContain('  `as`: SafeName');
    // A map of one value type (a smoke check's headers) is a Mapping of it.
    expect(pkl).toContain('  headers: Mapping<String, String>?');
  });

  it('turns oneOf groups and dependentRequired into constraints on the object', () => {
    expect(pkl).toContain(
      'SecretSource(List(this.fromEnv, this.fromFile, this.encrypted, this.fromEncryptedFile, this.value).count((it) -> it != null) == 1)',
    );
    expect(pkl).toContain('this.keyHeader == null || this.keyEnv != null');
  });

  it('renders nulls in free-form JSON and a null document data, leaving unset class fields out', () => {
    // Pkl's JsonRenderer drops nulls; the converters keep those of Dynamic, Mapping and Map.
    expect(pkl).toContain('  local jsonNull = new RenderDirective { text = "null" }');
    for (const kind of ['Dynamic', 'Mapping', 'Map'])
      expect(pkl).toContain(`      [${kind}] = (it) -> withNulls(it)\n`);
    expect(pkl).toContain('      ["namespaces[*].collections[*].documents[*].data"] = (it) -> withNulls(it)\n');
    expect(pkl).not.toContain('omitNullProperties');
    const resources = generate(configSchema, {
      rootDef: 'BundleResources',
      moduleName: 'dgate.BundleResources',
      paramRefs: true,
    });
    expect(resources).toContain('      ["collections[*].documents[*].data"] = (it) -> withNulls(it)\n');
  });

  it('renames a def that pkl:base would shadow in an amending module', () => {
    expect(pkl).toContain('typealias DurationString = ');
    expect(pkl).not.toMatch(/typealias Duration =/);
  });

  it('covers every property of every object the config can hold', () => {
    for (const name of Object.keys(configSchema.properties)) expect(pkl).toMatch(new RegExp(`^${name}: `, 'm'));
    for (const def of [
      'ServiceSpec',
      'RouteSpec',
      'ModuleSpec',
      'DomainSpec',
      'CollectionSpec',
      'SecretSpec',
      'TargetSpec',
      'BundleUse',
    ]) {
      const properties = Object.keys(
        (configSchema.$defs as unknown as Record<string, { properties: object }>)[def]!.properties,
      );
      const body = pkl.slice(pkl.indexOf(`class ${def} {`), pkl.indexOf('\n}', pkl.indexOf(`class ${def} {`)));
      for (const p of properties) expect(body, `${def}.${p}`).toMatch(new RegExp(`^  \`?${p}\`?: `, 'm'));
    }
  });

  it.each([
    ['a format', { type: 'string', format: 'email' }],
    ['a list of types', { type: ['string', 'null'] }],
    ['a non-string enum', { enum: [1, 2] }],
    ['an open object with properties', { type: 'object', properties: { a: { type: 'string' } } }],
    ['patternProperties', { type: 'object', patternProperties: { '^a': {} } }],
    ['allOf', { allOf: [{ type: 'string' }] }],
    [
      'a oneOf that is not required-groups',
      {
        type: 'object',
        additionalProperties: false,
        properties: { a: { type: 'string' } },
        oneOf: [{ properties: { a: { const: 'x' } } }],
      },
    ],
    ['an unknown $ref', { $ref: '#/$defs/Nope' }],
    ['multipleOf', { type: 'integer', multipleOf: 2 }],
  ])('fails loudly on %s instead of dropping it', (_what, property) => {
    expect(() => generate(withProperty(property))).toThrow(/gen-pkl: .*has no Pkl mapping/);
  });

  describe('the bundle schemas', () => {
    const manifest = generate(configSchema, { rootDef: 'BundleManifest', moduleName: 'dgate.Bundle' });
    const resources = generate(configSchema, {
      rootDef: 'BundleResources',
      moduleName: 'dgate.BundleResources',
      paramRefs: true,
    });

    it('makes a module of the manifest definition, with free-form parameters', () => {
      expect(manifest).toContain('module dgate.Bundle\n');
      expect(manifest).toMatch(/^name: String\(contains\(Regex/m);
      expect(manifest).toContain('\nparameters: Dynamic?\n');
      expect(manifest).not.toContain('class Param');
    });

    it('lets every property and list element of a resource file be a Param, with the real type as the default', () => {
      expect(resources).toContain('module dgate.BundleResources\n');
      expect(resources).toContain('routes: (*(Listing<*RouteSpec|Param>)|Param)?');
      expect(resources).toContain('  retries: *(Int(this >= 0))|Param = 3\n');
      expect(resources).toContain('  service: (*Name|Param)?');
      // a const stays itself: `version = param("v")` would make no sense
      expect(resources).toContain('version: "v1" = "v1"');
      expect(resources).toContain('class Param {\n');
      expect(resources).toContain('function param(name: String): Param = new Param { param = name }');
      expect(resources).not.toContain('class NamespaceSpec');
      expect(resources).not.toContain('class TargetSpec');
    });

    it('fails loudly on a root definition that is not a closed object', () => {
      expect(() => generate(configSchema, { rootDef: 'Name' })).toThrow(
        /gen-pkl: \$defs\/Name: a root that is not a closed object/,
      );
      expect(() => generate(configSchema, { rootDef: 'Nope' })).toThrow(/gen-pkl: \$defs\/Nope: a missing definition/);
    });
  });
});
