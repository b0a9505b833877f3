import { defineConfig } from 'vitest/config';

/**
 * Two projects, split by where a test lives:
 * - `offline`: test/unit (the pure core, in memory) and test/cli (the executable on files, no
 *   cluster). Runs anywhere.
 * - `server`: test/server, everything that talks to a real dgate-server (one node shared by the
 *   suite, started once in global setup, plus the nodes and raft clusters files start themselves).
 * `npm test` (bin/test.mjs) runs both when a dgate-server can be had, and only `offline`, with one
 * closing line that says so, when it cannot.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default', './test/harness/summary-reporter.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'offline',
          include: ['test/unit/**/*.test.ts', 'test/cli/**/*.test.ts'],
          // The CLI tests run the built executable and Pkl, which can take seconds on a busy machine.
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['test/server/**/*.test.ts'],
          globalSetup: ['test/harness/global-setup.ts'],
          // Modules can take seconds to transpile inside DGate, and files start their own nodes.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
