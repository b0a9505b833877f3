import { describe, expect, it } from 'vitest';
import { checkConfigSchema, pointerToPath } from '../../../src/load/check-schema.js';
import type { ParsedDocument, YamlPath } from '../../../src/load/parse-yaml.js';

/**
 * A document held in memory: its locate names the path it was asked for (and `#key` for the key),
 * so each diagnostic shows exactly where check-schema points, without a YAML parser.
 */
function doc(value: unknown): ParsedDocument {
  return {
    source: { path: 'cfg/a.yaml', rel: 'a.yaml', text: '' },
    value,
    index: 0,
    locate: (path: YamlPath, opts?: { key?: boolean }) => ({
      file: `${path.join('.')}${opts?.key ? '#key' : ''}`,
      line: path.length,
      col: 1,
    }),
  };
}

const service = (fields: Record<string, unknown>) => ({
  version: 'v1',
  namespaces: [{ name: 'shop', services: [{ name: 'catalog', urls: ['http://127.0.0.1:8081'], ...fields }] }],
});
const secret = (value: unknown) => ({ version: 'v1', namespaces: [{ name: 'shop', secrets: [{ name: 's', value }] }] });

/** Each diagnostic as `CODE at: message (hint)`. */
function check(value: unknown, definition?: string): string[] {
  return checkConfigSchema(doc(value), definition).diagnostics.map(
    (d) => `${d.code} ${d.location?.file}: ${d.message} (${d.hint})`,
  );
}

describe('checkConfigSchema', () => {
  it('passes a valid document with nothing to say', () => {
    expect(checkConfigSchema(doc(service({ retries: 3, requestTimeout: '5s' })))).toEqual({
      diagnostics: [],
      errorPaths: [],
    });
  });

  it('names an unknown field at its key, in the resource it sits in, with the nearest allowed name', () => {
    expect(check(service({ retires: 3 }))).toEqual([
      "DG1002 namespaces.0.services.0.retires#key: unknown field 'retires' in service 'shop/catalog' (did you mean 'retries'?)",
    ]);
    expect(check({ version: 'v1', zzz: 1 })).toEqual([
      "DG1002 zzz#key: unknown field 'zzz' at the top of the file (allowed fields here: version, settings, targets, namespaces, bundles)",
    ]);
  });

  it('says what is missing, and where it is missing from', () => {
    expect(check({ namespaces: [] })).toEqual([
      "DG1004 : missing 'version' (every config file starts with 'version: v1')",
    ]);
    expect(check({ version: 'v1', namespaces: [{ name: 'shop', services: [{ urls: ['http://x'] }] }] })).toEqual([
      `DG1004 namespaces.0.services.0: missing required field 'name' in service 'shop/#1' (add 'name:' with a name made of letters, digits, ".", "_" or "-")`,
    ]);
  });

  it('explains a wrong type, a value out of range and a value not allowed', () => {
    expect(check(service({ retries: '3' }))).toEqual([
      `DG1003 namespaces.0.services.0.retries: field 'retries' in service 'shop/catalog' must be an integer, not string "3" (write an integer: retries after a failed upstream request.)`,
    ]);
    expect(check(service({ retries: -1 }))).toEqual([
      "DG1009 namespaces.0.services.0.retries: field 'retries' in service 'shop/catalog' is -1, but must be at least 0 (Retries after a failed upstream request.)",
    ]);
    expect(check({ version: 'v2' })).toEqual([
      `DG1005 version: field 'version' is string "v2", which is not allowed (did you mean 'v1'? allowed: v1)`,
    ]);
  });

  it('tells a malformed duration from a negative one, and says DGate refuses a negative retryTimeout', () => {
    expect(check(service({ requestTimeout: '5 seconds' }))).toEqual([
      `DG1007 namespaces.0.services.0.requestTimeout: field 'requestTimeout' in service 'shop/catalog' is not a duration: string "5 seconds" (write a duration such as 250ms, 5s, 1m or 1h30m)`,
    ]);
    expect(check(service({ retryTimeout: '-5s' }))[0]).toMatch(
      /^DG1007 namespaces\.0\.services\.0\.retryTimeout: .* is negative: string "-5s" \(DGate refuses a negative retryTimeout/,
    );
    expect(check(service({ connectTimeout: '-5s' }))).toEqual([]);
  });

  it('explains a oneOf from its alternatives: two given, at the second, or none', () => {
    expect(check(secret({ fromEnv: 'A', fromFile: 'x' }))).toEqual([
      "DG1008 namespaces.0.secrets.0.value.fromFile#key: 'fromEnv' and 'fromFile' cannot be used together in secret 'shop/s' (keep exactly one of 'fromEnv', 'fromFile', 'encrypted', 'fromEncryptedFile', 'value')",
    ]);
    expect(check(secret({}))[0]).toMatch(
      /^DG1008 namespaces\.0\.secrets\.0\.value: field 'value' in secret 'shop\/s' needs one of 'fromEnv', 'fromFile'/,
    );
  });

  it('names the pattern a value breaks, and never echoes the password of a URL', () => {
    expect(check(secret({ fromEnv: '1A' }))).toEqual([
      `DG1012 namespaces.0.secrets.0.value.fromEnv: field 'fromEnv' in secret 'shop/s' does not have the expected form: string "1A" (an environment variable name: letters, digits and _, not starting with a digit)`,
    ]);
    const target = check({ version: 'v1', targets: [{ name: 'a b', admin: 'http://u:secretpw@h:9080' }] });
    expect(target[0]).toBe(
      `DG1006 targets.0.name: field 'name' "a b" is not a valid name: names may use only letters, digits, '.', '_' and '-' (rename it, e.g. replace spaces and slashes with "-")`,
    );
    expect(target[1]).toMatch(
      /^DG1003 targets\.0\.admin: field 'admin' must be a list, not string "http:\/\/\*\*\*@h:9080"/,
    );
    expect(target.join('\n')).not.toContain('secretpw');
  });

  it('says a list must not be empty', () => {
    expect(check(service({ urls: [] }))[0]).toMatch(
      /^DG1011 namespaces\.0\.services\.0\.urls: field 'urls' in service 'shop\/catalog' must not be empty/,
    );
  });

  it('lists every problem, and the paths that broke the schema for later checks to leave out', () => {
    const result = checkConfigSchema(doc({ ...service({ retries: '3', retires: 1 }), zzz: 1 }));
    expect(result.diagnostics.map((d) => d.code).sort()).toEqual(['DG1002', 'DG1002', 'DG1003']);
    expect(result.errorPaths).toEqual(
      expect.arrayContaining([[], ['namespaces', 0, 'services', 0], ['namespaces', 0, 'services', 0, 'retries']]),
    );
  });

  it('checks against one definition when asked (a bundle manifest)', () => {
    expect(check({ name: 'x', version: '1.0.0', extra: 1 }, 'BundleManifest')).toEqual([
      "DG1004 : missing required field 'description' (add 'description:')",
      "DG1002 extra#key: unknown field 'extra' at the top of the file (allowed fields here: name, version, description, dgateCli, parameters, policy)",
    ]);
    expect(() => check({}, 'NoSuchDefinition')).toThrow(/no precompiled validator for NoSuchDefinition/);
  });
});

describe('pointerToPath', () => {
  it('turns a JSON pointer into keys and list indexes, unescaping ~1 and ~0', () => {
    expect(pointerToPath('')).toEqual([]);
    expect(pointerToPath('/namespaces/0/services/12/name')).toEqual(['namespaces', 0, 'services', 12, 'name']);
    expect(pointerToPath('/data/a~1b/c~0d/~01')).toEqual(['data', 'a/b', 'c~d', '~1']);
  });
});
