import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { dgateCli } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/**
 * Module variables (`vars:` on a module) on a real dgate-server: the module reads them as VARS,
 * a change of one is planned as that variable, not as a diff of source, and dump gives them back.
 * The cases run in order on one node.
 */
describe('module variables, against a real dgate-server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let dir: string;
  const env = () => ({ DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: path.join(dir, '.state') });

  async function writeConfig(vars: string): Promise<void> {
    await writeFile(
      path.join(dir, 'config.yaml'),
      `version: v1
namespaces:
  - name: vars
    domains:
      - { name: all, patterns: ['*'] }
    modules:
      - name: hello
        file: hello.ts
        vars: ${vars}
        varsSchema:
          type: object
          required: [greeting]
          properties: { greeting: { type: string }, times: { type: integer, minimum: 1 } }
    routes:
      - { name: hello, paths: [/hello], methods: [GET], modules: [hello] }
`,
    );
  }

  async function greet(): Promise<unknown> {
    const res = await request(`${node().proxyUrl}/hello`);
    expect(res.statusCode).toBe(200);
    return res.body.json();
  }

  it('a module reads the vars it is given', async () => {
    dir = await temps.make();
    await writeFile(
      path.join(dir, 'hello.ts'),
      'export const requestHandler = (ctx: any) => ctx.response().status(200).json({ said: VARS.greeting.repeat(VARS.times) });\n',
    );
    await writeConfig('{ greeting: "hi ", times: 2 }');
    const applied = await dgateCli(['apply', dir, '--auto-approve'], { env: env() });
    expect(applied.code, applied.stderr).toBe(0);
    expect(await greet()).toEqual({ said: 'hi hi ' });
  });

  it('a changed variable is planned by name, applied, and read by the next request', async () => {
    await writeConfig('{ greeting: "hello ", times: 2 }');
    const plan = await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() });
    expect(plan.code).toBe(2);
    expect(plan.stdout).toContain('VARS.greeting: "hi " → "hello "');
    expect(plan.stdout).not.toContain('requestHandler');
    const markdown = await dgateCli(['plan', dir, '--format', 'markdown'], { env: env() });
    expect(markdown.stdout).toContain('VARS.greeting: "hi " → "hello "');
    expect((await dgateCli(['apply', dir, '--auto-approve'], { env: env() })).code).toBe(0);
    expect(await greet()).toEqual({ said: 'hello hello ' });
    expect((await dgateCli(['plan', dir, '--detailed-exitcode'], { env: env() })).code).toBe(0);
  });

  it('dump gives the vars back, and the dump plans no changes', async () => {
    const out = path.join(await temps.make(), 'dump');
    expect((await dgateCli(['dump', '--out', out, '--namespace', 'vars'], { env: env() })).code).toBe(0);
    const yaml = await readFile(path.join(out, 'vars.yaml'), 'utf8');
    expect(yaml).toMatch(/vars:\n\s+greeting: "hello "\n\s+times: 2/);
    const moduleFile = /file: (\S+)/.exec(yaml)?.[1];
    expect(await readFile(path.join(out, moduleFile!), 'utf8')).not.toContain('VARS = ');
    const replanned = await dgateCli(['plan', out, '--detailed-exitcode'], { env: env() });
    expect(replanned.stdout).toContain('No changes.');
    expect(replanned.code).toBe(0);
  });

  it('vars that break the varsSchema, or name a secret, are refused where they are written', async () => {
    await writeConfig('{ greeting: 5, times: 0, token: { fromEnv: API_TOKEN } }');
    const validated = await dgateCli(['validate', dir], { env: env() });
    expect(validated.code).toBe(1);
    expect(validated.stderr).toMatch(
      /config\.yaml:9:\d+: error DG1129: module 'vars\/hello' has variable 'token' that names a secret/,
    );
    expect(validated.stderr).toMatch(
      /config\.yaml:9:\d+: error DG1128: module 'vars\/hello' vars at '\/greeting' must be string/,
    );
    expect(validated.stderr).toMatch(/error DG1128: module 'vars\/hello' vars at '\/times' must be >= 1/);
    expect(validated.stderr).toContain('bundles/api-key');
  });
});
