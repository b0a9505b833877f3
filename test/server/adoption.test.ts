import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { adminCall, adminPut } from '../harness/admin.js';
import { dgateCli } from '../harness/cli.js';
import { everyFieldKey, useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/**
 * Adopting a gateway that was built by hand (issue #17): whatever DGate v0.11.1 runs, dgate-cli
 * must dump, validate (warnings allowed) and plan with no changes. The cluster is loaded by raw
 * admin-API writes with every form DGate accepts and dgate-cli only warns about; the forms it
 * still refuses are shown failing on a real server in test/server/dgate-acceptance.test.ts.
 */
const node = useOwnDgateNode();
const temps = useTempDirs();

const b64 = (text: string) => Buffer.from(text).toString('base64');
const cert = '-----BEGIN CERTIFICATE-----\nMIIBdGF0ZQ==\n-----END CERTIFICATE-----\n';
const hostile = '../../escaped-ns';

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function loadEveryAcceptedForm(base: string): Promise<void> {
  const long = 'x'.repeat(300);
  await adminPut(base, 'namespace', { name: hostile, tags: ['svc', 'svc', 'a b'] });
  await adminPut(base, 'namespace', { name: 'café', tags: ['team:ops'] });
  await adminPut(base, 'namespace', { name: long });
  const ns = hostile;

  // Services: a name with '/', duplicate URLs, an ftp:// URL, a negative connect timeout, many retries.
  await adminPut(base, 'service', {
    name: 'a/b',
    namespace: ns,
    urls: ['http://127.0.0.1:9/', 'http://127.0.0.1:9/', 'ftp://127.0.0.1:21/files'],
    connectTimeout: -5_000_000_000,
    retries: 5000,
    tags: ['svc', 'svc'],
  });
  await adminPut(base, 'service', {
    name: 'with space',
    namespace: ns,
    urls: ['http://127.0.0.1:9/'],
    requestTimeout: -1,
  });
  await adminPut(base, 'service', { name: 'plain', namespace: 'café', urls: ['http://127.0.0.1:9/'] });
  await adminPut(base, 'service', { name: '', namespace: 'café', urls: ['http://127.0.0.1:9/'] });

  // Modules: a hostile name, a JavaScript module with export that no route uses, a 300-character name.
  await adminPut(base, 'module', { name: '../evil', namespace: ns, payload: b64('export const evil = 1;\n') });
  await adminPut(base, 'module', {
    name: 'esm',
    namespace: ns,
    moduleType: 'javascript',
    payload: b64('export const unused = 1;\n'),
  });
  await adminPut(base, 'module', {
    name: 'entry',
    namespace: ns,
    payload: b64('export const requestHandler = (ctx: any) => ctx.response().status(204).send();\n'),
  });
  await adminPut(base, 'module', { name: long, namespace: ns, payload: b64('export const long = true;\n') });
  await adminPut(base, 'module', { name: 'unicodé', namespace: 'café', payload: b64('export const x = 1;\n') });
  await adminPut(base, 'module', { name: '', namespace: 'café', payload: b64('export const nameless = 1;\n') });

  // Routes: '/{}', no paths, duplicate modules (stored once, sorted), a hostile module name.
  await adminPut(base, 'route', {
    name: 'params',
    namespace: ns,
    paths: ['/', '/{}', '/<id>', '/<id>/{id}'],
    methods: ['GET'],
    service: 'a/b',
    modules: ['entry', 'entry'],
  });
  await adminPut(base, 'route', { name: 'nowhere', namespace: ns, paths: [], methods: ['GET'] });
  await adminPut(base, 'route', {
    name: 'evil route',
    namespace: ns,
    paths: ['/evil'],
    methods: ['*'],
    modules: ['entry', '../evil'],
  });
  await adminPut(base, 'route', {
    name: long,
    namespace: 'café',
    paths: ['/long'],
    methods: ['GET', 'POST'],
    service: 'plain',
  });

  // Domains: duplicate patterns, an invalid regex, a space, no patterns, a cert without a key, a key without a cert.
  await adminPut(base, 'domain', {
    name: 'patterns',
    namespace: ns,
    patterns: ['a.example.com', 'a.example.com', '/([a-z/', 'with space'],
    priority: 3,
  });
  await adminPut(base, 'domain', { name: 'empty', namespace: ns, patterns: [] });
  await adminPut(base, 'domain', { name: 'cert-only', namespace: ns, patterns: ['c.example.com'], cert });
  await adminPut(base, 'domain', {
    name: 'key-only',
    namespace: 'café',
    patterns: ['k.example.com'],
    key: everyFieldKey.trimEnd(),
  });

  // Collections: a visibility DGate stores as given, documents in a fetcher, a document that breaks its schema.
  await adminPut(base, 'collection', {
    name: 'secretive',
    namespace: ns,
    visibility: 'secret',
    type: 'document',
    schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
  });
  await adminPut(base, 'collection', {
    name: 'fetched',
    namespace: ns,
    visibility: 'public',
    type: 'fetcher',
    schema: null,
  });
  await adminPut(base, 'collection', {
    name: 'docs with space',
    namespace: 'café',
    visibility: 'public',
    type: 'document',
    schema: null,
  });
  const putDocument = async (namespace: string, collection: string, id: string, data: unknown) => {
    const res = await adminCall(
      base,
      'PUT',
      `/document/${encodeURIComponent(id)}?namespace=${encodeURIComponent(namespace)}&collection=${encodeURIComponent(collection)}`,
      data,
    );
    expect(res.status, `document ${id}`).toBe(201);
  };
  await putDocument(ns, 'secretive', 'no title', { body: 42 });
  await putDocument(ns, 'secretive', 'titled', { title: 'ok' });
  await putDocument(ns, 'fetched', 'in a fetcher', { url: 'https://example.com' });
  await putDocument('café', 'docs with space', 'naïve id', [1, 2, null]);

  // Secrets: their values come back as environment references.
  await adminPut(base, 'secret', { name: 'a/secret', namespace: ns, data: 'hunter2' });
  await adminPut(base, 'secret', { name: 'token', namespace: 'café', data: 'café-token', tags: ['x', 'x'] });
  await adminPut(base, 'secret', { name: '', namespace: 'café', data: 'nameless' });
}

describe('adopting a cluster built with every form DGate accepts', () => {
  it('dumps without leaving its directory, validates with warnings only, and plans no changes', async () => {
    const base = node().adminUrl;
    await loadEveryAcceptedForm(base);

    // ../../ from any file the dump writes would still land inside `scratch`, where it is seen.
    const scratch = await temps.make();
    const out = path.join(scratch, 'one', 'two', 'three', 'dump');
    await mkdir(path.dirname(out), { recursive: true });
    const state = await temps.make();
    const env = { DGATE_ADMIN_URL: base, DGATE_CLI_STATE_DIR: state, DGATE_CLI_HASH_KEY: undefined };

    const dumped = await dgateCli(['dump', '--out', out], { env });
    expect(dumped.stderr).toBe('');
    expect(dumped.code).toBe(0);
    expect(dumped.stdout).toContain('names that are not safe file names were written escaped');
    const written = await filesUnder(scratch);
    expect(written.length).toBeGreaterThan(3);
    for (const file of written)
      expect(file.startsWith(path.join('one', 'two', 'three', 'dump') + path.sep), file).toBe(true);

    const validated = await dgateCli(['validate', out], { env });
    expect(validated.stderr).not.toMatch(/: error DG/);
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/is valid: 3 namespaces, \d+ resources in \d+ files \(\d+ warnings\)/);
    for (const code of [
      'DG1005',
      'DG1006',
      'DG1007',
      'DG1009',
      'DG1010',
      'DG1011',
      'DG1013',
      'DG1107',
      'DG1115',
      'DG1116',
    ]) {
      expect(validated.stderr, code).toContain(`warning ${code}: `);
    }

    // The values of what the dump turned into references, as the dump lists them.
    const listed =
      /set these before planning \(DGate never returns secret values\): (.+)\n/.exec(dumped.stdout)?.[1]?.split(', ') ??
      [];
    const values: Record<string, string> = {
      DGATE_SECRET_______ESCAPED_NS_A_SECRET: 'hunter2',
      DGATE_SECRET_CAF__TOKEN: 'café-token',
      DGATE_SECRET_CAF__: 'nameless',
      DGATE_DOMAIN_KEY_CAF__KEY_ONLY: everyFieldKey.trimEnd(),
    };
    expect(listed.sort()).toEqual(Object.keys(values).sort());

    const planned = await dgateCli(['plan', out, '--detailed-exitcode'], { env: { ...env, ...values } });
    expect(planned.stderr).not.toMatch(/: error DG|^error/m);
    expect(planned.stdout).toContain('No changes.');
    expect(planned.code).toBe(0);
  });
});

describe('adopting labels DGate stores that the config language would read as selectors (issue #17)', () => {
  /** Labels that start like a selector, or with the escape itself: DGate stores each as given. */
  const labels = ['#team', '!x', '?maybe', '@home', '@(2026-12-01T00:00:00Z)#launch:eu', '\\path', '\\#both', 'plain'];

  it('dumps them escaped, validates without an error and plans no changes', async () => {
    const base = node().adminUrl;
    const ns = 'labels';
    await adminPut(base, 'namespace', { name: ns, tags: labels });
    await adminPut(base, 'service', { name: 'svc', namespace: ns, urls: ['http://127.0.0.1:9/'], tags: labels });
    await adminPut(base, 'module', {
      name: 'mod',
      namespace: ns,
      payload: b64('export const requestHandler = (ctx: any) => ctx.response().status(204).send();\n'),
      tags: labels,
    });
    await adminPut(base, 'route', {
      name: 'rt',
      namespace: ns,
      paths: ['/labels'],
      methods: ['GET'],
      service: 'svc',
      modules: ['mod'],
      tags: labels,
    });
    await adminPut(base, 'domain', { name: 'dom', namespace: ns, patterns: ['labels.example.com'], tags: labels });
    await adminPut(base, 'collection', {
      name: 'col',
      namespace: ns,
      visibility: 'public',
      type: 'document',
      schema: null,
      tags: labels,
    });
    await adminPut(base, 'secret', { name: 'sec', namespace: ns, data: 'hunter2', tags: labels });
    // DGate keeps the labels verbatim: the namespace reads back with every one.
    expect((await adminCall(base, 'GET', `/namespace/${ns}`)).json.data.tags).toEqual(labels);

    const out = path.join(await temps.make(), 'dump');
    const env = { DGATE_ADMIN_URL: base, DGATE_CLI_STATE_DIR: await temps.make(), DGATE_CLI_HASH_KEY: undefined };
    const dumped = await dgateCli(['dump', '--out', out, '--namespace', ns], { env });
    expect(dumped.stderr).toBe('');
    expect(dumped.code).toBe(0);
    const yaml = await readFile(path.join(out, `${ns}.yaml`), 'utf8');
    for (const tag of ['\\#team', '\\!x', '\\?maybe', '\\@home', '\\@(2026-12-01T00:00:00Z)#launch:eu', '\\\\path'])
      expect(yaml).toContain(`- ${tag}\n`);
    expect(yaml).toContain('- \\\\#both\n');

    const validated = await dgateCli(['validate', out], { env });
    expect(validated.stderr).not.toMatch(/: error DG/);
    expect(validated.stderr).not.toContain('DG1701');
    expect(validated.code).toBe(0);

    const planned = await dgateCli(['plan', out, '--detailed-exitcode'], {
      env: { ...env, DGATE_SECRET_LABELS_SEC: 'hunter2' },
    });
    expect(planned.stderr).not.toMatch(/: error DG|^error/m);
    expect(planned.stdout).toContain('No changes.');
    expect(planned.code).toBe(0);
  });

  it('applies an escaped label as the plain label, and plans no changes after', async () => {
    const base = node().adminUrl;
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      [
        'version: v1',
        'namespaces:',
        '  - name: escaped',
        "    tags: ['\\#team', '\\\\path']",
        '    services:',
        "      - { name: svc, urls: ['http://127.0.0.1:9/'], tags: ['\\!x', '\\?maybe', '\\@home', plain] }",
        '',
      ].join('\n'),
    );
    const env = { DGATE_ADMIN_URL: base, DGATE_CLI_STATE_DIR: await temps.make(), DGATE_CLI_HASH_KEY: undefined };
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
    expect(applied.stderr).not.toMatch(/: error DG|^error/m);
    expect(applied.code).toBe(0);
    expect((await adminCall(base, 'GET', '/namespace/escaped')).json.data.tags).toEqual(['#team', '\\path']);
    const service = (await adminCall(base, 'GET', '/service/svc?namespace=escaped')).json.data;
    expect(service.tags).toEqual(['!x', '?maybe', '@home', 'plain']);

    const planned = await dgateCli(['plan', dir, '--detailed-exitcode'], { env });
    expect(planned.stdout).toContain('No changes.');
    expect(planned.code).toBe(0);
  });
});

describe('adopting upstream URLs DGate stores escaped (issue #17)', () => {
  it('applies a URL with a space and characters Go escapes, and plans no changes after', async () => {
    const base = node().adminUrl;
    const dir = await temps.make();
    const urls = ['HTTP://127.0.0.1:9/a b', 'http://127.0.0.1:9/x"y<z>{w}|v^u`t', 'http://127.0.0.1:9/caf\u00e9/%7e#'];
    await writeFile(
      path.join(dir, 'config.yaml'),
      [
        'version: v1',
        'namespaces:',
        '  - name: urls',
        '    services:',
        `      - { name: spaced, urls: ${JSON.stringify(urls)} }`,
        '',
      ].join('\n'),
    );
    const env = { DGATE_ADMIN_URL: base, DGATE_CLI_STATE_DIR: await temps.make(), DGATE_CLI_HASH_KEY: undefined };
    const validated = await dgateCli(['validate', dir], { env });
    expect(validated.code).toBe(0);
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env });
    expect(applied.stderr).not.toMatch(/: error DG|^error/m);
    expect(applied.code).toBe(0);
    // What DGate keeps: Go's url.String() of each.
    expect((await adminCall(base, 'GET', '/service/spaced?namespace=urls')).json.data.urls).toEqual([
      'http://127.0.0.1:9/a%20b',
      'http://127.0.0.1:9/x%22y%3Cz%3E%7Bw%7D%7Cv%5Eu%60t',
      // The path needed escaping (é), so Go writes all of it afresh: %7e becomes ~, the empty # goes.
      'http://127.0.0.1:9/caf%C3%A9/~',
    ]);

    const planned = await dgateCli(['plan', dir, '--detailed-exitcode'], { env });
    expect(planned.stderr).not.toMatch(/: error DG|^error/m);
    expect(planned.stdout).toContain('No changes.');
    expect(planned.code).toBe(0);

    // The dump writes them as DGate keeps them, and that plans no changes either.
    const out = path.join(await temps.make(), 'dump');
    expect((await dgateCli(['dump', '--out', out, '--namespace', 'urls'], { env })).code).toBe(0);
    const replanned = await dgateCli(['plan', out, '--detailed-exitcode'], { env });
    expect(replanned.stdout).toContain('No changes.');
    expect(replanned.code).toBe(0);
  });
});

describe("adopting upstream URLs Go's url.Parse takes and a browser's parser refuses (issue #14)", () => {
  it('DGate stores them; they dump, validate without an error and plan no changes', async () => {
    const base = node().adminUrl;
    // A port past 65535, a host that is not an IPv4 address, an IPv6 zone: DG1106 once refused
    // all three, checked with WHATWG's parser instead of Go's.
    const urls = ['http://127.0.0.1:99999/', 'http://1.2.3.256:9/', 'http://[fe80::1%25en0]:9/'];
    await adminPut(base, 'namespace', { name: 'go-urls' });
    await adminPut(base, 'service', { name: 'odd', namespace: 'go-urls', urls });
    expect((await adminCall(base, 'GET', '/service/odd?namespace=go-urls')).json.data.urls).toEqual(urls);

    const env = { DGATE_ADMIN_URL: base, DGATE_CLI_STATE_DIR: await temps.make(), DGATE_CLI_HASH_KEY: undefined };
    const out = path.join(await temps.make(), 'dump');
    expect((await dgateCli(['dump', '--out', out, '--namespace', 'go-urls'], { env })).code).toBe(0);
    const validated = await dgateCli(['validate', out], { env });
    expect(validated.stderr).not.toMatch(/error DG/);
    expect(validated.code).toBe(0);
    const planned = await dgateCli(['plan', out, '--detailed-exitcode'], { env });
    expect(planned.stdout).toContain('No changes.');
    expect(planned.code).toBe(0);
  });
});
