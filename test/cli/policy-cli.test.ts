import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { editFile, useTempDirs } from '../harness/fixtures.js';

const example = path.join(repoRoot, 'examples/policy');
const examplePkl = path.join(repoRoot, 'examples/policy-pkl');

/** The same four mistakes planted in examples/policy (YAML) or its Pkl twin. */
async function breakYaml(dir: string): Promise<void> {
  const gw = path.join(dir, 'gateway.yaml');
  await editFile(gw, 'retries: 2', 'retries: 7');
  await editFile(gw, '      - name: charges', '      - name: Charges');
  await editFile(gw, '        service: ledger\n        modules: [auth]\n', '        service: ledger\n');
  await editFile(
    gw,
    'tags: ["owner:payments-team", "!env:prod"]\n    modules',
    'tags: ["owner:payments-team"]\n    modules',
  );
}

async function breakPkl(dir: string): Promise<void> {
  const main = path.join(dir, 'main.pkl');
  await editFile(main, 'retries = 2', 'retries = 7');
  await editFile(main, 'name = "charges"', 'name = "Charges"');
  await editFile(main, '        service = "ledger"\n        modules { "auth" }\n', '        service = "ledger"\n');
  await editFile(
    main,
    'tags { "owner:payments-team"; "!env:prod" }\n      }\n    }\n    modules',
    'tags { "owner:payments-team" }\n      }\n    }\n    modules',
  );
}

interface Problem {
  code: string;
  severity: string;
  message: string;
  file: string;
  line: number;
  col: number;
  hint: string;
}

describe('validate with a policy', () => {
  const temps = useTempDirs();

  it('reports each violation at the resource, with the rule, the target and a hint; errors exit 1', async () => {
    const dir = await temps.make(example);
    await breakYaml(dir);
    const result = await dgateCli(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        "gateway.yaml:18:18: error DG1201: service 'payments/ledger' on targets 'prod', 'staging' breaks policy rule 'bounded-upstreams': its retries is 7, more than the 3 allowed",
        "  hint: set retries to at most 3 (policy rule 'bounded-upstreams' at policy.yaml:15:25)",
        "gateway.yaml:26:24: error DG1201: service 'payments/ledger-replica' on target 'prod' breaks policy rule 'verify-tls-in-prod': tlsSkipVerify is true, and must be false (require/properties/tlsSkipVerify/const)",
        "  hint: give the upstream a certificate the gateway trusts, or keep the service off env:prod targets (policy rule 'verify-tls-in-prod' at .org-policy.yaml:8:7)",
        "gateway.yaml:34:9: error DG1201: route 'payments/Charges' on targets 'prod', 'staging' breaks policy rule 'routes-run-auth': it runs no module, and must run one of auth",
        "  hint: add auth to the route's modules; public endpoints belong in another namespace (policy rule 'routes-run-auth' at policy.yaml:11:21)",
        "gateway.yaml:34:15: warning DG1201: route 'payments/Charges' on targets 'prod', 'staging' breaks policy rule 'kebab-names': its name 'Charges' does not match ^[a-z][a-z0-9-]*$",
        "  hint: rename it to match ^[a-z][a-z0-9-]*$ (policy rule 'kebab-names' at policy.yaml:19:22)",
        '✗ .: 3 errors, 1 warning in 2 files',
        '',
      ].join('\n'),
    );
    // compile refuses too: a policy error is an error like any other.
    const compiled = await dgateCli(['compile', '.'], { cwd: dir });
    expect(compiled.code).toBe(1);
    expect(compiled.stderr).toContain('error DG1201');
  });

  it('warnings alone pass (exit 0), and --format json, codequality and GitHub annotations carry them', async () => {
    const dir = await temps.make(example);
    await editFile(path.join(dir, 'gateway.yaml'), '      - name: charges', '      - name: Charges');
    const result = await dgateCli(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('✓ . is valid: 1 namespace, 5 resources in 2 files (1 warning)\n');
    const json = await dgateCli(['validate', '.', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        code: 'DG1201',
        title: 'policy rule violated',
        severity: 'warning',
        message:
          "route 'payments/Charges' on targets 'prod', 'staging' breaks policy rule 'kebab-names': its name 'Charges' does not match ^[a-z][a-z0-9-]*$",
        file: 'gateway.yaml',
        line: 34,
        col: 15,
        hint: "rename it to match ^[a-z][a-z0-9-]*$ (policy rule 'kebab-names' at policy.yaml:19:22)",
      },
    ]);
    const github = await dgateCli(['validate', '.', '--ci', 'github'], { cwd: dir });
    expect(github.code).toBe(0);
    expect(github.stdout + github.stderr).toContain(
      "::warning file=gateway.yaml,line=34,col=15,title=DG1201::route 'payments/Charges' on targets 'prod', 'staging' breaks policy rule 'kebab-names'",
    );
    const quality = await dgateCli(['validate', '.', '--format', 'codequality'], { cwd: dir });
    expect(JSON.parse(quality.stdout)).toMatchObject([
      { check_name: 'DG1201', location: { path: 'gateway.yaml', lines: { begin: 34 } } },
    ]);
  });

  it('YAML and Pkl give the same violations, each located in its own file', async () => {
    const yaml = await temps.make(example);
    const pkl = await temps.make(examplePkl);
    await breakYaml(yaml);
    await breakPkl(pkl);
    const strip = (p: Problem) => ({
      code: p.code,
      severity: p.severity,
      message: p.message,
      hint: p.hint.replace(/ at [^)]*\)$/, ')'),
    });
    const fromYaml = await dgateCli(['validate', '.', '--format', 'json'], { cwd: yaml });
    const fromPkl = await dgateCli(['validate', '.', '--format', 'json'], { cwd: pkl });
    expect(fromPkl.code).toBe(1);
    expect(fromYaml.code).toBe(1);
    const yamlProblems = (JSON.parse(fromYaml.stdout) as Problem[]).map(strip);
    expect(yamlProblems).toHaveLength(4);
    expect((JSON.parse(fromPkl.stdout) as Problem[]).map(strip)).toEqual(yamlProblems);
    // Located in the Pkl module itself.
    expect((JSON.parse(fromPkl.stdout) as Problem[]).map((p) => `${p.file}:${p.line}`)).toEqual([
      'main.pkl:40',
      'main.pkl:49',
      'main.pkl:59',
      'main.pkl:60',
    ]);
  });

  it('a policy file that is missing, or inside the config directory, is a located error', async () => {
    const dir = await temps.make(example);
    await editFile(
      path.join(dir, 'policy.yaml'),
      'files: [.org-policy.yaml]',
      'files: [.org-policy.yaml, ../nowhere.yaml, rules.yaml]',
    );
    await writeFile(path.join(dir, 'rules.yaml'), 'rules: []\n');
    const result = await dgateCli(['validate', '.'], { cwd: dir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      "policy.yaml:7:31: error DG1203: policy file '../nowhere.yaml' cannot be read (it does not exist)\n",
    );
    expect(result.stderr).toContain(
      "policy.yaml:7:48: error DG1204: policy file 'rules.yaml' is inside the config directory, where every *.yaml, *.yml and *.pkl file is read as a config file\n",
    );
    // rules.yaml is read as a config file too, and is not one.
    expect(result.stderr).toContain("rules.yaml:1:1: error DG1002: unknown field 'rules' at the top of the file");
  });

  it('a policy file outside the config directory is read relative to the file naming it; its mistakes are located in it', async () => {
    const work = await temps.make();
    const dir = path.join(work, 'config');
    await mkdir(path.join(work, 'shared'), { recursive: true });
    await mkdir(dir);
    await writeFile(
      path.join(dir, 'gw.yaml'),
      'version: v1\nsettings:\n  policy:\n    files: [../shared/org.yaml]\nnamespaces:\n  - name: shop\n    services:\n      - { name: a, urls: [http://127.0.0.1:1/], retries: 9 }\n',
    );
    await writeFile(
      path.join(work, 'shared/org.yaml'),
      'rules:\n  - { id: retries, max: { retries: 3 } }\n  - { id: typo, kind: servces, require: {} }\n  - { id: bad, require: { maximun: 3 } }\n',
    );
    const first = await dgateCli(['validate', 'config'], { cwd: work });
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/^shared\/org\.yaml:3:23: error DG1012: field 'kind' .*"servces"/m);
    await writeFile(
      path.join(work, 'shared/org.yaml'),
      'rules:\n  - { id: retries, max: { retries: 3 } }\n  - { id: bad, require: { maximun: 3 } }\n',
    );
    const second = await dgateCli(['validate', 'config'], { cwd: work });
    expect(second.code).toBe(1);
    expect(second.stderr).toBe(
      [
        // A malformed rule does not keep the others from running.
        "config/gw.yaml:8:58: error DG1201: service 'shop/a' breaks policy rule 'retries': its retries is 9, more than the 3 allowed",
        "  hint: set retries to at most 3 (policy rule 'retries' at shared/org.yaml:2:36)",
        `shared/org.yaml:3:25: error DG1202: policy rule 'bad': require is not a usable JSON Schema: strict mode: unknown keyword: "maximun"`,
        '  hint: see docs/policy.md for the JSON Schema a rule takes',
        '✗ config: 2 errors, 0 warnings in 1 file',
        '',
      ].join('\n'),
    );
    await writeFile(path.join(work, 'shared/org.yaml'), 'rules:\n  - { id: retries, max: { retries: 3 } }\n');
    const third = await dgateCli(['validate', 'config'], { cwd: work });
    expect(third.stderr).toBe(
      [
        "config/gw.yaml:8:58: error DG1201: service 'shop/a' breaks policy rule 'retries': its retries is 9, more than the 3 allowed",
        "  hint: set retries to at most 3 (policy rule 'retries' at shared/org.yaml:2:36)",
        '✗ config: 1 error, 0 warnings in 1 file',
        '',
      ].join('\n'),
    );
  });
});

describe('bundle policy', () => {
  const temps = useTempDirs();

  it("the api-key bundle's rule warns about a route of its namespace that runs no module, and only there", async () => {
    const dir = await temps.make();
    await writeFile(
      path.join(dir, 'config.yaml'),
      `version: v1
namespaces:
  - name: partners
    routes:
      - { name: status, paths: [/status], methods: [GET] }
  - name: public
    routes:
      - { name: open, paths: [/open], methods: [GET] }
bundles:
  - use: api-key@^1.1
    as: partners
    namespace: partners
    with: { upstream: "http://127.0.0.1:9/", paths: ["/orders/*"], keySha256: [9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08] }
`,
    );
    expect((await dgateCli(['bundle', 'update', '--config', dir])).code).toBe(0);
    const result = await dgateCli(['validate', '.', '--format', 'json'], { cwd: dir });
    expect(result.code).toBe(0);
    const problems = JSON.parse(result.stdout) as Problem[];
    expect(problems.map((p) => [p.severity, p.file, p.line, p.message])).toEqual([
      [
        'warning',
        'config.yaml',
        5,
        "route 'partners/status' breaks policy rule 'api-key/no-route-without-a-module': a route beside an API-key instance runs no module, so nothing asks it for a key (it runs no module)",
      ],
    ]);
    expect(problems[0]!.hint).toMatch(
      /\(policy rule 'api-key\/no-route-without-a-module' at .*bundles\/api-key\/bundle\.yaml:\d+:\d+\)$/,
    );
  });

  it('bundle lint compiles the rules a bundle ships', async () => {
    const dir = await temps.make(path.join(repoRoot, 'bundles/api-key'));
    expect((await dgateCli(['bundle', 'lint', dir])).code).toBe(0);
    await editFile(path.join(dir, 'bundle.yaml'), 'runsModule: ["*"]', 'runsModule: ["*"]\n      namePattern: "(["');
    const result = await dgateCli(['bundle', 'lint', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /bundle\.yaml:\d+:\d+: error DG1202: policy rule 'api-key\/no-route-without-a-module': namePattern is not a regular expression/,
    );
  });
});
