import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';

// Byte-exact against the documented formats: GitHub's workflow commands ("Workflow commands for GitHub
// Actions", escaped as actions/toolkit's command.ts escapes them) and GitLab's Code Quality report.
const invalid = 'test/fixtures/invalid/12-route-missing-service';
const warned = 'test/fixtures/warnings/01-unsafe-name';
/** No CI in the environment, whatever runs these tests. */
const noCi = { GITHUB_ACTIONS: '', GITLAB_CI: '', GITHUB_WORKSPACE: '' };
const annotation =
  "::error file=test/fixtures/invalid/12-route-missing-service/config.yaml,line=7,col=70,title=DG1103::route 'shop/catalog' names service 'catalg', which namespace 'shop' does not declare%0Ahint: did you mean 'catalog'? (services in 'shop': catalog)\n";

describe('--ci', () => {
  it('github: each problem of validate is an annotation on stdout; the human report stays on stderr', async () => {
    const result = await dgateCli(['validate', invalid, '--ci', 'github'], { env: noCi });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(annotation);
    expect(result.stderr).toContain(`${invalid}/config.yaml:7:70: error DG1103: `);
  });

  it('the default comes from the environment: GITHUB_ACTIONS=true is github, GITLAB_CI=true and none are not', async () => {
    const [github, gitlab, plain, overridden] = await Promise.all([
      dgateCli(['validate', invalid], { env: { ...noCi, GITHUB_ACTIONS: 'true' } }),
      dgateCli(['validate', invalid], { env: { ...noCi, GITLAB_CI: 'true' } }),
      dgateCli(['validate', invalid], { env: noCi }),
      dgateCli(['validate', invalid, '--ci', 'none'], { env: { ...noCi, GITHUB_ACTIONS: 'true' } }),
    ]);
    expect(github.stdout).toBe(annotation);
    for (const r of [gitlab, plain, overridden]) {
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toContain('::');
    }
  });

  it('github: a warning is ::warning and the exit code stays 0; files are named from $GITHUB_WORKSPACE', async () => {
    const result = await dgateCli(['validate', warned, '--ci', 'github'], {
      env: { ...noCi, GITHUB_WORKSPACE: path.join(repoRoot, 'test') },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      `::warning file=fixtures/warnings/01-unsafe-name/config.yaml,line=5,col=15,title=DG1006::route name "catalog/v1" in namespace 'shop' is not a safe name: DGate accepts it, but names are safest as letters, digits, '.', '_' and '-'%0Ahint: DGate keys resources as name/namespace, so a '/' can make two resources one (route 'a/b' in 'c' is route 'a' in 'b/c'); rename it, e.g. replace slashes with "-"\n✓ ${warned} is valid: 1 namespace, 1 resource in 1 file (1 warning)\n`,
    );
  });

  it('github: with --format json the annotations go to stderr, and stdout stays one JSON document', async () => {
    const result = await dgateCli(['validate', invalid, '--format', 'json', '--ci', 'github'], { env: noCi });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toHaveLength(1);
    expect(result.stderr).toBe(annotation);
  });

  it('github: an error that ends a command is an annotation too; compile reports problems as annotations', async () => {
    const missing = await dgateCli(['validate', 'no/such/dir', '--ci', 'github'], { env: noCi });
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe(
      "::error title=DG0002::config path 'no/such/dir' does not exist%0Ahint: name a config file or a directory of *.yaml files\n",
    );
    const compiled = await dgateCli(['compile', invalid, '--ci', 'github'], { env: noCi });
    expect(compiled.code).toBe(1);
    expect(compiled.stdout).toBe(annotation);
  });

  it('rejects an unknown CI system', async () => {
    const result = await dgateCli(['validate', invalid, '--ci', 'jenkins'], { env: noCi });
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toMatch(/--ci/);
  });
});

describe('validate --format codequality', () => {
  it("writes GitLab's Code Quality report, byte for byte, and keeps the exit code", async () => {
    const result = await dgateCli(['validate', invalid, '--format', 'codequality'], { env: noCi });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe(`[
  {
    "description": "DG1103: route 'shop/catalog' names service 'catalg', which namespace 'shop' does not declare (hint: did you mean 'catalog'? (services in 'shop': catalog))",
    "check_name": "DG1103",
    "fingerprint": "f3d06cff65cada852c681ac390a5537f",
    "severity": "major",
    "location": {
      "path": "test/fixtures/invalid/12-route-missing-service/config.yaml",
      "lines": {
        "begin": 7
      }
    }
  }
]
`);
  });

  it('a valid config is an empty report', async () => {
    const result = await dgateCli(['validate', 'examples/shop', '--format', 'codequality'], {
      env: { ...noCi, STRIPE_KEY: 'x' },
    });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('[]\n');
  });
});
