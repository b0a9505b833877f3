import { describe, expect, it } from 'vitest';
import {
  chooseServerUse,
  describeServer,
  requiredServerLine,
  serverRequired,
  skippedServerLine,
} from '../../../src/io/server-choice.js';

const binary = { path: '/opt/dgate-server', version: 'v0.11.1' };
const refused =
  'go install github.com/dgate-io/dgate/cmd/dgate-server@v0.11.1 was refused: module lookup disabled by GOPROXY=off';

describe('choosing between run, skip and fail for real-server tests', () => {
  it('runs whenever a binary is found, CI or not', () => {
    expect(chooseServerUse({ found: binary }, {})).toEqual({ mode: 'run', binary });
    expect(chooseServerUse({ found: binary }, { CI: 'true' })).toEqual({ mode: 'run', binary });
  });

  it('skips on a developer machine without one', () => {
    expect(chooseServerUse({ missing: refused }, {})).toEqual({ mode: 'skip', reason: refused });
    expect(chooseServerUse({ missing: refused }, { CI: 'false', DGATE_REQUIRE_SERVER: '0' })).toEqual({
      mode: 'skip',
      reason: refused,
    });
  });

  it('fails without one when CI or DGATE_REQUIRE_SERVER asks for it, or DGATE_SERVER_BIN names nothing usable', () => {
    for (const env of [{ CI: 'true' }, { CI: '1' }, { DGATE_REQUIRE_SERVER: '1' }, { DGATE_SERVER_BIN: '/nowhere' }]) {
      expect(chooseServerUse({ missing: refused }, env), JSON.stringify(env)).toEqual({
        mode: 'fail',
        reason: refused,
      });
    }
    expect(serverRequired({ CI: 'TRUE' })).toBe(true);
    expect(serverRequired({})).toBe(false);
  });

  it('says how many were skipped, why, and how to run them, in one line', () => {
    expect(skippedServerLine(274, refused)).toBe(
      `real-server tests: 274 skipped (no dgate-server: ${refused}). Set DGATE_SERVER_BIN=/path/to/dgate-server to run them.`,
    );
    expect(requiredServerLine(refused, { CI: 'true' })).toBe(
      `real-server tests cannot run and are required (CI is set): no dgate-server: ${refused}. Set DGATE_SERVER_BIN=/path/to/dgate-server to run them.`,
    );
  });

  it('names a source build as one', () => {
    expect(describeServer({ path: '/go/bin/dgate-server', version: 'dev' })).toBe(
      '/go/bin/dgate-server (dev, a build from source)',
    );
    expect(describeServer(binary)).toBe('/opt/dgate-server (v0.11.1)');
    expect(describeServer({ path: '/x', version: 'v0.12.0' })).toBe('/x (v0.12.0, not the pinned v0.11.1)');
  });
});
