import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, adminPut } from '../harness/admin.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { type GithubRecorder, startGithubRecorder } from '../harness/github-recorder.js';
import { useOwnDgateNode } from '../harness/node.js';

/**
 * The example workflows of docs/examples/github/, run step by step as GitHub's runner runs a `run:`
 * step (bash --noprofile --norc -eo pipefail), against a real dgate-server, with the GITHUB_*
 * variables pointing at temporary files. GitHub itself cannot be reached from here: its REST API is
 * the local recorder of test/harness/github-recorder.ts, the only stand-in allowed. Steps that do
 * not run dgate-cli (checkout, setup-node, npm ci, artifact upload and download) are GitHub's own
 * and are done by the test: the checkout is the temporary directory, the artifact stays in it.
 */
const examples = path.join(repoRoot, 'docs/examples/github');
const token = 'ghs_e2eTOKEN_0123456789abcdef';
const repository = 'acme/gateway';
const pr = 42;
/** A secret value the config references: it must reach no annotation, summary, output or comment. */
const secretValue = 'e2e-upstream-key-Zq81xv';

interface StepResult {
  name: string;
  code: number;
  stdout: string;
  stderr: string;
  output: string;
  summary: string;
}

const config = (retries: number, routes: string[]) => `version: v1
namespaces:
  - name: ci
    secrets:
      - { name: upstream-key, value: { fromEnv: E2E_UPSTREAM_KEY } }
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"], retries: ${retries} }
    routes:
${routes.map((r) => `      - { name: ${r}, paths: ["/${r}"], methods: [GET], service: api }`).join('\n')}
`;

function bash(
  script: string,
  cwd: string,
  env: Record<string, string>,
): Promise<Omit<StepResult, 'name' | 'output' | 'summary'>> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

describe('the example GitHub workflows, step by step, against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();
  let gh: GithubRecorder;
  let work: string;
  let files: string;
  let shims: string;
  beforeAll(async () => {
    gh = await startGithubRecorder({ repository, token });
    // Other people's comments on the PR, more than one page of them: ours is found past page one.
    gh.comments.set(
      pr,
      Array.from({ length: 130 }, (_, i) => ({ id: 7000 + i, body: `review comment ${i}` })),
    );
    work = await temps.make();
    files = await temps.make();
    shims = await temps.make();
    await mkdir(path.join(work, 'config'));
    await writeFile(path.join(work, 'config', 'gateway.yaml'), config(1, ['r1']));
    // `npx dgate-cli` as the workflows call it, run from this checkout's build.
    await writeFile(
      path.join(shims, 'npx'),
      `#!/bin/sh\n[ "$1" = dgate-cli ] || exit 127\nshift\nexec "${process.execPath}" "${path.join(repoRoot, 'bin/dgate-cli')}" "$@"\n`,
    );
    await chmod(path.join(shims, 'npx'), 0o755);
    await writeFile(
      path.join(files, 'event.json'),
      JSON.stringify({ action: 'synchronize', number: pr, pull_request: { number: pr, head: { sha: 'abc123' } } }),
    );
  });
  afterAll(() => gh?.close());

  /** What the job's `env:` gets from vars, secrets and github.token here. */
  const jobEnv = (): Record<string, string> => ({
    DGATE_ADMIN_URL: node().adminUrl,
    DGATE_ADMIN_KEY: '',
    DGATE_CLI_HASH_KEY: 'hash-key-for-the-e2e-test',
    DGATE_CLI_AGE_IDENTITY: '',
    GITHUB_TOKEN: token,
    E2E_UPSTREAM_KEY: secretValue,
  });

  let stepNo = 0;
  /** Runs the `run:` steps of a job that call dgate-cli, in order, stopping at the first that fails, as the runner does. */
  async function runJob(file: string, overrides: Record<string, string> = {}): Promise<StepResult[]> {
    const workflow = parse(await readFile(path.join(examples, file), 'utf8')) as {
      jobs: Record<string, { env?: Record<string, string>; steps: { name?: string; run?: string }[] }>;
    };
    const [job] = Object.values(workflow.jobs);
    const env = { ...jobEnv(), ...overrides };
    // The workflow asks for nothing dgate-cli does not read, and the test provides all it asks for.
    expect(Object.keys(job!.env ?? {}).sort()).toEqual(
      Object.keys(jobEnv())
        .filter((k) => k in (job!.env ?? {}))
        .sort(),
    );
    const results: StepResult[] = [];
    for (const step of job!.steps.filter((s) => s.run?.includes('dgate-cli'))) {
      stepNo++;
      const output = path.join(files, `output-${stepNo}`);
      const summary = path.join(files, `summary-${stepNo}`);
      await writeFile(output, '');
      await writeFile(summary, '');
      const ran = await bash(step.run!, work, {
        ...(process.env as Record<string, string>),
        NO_COLOR: '1',
        PATH: `${shims}${path.delimiter}${process.env.PATH}`,
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKSPACE: work,
        GITHUB_OUTPUT: output,
        GITHUB_STEP_SUMMARY: summary,
        GITHUB_EVENT_PATH: path.join(files, 'event.json'),
        GITHUB_API_URL: gh.url,
        GITHUB_REPOSITORY: repository,
        GITLAB_CI: '',
        DGATE_CLI_STATE_DIR: path.join(files, 'state'),
        ...env,
      });
      results.push({
        name: step.name ?? step.run!,
        ...ran,
        output: await readFile(output, 'utf8'),
        summary: await readFile(summary, 'utf8'),
      });
      for (const text of [ran.stdout, ran.stderr, results.at(-1)!.output, results.at(-1)!.summary])
        expect(text).not.toContain(secretValue);
      if (ran.code !== 0) break;
    }
    return results;
  }

  const ours = () => gh.comments.get(pr)!.filter((c) => c.body.startsWith('<!-- dgate-cli:plan config%2F -->\n'));
  const routes = async () =>
    ((await adminCall(node().adminUrl, 'GET', '/route?namespace=ci')).json.data as { name: string }[] | undefined)
      ?.map((r) => r.name)
      .sort() ?? [];

  it('plan on a pull request: annotations, summary, outputs, one comment updated on each push; apply on merge; stale plans refused', async () => {
    // The pull request: validate and plan.
    const [validate, plan] = await runJob('dgate-plan.yml');
    expect(validate!.code, validate!.stderr).toBe(0);
    expect(validate!.stdout).toMatch(/^✓ config\/ is valid: 1 namespace, 3 resources in 1 file\n$/);
    expect(plan!.code, plan!.stderr).toBe(0);
    const saved = JSON.parse(await readFile(path.join(work, 'plan.json'), 'utf8')) as { desired: { version: string } };
    expect(plan!.output).toBe(
      `has-changes=true\ncreate=4\nupdate=0\ndelete=0\ndesired-version=${saved.desired.version}\nplan-path=plan.json\n`,
    );
    // The step summary is the markdown plan, as `plan --format markdown` writes it.
    const markdown = await dgateCli(['plan', 'config/', '--format', 'markdown', '--ci', 'none'], {
      cwd: work,
      env: { ...jobEnv(), GITHUB_ACTIONS: '' },
    });
    expect(plan!.summary).toBe(`${markdown.stdout}\n`);
    expect(plan!.summary).toContain('**4 to create, 0 to update, 0 to delete**');
    // One comment, created, after reading both pages of the PR's comments.
    expect(gh.requests.map((r) => `${r.method} ${r.url}`)).toEqual([
      `GET /repos/${repository}/issues/${pr}/comments?per_page=100`,
      `GET /repos/${repository}/issues/${pr}/comments?per_page=100&page=2`,
      `POST /repos/${repository}/issues/${pr}/comments`,
    ]);
    expect(ours()).toHaveLength(1);
    expect(ours()[0]!.body).toBe(`<!-- dgate-cli:plan config%2F -->\n${markdown.stdout}`);
    expect(plan!.stderr).toMatch(
      new RegExp(`Commented on pull request #${pr}: https://github.com/${repository}/pull/${pr}#issuecomment-\\d+\\n`),
    );
    const commentId = ours()[0]!.id;

    // A second push to the pull request: the same comment is updated, none added.
    await writeFile(path.join(work, 'config', 'gateway.yaml'), config(1, ['r1', 'r2']));
    gh.requests.length = 0;
    const [, replan] = await runJob('dgate-plan.yml');
    expect(replan!.code, replan!.stderr).toBe(0);
    expect(replan!.output).toMatch(/^has-changes=true\ncreate=5\n/);
    expect(gh.requests.map((r) => r.method)).toEqual(['GET', 'GET', 'PATCH']);
    expect(gh.requests.at(-1)!.url).toBe(`/repos/${repository}/issues/comments/${commentId}`);
    expect(ours()).toEqual([
      { id: commentId, body: expect.stringContaining('**5 to create, 0 to update, 0 to delete**') },
    ]);
    expect(replan!.stderr).toContain(`Updated the comment on pull request #${pr}`);
    for (const c of gh.comments.get(pr)!) expect(c.body).not.toContain(secretValue);

    // Merged: the reviewed plan is applied.
    const [apply] = await runJob('dgate-apply.yml');
    expect(apply!.name).toBe('apply the reviewed plan');
    expect(apply!.code, apply!.stderr).toBe(0);
    expect(await routes()).toEqual(['r1', 'r2']);
    // What was applied: the step's outputs, and a line in its summary.
    const release = /\(release (\d+)\)/.exec(apply!.stdout)?.[1];
    expect(apply!.output).toBe(
      `applied=true\ncreate=5\nupdate=0\ndelete=0\ndesired-version=${JSON.parse(await readFile(path.join(work, 'plan.json'), 'utf8')).desired.version}\nrelease=${release}\n`,
    );
    expect(apply!.summary).toMatch(
      /^### dgate-cli apply for `plan\.json`\n\n- \*\*Applied\*\* to `http:\/\/127\.0\.0\.1:\d+`: 5 created, 0 updated, 0 deleted · desired `sha256:[0-9a-f]{64}` · release \d+\n$/,
    );

    // A plan the cluster moved away from before the merge is refused, and nothing is written.
    await writeFile(path.join(work, 'config', 'gateway.yaml'), config(2, ['r1', 'r2']));
    const [, stalePlan] = await runJob('dgate-plan.yml');
    expect(stalePlan!.code, stalePlan!.stderr).toBe(0);
    await adminPut(node().adminUrl, 'service', {
      name: 'api',
      namespace: 'ci',
      urls: ['http://127.0.0.1:9/'],
      retries: 5,
    });
    const [stale] = await runJob('dgate-apply.yml');
    expect(stale!.code).toBe(1);
    expect(stale!.stderr).toMatch(/error DG3005: /);
    expect(stale!.stdout).toMatch(/^::error title=DG3005::/m);
    const service = await adminCall(node().adminUrl, 'GET', '/service/api?namespace=ci');
    expect(service.json.data.retries).toBe(5);
  });

  it('the scheduled drift check passes in sync and fails on drift, with the plan in the summary', async () => {
    const applied = await dgateCli(['apply', 'config/', '--auto-approve', '--ci', 'none'], {
      cwd: work,
      env: { ...jobEnv(), GITHUB_ACTIONS: '', DGATE_CLI_STATE_DIR: path.join(files, 'state') },
    });
    expect(applied.code, applied.stderr).toBe(0);
    const [inSync] = await runJob('dgate-drift.yml');
    expect(inSync!.code, inSync!.stderr).toBe(0);
    expect(inSync!.output).toMatch(
      /^has-changes=false\ncreate=0\nupdate=0\ndelete=0\ndesired-version=sha256:[0-9a-f]{64}\nplan-path=\n$/,
    );
    expect(inSync!.summary).toContain('**No changes.**');

    await adminPut(node().adminUrl, 'route', {
      name: 'r2',
      namespace: 'ci',
      paths: ['/elsewhere'],
      methods: ['GET'],
      service: 'api',
    });
    const [drift] = await runJob('dgate-drift.yml');
    expect(drift!.code).toBe(2);
    expect(drift!.output).toMatch(/^has-changes=true\ncreate=0\nupdate=1\ndelete=0\n/);
    expect(drift!.summary).toContain('**0 to create, 1 to update, 0 to delete**');
  });

  it('a bad token: a clear coded error with a hint, exit 1, no stack trace, and the token shown nowhere', async () => {
    const bad = 'ghs_BADtoken_doNotPrintMe_987';
    const [, plan] = await runJob('dgate-plan.yml', { GITHUB_TOKEN: bad });
    expect(plan!.code).toBe(1);
    expect(plan!.stderr).toMatch(
      /error DG4002: GitHub refused the token \(GET http:\/\/127\.0\.0\.1:\d+\/repos\/acme\/gateway\/issues\/42\/comments answered 401: Bad credentials\)\n {2}hint: set GITHUB_TOKEN to a valid token/,
    );
    expect(plan!.stdout).toMatch(/^::error title=DG4002::GitHub refused the token/m);
    for (const text of [plan!.stdout, plan!.stderr, plan!.output, plan!.summary]) {
      expect(text).not.toContain(bad);
      expect(text).not.toContain(token);
      expect(text).not.toMatch(/\n\s+at /);
    }
  });

  it('the composite action runs a command with the admin URL taken from a named secret', async () => {
    const output = path.join(files, 'action-output');
    await writeFile(output, '');
    const { DGATE_ADMIN_URL: _url, ...rest } = process.env;
    const ran = await bash(`"${path.join(repoRoot, 'bin/github-action.sh')}"`, work, {
      ...(rest as Record<string, string>),
      NO_COLOR: '1',
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: path.join(files, 'action-summary'),
      DGATE_CLI_STATE_DIR: path.join(files, 'state'),
      DGATE_CLI_HASH_KEY: 'hash-key-for-the-e2e-test',
      E2E_UPSTREAM_KEY: secretValue,
      INPUT_COMMAND: 'plan',
      INPUT_PATH: 'config/',
      INPUT_ARGS: '--detailed-exitcode',
      INPUT_ADMIN_URL_SECRET: 'PROD_DGATE_URL',
      INPUT_ADMIN_KEY_SECRET: 'PROD_DGATE_KEY',
      INPUT_SECRETS: JSON.stringify({ PROD_DGATE_URL: node().adminUrl, github_token: 'x' }),
      DGATE_CLI_BIN: path.join(repoRoot, 'bin/dgate-cli'),
    });
    expect(ran.code, ran.stderr).toBe(2);
    expect(ran.stdout).toContain(`→ ${node().adminUrl}`);
    expect(await readFile(output, 'utf8')).toMatch(
      /^has-changes=true\ncreate=0\nupdate=1\ndelete=0\n.*\nexit-code=2\n$/s,
    );
  });
});
