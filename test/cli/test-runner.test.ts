import { describe, expect, it } from 'vitest';
import { useTempDirs } from '../harness/fixtures.js';
import { environmentWithoutServer, runScript } from '../harness/scripts.js';

// bin/test.mjs itself, without a server. It is run on a test file of its own that passes at once
// (`-- --project offline test/unit/errors`), so that this does not run the whole suite again.
describe('npm test on a machine with no dgate-server', () => {
  const temps = useTempDirs();

  it('runs the offline tests, and ends with the line that counts the skipped real-server tests', {
    timeout: 240_000,
  }, async () => {
    const result = await runScript('test.mjs', ['test/unit/errors'], environmentWithoutServer(await temps.make()));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /\nreal-server tests: \d{3} skipped \(no dgate-server: go install [^\n]* was refused: [^\n]*GOPROXY=off\)\. Set DGATE_SERVER_BIN=\/path\/to\/dgate-server to run them\.\ntests: [1-9]\d* passed, 0 failed, \d{3} skipped\n$/,
    );
  });

  it('fails with the same reason under CI=true or DGATE_REQUIRE_SERVER=1', { timeout: 240_000 }, async () => {
    for (const flag of [{ CI: 'true' }, { DGATE_REQUIRE_SERVER: '1' }]) {
      const result = await runScript('test.mjs', ['test/unit/errors'], {
        ...environmentWithoutServer(await temps.make()),
        ...flag,
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /real-server tests cannot run and are required \((CI|DGATE_REQUIRE_SERVER) is set\): no dgate-server: go install [^\n]* was refused: [^\n]*GOPROXY=off\. Set DGATE_SERVER_BIN=/,
      );
      expect(result.stdout).not.toMatch(/tests: \d+ passed/);
    }
  });
});
