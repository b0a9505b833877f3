import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../harness/fixtures.js';
import { environmentWithoutServer, runScript } from '../harness/scripts.js';

describe('npm start on a machine with no dgate-server', () => {
  const temps = useTempDirs();

  it('runs the part that needs no cluster, says how to get a server and that the live part was skipped, and exits 0', {
    timeout: 240_000,
  }, async () => {
    const result = await runScript('demo.mjs', [], environmentWithoutServer(await temps.make()));
    expect(result.code, result.stderr).toBe(0);
    const out = result.stdout;
    // The planted mistake, located, and then the fix.
    expect(result.stderr).toMatch(
      /shop\/routes\.yaml:7:\d+: error DG1103: route 'shop\/catalog' names service 'catalg'[^\n]*\n {2}hint: did you mean 'catalog'\?/,
    );
    expect(out).toMatch(/\(exit code 1\)\n\n==> The fix[^\n]*\n\$ dgate-cli validate shop\n✓ shop is valid/);
    expect(result.stderr).toMatch(/✓ compiled examples\/shop → .*version sha256:[0-9a-f]{64}/);
    expect(out).toMatch(/\$ dgate-cli explain route shop\/debug examples\/regions\n/);
    expect(out).toContain('one desired state per target: eu-prod.json, eu-staging.json, us-prod.json, us-staging.json');
    expect(out).toContain('YAML, Pkl and YAML again: one version');
    expect(out).toMatch(
      /No dgate-server: go install github\.com\/dgate-io\/dgate\/cmd\/dgate-server@v0\.11\.1 was refused: [^\n]*GOPROXY=off/,
    );
    expect(out).toContain('The live part (plan, apply, a request through the gateway, rollback) was skipped.');
    expect(out).toContain('DGATE_SERVER_BIN=/path/to/dgate-server');
    expect(out + result.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n/);
  });
});
