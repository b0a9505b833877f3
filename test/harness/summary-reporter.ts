import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with plain lines any CI can read: which dgate-server the real-server tests used,
 * or that they were skipped and why (bin/test.mjs passes the line), then
 * `tests: N passed, N failed, N skipped`, where skipped counts the real-server tests not run.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = Number(process.env.DGATE_TEST_SKIPPED_COUNT ?? 0) || 0;
    for (const mod of testModules) {
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    const server =
      process.env.DGATE_TEST_SKIPPED_LINE ??
      (process.env.DGATE_TEST_SERVER ? `real-server tests used ${process.env.DGATE_TEST_SERVER}` : undefined);
    process.stdout.write(
      `\n${server ? `${server}\n` : ''}tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`,
    );
  }
}
