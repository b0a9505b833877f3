import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { kindOrder } from '../../src/model/registry.js';
import type { DesiredState } from '../../src/schema/generated/desired-state.js';
import { planSchema } from '../../src/schema/generated/plan.schema.js';
import { adminCall, adminPut } from '../harness/admin.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import {
  compileDir,
  editFile,
  everyFieldDir,
  everyFieldKey,
  fixtureSecret,
  secretEnv,
  useTempDirs,
} from '../harness/fixtures.js';
import { handApply } from '../harness/hand-apply.js';
import { useOwnDgateNode } from '../harness/node.js';

const configs = [
  ['examples/shop', path.join(repoRoot, 'examples/shop')],
  ['examples/blog', path.join(repoRoot, 'examples/blog')],
  ['the every-field fixture', everyFieldDir],
] as const;

const validatePlan = new Ajv2020({ strict: true, strictRequired: false, allErrors: true }).compile(
  planSchema as unknown as object,
);

describe('plan', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  /** Each config is compiled once for the file: the same files compile to the same state. */
  const compiled = new Map<string, Promise<DesiredState>>();
  const compileOnce = (dir: string) => {
    if (!compiled.has(dir)) compiled.set(dir, compileDir(dir));
    return compiled.get(dir)!;
  };
  const plan = (args: string[], env: Record<string, string> = {}) =>
    dgateCli(['plan', ...args], { env: { DGATE_ADMIN_URL: node().adminUrl, ...secretEnv, ...env } });
  const planJson = async (dir: string, extra: string[] = []) => {
    const result = await plan([dir, '--format', 'json', ...extra]);
    expect(result.stderr.replace(/^.*warning DG19\d\d.*\n( {2}hint: .*\n)?/gm, '')).toBe('');
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout);
    expect(validatePlan(parsed), JSON.stringify(validatePlan.errors)).toBe(true);
    return parsed;
  };

  describe('on an empty cluster', () => {
    it.each(configs)('lists every resource of %s as a create, in dependency order', async (_, dir) => {
      const [state, json] = await Promise.all([compileOnce(dir), planJson(dir)]);
      const expected = kindOrder.flatMap((k) => state.resources[k].map(() => k));
      expect(json.changes.map((c: { kind: string }) => c.kind)).toEqual(expected);
      expect(json.changes.every((c: { action: string }) => c.action === 'create')).toBe(true);
      expect(json.summary).toEqual({ create: expected.length, update: 0, delete: 0 });
    });
  });

  describe('after the same resources are put in by hand', () => {
    beforeAll(async () => {
      for (const [, dir] of configs) await handApply(node().adminUrl, await compileOnce(dir), fixtureSecret(dir));
    });

    it.each(configs)('says "No changes" for %s, exit 0 with --detailed-exitcode', async (_, dir) => {
      const [state, result, json] = await Promise.all([
        compileOnce(dir),
        plan([dir, '--detailed-exitcode']),
        planJson(dir),
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`No changes. The cluster matches ${state.version}.`);
      expect(json.changes).toEqual([]);
    });

    it('leaves namespaces the config does not declare alone, and says so', async () => {
      const json = await planJson(path.join(repoRoot, 'examples/shop'));
      expect(json.scope.namespaces).toEqual(['shop']);
      expect(json.leftAlone.namespaces).toEqual(['blog', 'default', 'every']);
      const human = await plan(['examples/shop']);
      expect(human.stdout).toContain('Left alone: 3 namespaces not in the config (blog, default, every).');
    });

    it('says which values it cannot compare', async () => {
      const json = await planJson(everyFieldDir);
      expect(json.unverifiable).toEqual({
        secretValues: ['every/from-env', 'every/from-file', 'every/inline'],
        documents: ['every/private-docs/hidden'],
      });
    });

    describe('each single-field edit shows exactly that one change', () => {
      const file = 'everything.yaml';
      // [what, from, to, kind, id, fields]
      const edits: [string, string, string, string, string, string[]][] = [
        [
          'namespace tags',
          'tags: [team:platform, "tier:gold"]',
          'tags: [team:platform]',
          'namespaces',
          'every',
          ['tags'],
        ],
        ['service retries', 'retries: 7', 'retries: 8', 'services', 'every/full', ['retries']],
        ['service urls', 'http://127.0.0.1:9080/]', 'http://127.0.0.1:9090/]', 'services', 'every/full', ['urls']],
        [
          'service retryTimeout',
          'retryTimeout: 1m30s',
          'retryTimeout: 1m31s',
          'services',
          'every/full',
          ['retryTimeout'],
        ],
        [
          'service connectTimeout',
          'connectTimeout: 250ms',
          'connectTimeout: 251ms',
          'services',
          'every/full',
          ['connectTimeout'],
        ],
        [
          'service requestTimeout',
          'requestTimeout: 10s',
          'requestTimeout: 11s',
          'services',
          'every/full',
          ['requestTimeout'],
        ],
        [
          'service tlsSkipVerify',
          'tlsSkipVerify: true',
          'tlsSkipVerify: false',
          'services',
          'every/full',
          ['tlsSkipVerify'],
        ],
        ['service http2Only', 'http2Only: true', 'http2Only: false', 'services', 'every/full', ['http2Only']],
        ['service tags', 'tags: [svc:full]', 'tags: [svc:full, extra]', 'services', 'every/full', ['tags']],
        ['module source', 'status(204)', 'status(200)', 'modules', 'every/inline', ['payload']],
        ['module tags', 'tags: [mod:entry]', 'tags: [mod:other]', 'modules', 'every/entry', ['tags']],
        ['route paths', '/full/files/*]', '/full/blobs/*]', 'routes', 'every/full', ['paths']],
        [
          'route methods',
          'methods: [GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD]',
          'methods: [GET, POST]',
          'routes',
          'every/full',
          ['methods'],
        ],
        ['route preserveHost', 'preserveHost: true', 'preserveHost: false', 'routes', 'every/full', ['preserveHost']],
        ['route stripPath', 'stripPath: true', 'stripPath: false', 'routes', 'every/full', ['stripPath']],
        ['route service', 'service: minimal }', 'service: full }', 'routes', 'every/plain', ['service']],
        ['route modules', 'modules: [entry, helper]', 'modules: [entry]', 'routes', 'every/full', ['modules']],
        ['route tags', 'tags: [rt:full]', 'tags: [rt:other]', 'routes', 'every/full', ['tags']],
        ['domain patterns', '"*.every.example.com"]', '"*.every.example.net"]', 'domains', 'every/tls', ['patterns']],
        ['domain priority', 'priority: 42', 'priority: 43', 'domains', 'every/tls', ['priority']],
        ['domain tags', 'tags: [dom:tls]', 'tags: [dom:other]', 'domains', 'every/tls', ['tags']],
        [
          'collection schema',
          'n: { type: integer, default: 0 }',
          'n: { type: number, default: 0 }',
          'collections',
          'every/public-docs',
          ['schema'],
        ],
        [
          'collection visibility',
          'visibility: public',
          'visibility: private',
          'collections',
          'every/public-docs',
          ['visibility'],
        ],
        ['collection tags', 'tags: [col:public]', 'tags: [col:other]', 'collections', 'every/public-docs', ['tags']],
        [
          'document data',
          'data: { title: One, n: 1,',
          'data: { title: Uno, n: 1,',
          'documents',
          'every/public-docs/one',
          ['data'],
        ],
        ['a scalar document', 'data: 42', 'data: 43', 'documents', 'every/no-schema/scalar', ['data']],
        ['secret tags', 'tags: [sec:env]', 'tags: [sec:other]', 'secrets', 'every/from-env', ['tags']],
      ];
      it.concurrent.each(edits)('%s', async (_, from, to, kind, id, fields) => {
        const dir = await temps.make(everyFieldDir);
        await editFile(path.join(dir, file), from, to);
        const json = await planJson(dir);
        expect(
          json.changes.map((c: { action: string; kind: string; id: string; fields: { field: string }[] }) => [
            c.action,
            c.kind,
            c.id,
            c.fields.map((f) => f.field),
          ]),
        ).toEqual([['update', kind, id, fields]]);
      });

      it('a changed domain key, masked', async () => {
        const dir = await temps.make(everyFieldDir);
        await editFile(
          path.join(dir, 'tls/every.key'),
          '-----END PRIVATE KEY-----',
          '-----END PRIVATE KEY-----\nextra',
        );
        const json = await planJson(dir);
        expect(json.changes).toHaveLength(1);
        expect(json.changes[0].fields).toEqual([{ field: 'key', sensitive: true }]);
        const human = await plan([dir]);
        expect(human.stdout).toContain('key: (sensitive value changed)');
        for (const out of [human.stdout, human.stderr, JSON.stringify(json)]) expect(out).not.toContain('PRIVATE KEY');
      });
    });

    it('shows a module source change as a unified diff', async () => {
      const dir = await temps.make(everyFieldDir);
      await editFile(path.join(dir, 'modules/entry.ts'), "'entry'", "'changed'");
      const result = await plan([dir, '--detailed-exitcode']);
      expect(result.code).toBe(2);
      expect(result.stdout).toContain('  ~ module entry\n      payload:\n        @@ -1,4 +1,4 @@');
      expect(result.stdout).toContain("-  ctx.request().headers.set('X-Every', 'entry');");
      expect(result.stdout).toContain("+  ctx.request().headers.set('X-Every', 'changed');");
      expect(result.stdout).toContain('Plan: 0 to create, 1 to update, 0 to delete.');
    });

    it('plans deletes for resources the config no longer has, after the rest, in reverse order', async () => {
      await adminPut(node().adminUrl, 'module', {
        name: 'stray',
        namespace: 'blog',
        payload: Buffer.from('export const requestModifier = (ctx: any) => {};').toString('base64'),
      });
      await adminPut(node().adminUrl, 'route', {
        name: 'stray',
        namespace: 'blog',
        paths: ['/stray'],
        methods: ['GET'],
        modules: ['stray'],
      });
      try {
        const json = await planJson(path.join(repoRoot, 'examples/blog'));
        expect(
          json.changes.map((c: { action: string; id: string; kind: string }) => `${c.action} ${c.kind} ${c.id}`),
        ).toEqual(['delete routes blog/stray', 'delete modules blog/stray']);
        const result = await plan(['examples/blog']);
        expect(result.stdout).toContain('  - route stray\n  - module stray\n');
      } finally {
        await adminCall(node().adminUrl, 'DELETE', '/route', { name: 'stray', namespace: 'blog' });
        await adminCall(node().adminUrl, 'DELETE', '/module', { name: 'stray', namespace: 'blog' });
      }
    });

    it('--select-tag manages only the resources carrying the tag', async () => {
      const dir = await temps.make(everyFieldDir);
      await editFile(path.join(dir, 'everything.yaml'), 'retries: 7', 'retries: 9');
      await editFile(path.join(dir, 'everything.yaml'), 'priority: 42', 'priority: 41');
      const json = await planJson(dir, ['--select-tag', 'svc:full']);
      expect(json.changes.map((c: { id: string }) => c.id)).toEqual(['every/full']);
      expect(json.scope.selectTags).toEqual(['svc:full']);
      expect(json.leftAlone.resources).toBeGreaterThan(10);
    });

    it('--format markdown gives a pull-request summary', async () => {
      const dir = await temps.make(everyFieldDir);
      await editFile(path.join(dir, 'everything.yaml'), 'retries: 7', 'retries: 9');
      const result = await plan([dir, '--format', 'markdown']);
      expect(result.stdout).toContain('**0 to create, 1 to update, 0 to delete**');
      expect(result.stdout).toContain('| ~ update | service | `every/full` | retries |');
      expect(result.stdout).toContain('retries: 7 → 9');
    });

    it('--out saves the plan with the live version and the desired state, and no secret values', async () => {
      const dir = await temps.make();
      const out = path.join(dir, 'plan.json');
      const result = await plan([everyFieldDir, '--out', out]);
      expect(result.code).toBe(0);
      const text = await readFile(out, 'utf8');
      const saved = JSON.parse(text);
      expect(validatePlan(saved), JSON.stringify(validatePlan.errors)).toBe(true);
      expect(saved.cluster.liveVersion).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(saved.desiredState.version).toBe(saved.desired.version);
      for (const secret of [secretEnv.EVERY_SECRET!, 'not-for-production', everyFieldKey.split('\n')[1]!])
        expect(text).not.toContain(secret);
    });

    it('dump then plan round-trips with no changes', async () => {
      const dir = await temps.make();
      const dumped = await dgateCli(['dump', '--out', dir], { env: { DGATE_ADMIN_URL: node().adminUrl } });
      expect(dumped.code).toBe(0);
      expect(dumped.stdout).toContain('DGATE_DOMAIN_KEY_EVERY_TLS');
      expect(dumped.stdout).toContain(
        'documents of private collections are not dumped (DGate does not list them): every/private-docs, shop/links',
      );
      const validated = await dgateCli(['validate', dir]);
      expect(validated.code).toBe(0);
      const result = await plan([dir, '--detailed-exitcode'], {
        DGATE_DOMAIN_KEY_EVERY_TLS: everyFieldKey.replace(/\n$/, ''),
      });
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('No changes.');
      for (const out of [await readFile(path.join(dir, 'every.yaml'), 'utf8'), dumped.stdout])
        expect(out).not.toContain('PRIVATE KEY');
    });

    it('get prints live resources in the config format', async () => {
      const result = await dgateCli(['get', 'service', 'full', '--namespace', 'every', '--format', 'json'], {
        env: { DGATE_ADMIN_URL: node().adminUrl },
      });
      expect(result.code).toBe(0);
      expect(JSON.parse(result.stdout)).toEqual([
        {
          namespace: 'every',
          name: 'full',
          urls: ['https://127.0.0.1:9443/base', 'http://127.0.0.1:9080/'],
          retries: 7,
          retryTimeout: '1m30s',
          connectTimeout: '250ms',
          requestTimeout: '10s',
          tlsSkipVerify: true,
          http2Only: true,
          tags: ['svc:full'],
        },
      ]);
      const domains = await dgateCli(['get', 'domains', '-n', 'every'], { env: { DGATE_ADMIN_URL: node().adminUrl } });
      expect(domains.stdout).toContain('fromEnv: DGATE_DOMAIN_KEY_EVERY_TLS');
      expect(domains.stdout).not.toContain('PRIVATE KEY');
    });
  });
});
