import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll } from 'vitest';
import { findPrometheus, prometheusModule } from '../../bin/find-prometheus.mjs';

/**
 * A real Prometheus for the tests of a canary's checks.prometheus (docs/canary.md#prometheus-queries),
 * scraping the test's own dgate-server's admin /metrics every second. Found as dgate-server is
 * (src/io/local-server.ts), by bin/find-prometheus.mjs: PROMETHEUS_BIN, else the Go bin directory,
 * else PATH. bin/setup.mjs installs it with `go install` when go is on PATH. Without one the tests that
 * need it fail, with how to get it: never skipped (and under CI=true, bin/test.mjs fails the run
 * before it starts).
 */

/** The prometheus binary, or an error that says how to get one. */
export function requirePrometheusBinary(): string {
  const found = findPrometheus();
  if (found) return found;
  throw new Error(
    process.env.PROMETHEUS_BIN
      ? `PROMETHEUS_BIN names '${process.env.PROMETHEUS_BIN}', which is not an executable file`
      : `prometheus is not installed, and the canary checks.prometheus tests need a real one: run \`go install ${prometheusModule}\` (bin/setup.mjs does it when go is on PATH), or set PROMETHEUS_BIN`,
  );
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

export interface TestPrometheus {
  url: string;
  /** Asks an instant query, as a test reads it: the first series' value, or undefined. */
  value: (query: string) => Promise<number | undefined>;
  stop: () => Promise<void>;
}

/** Starts Prometheus on a free loopback port (or the one given), scraping each admin URL's /metrics every second. */
export async function startPrometheus(
  adminUrls: readonly string[],
  opts: { port?: number } = {},
): Promise<TestPrometheus> {
  const binary = requirePrometheusBinary();
  const dir = await mkdtemp(path.join(tmpdir(), 'dgate-prometheus-'));
  const port = opts.port ?? (await freePort());
  const targets = adminUrls.map((u) => new URL(u).host);
  await writeFile(
    path.join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s }
scrape_configs:
  - job_name: dgate
    metrics_path: /metrics
    static_configs: [{ targets: ${JSON.stringify(targets)} }]
`,
  );
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (c: Buffer) => {
    log = (log + c.toString('utf8')).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const value = async (query: string): Promise<number | undefined> => {
    const res = await request(`${url}/api/v1/query?${new URLSearchParams({ query })}`);
    const json = (await res.body.json()) as { data?: { result?: { value: [number, string] }[] } };
    const v = json.data?.result?.[0]?.value[1];
    return v === undefined ? undefined : Number(v);
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  };
  // Ready, and a first scrape of every target in.
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`prometheus (${binary}) exited with ${child.exitCode}: ${log}`);
    }
    try {
      if ((await value('sum(up{job="dgate"})')) === targets.length) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus (${binary}) did not scrape ${targets.join(', ')} within 60s: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, value, stop };
}

/**
 * A Prometheus of the enclosing suite's own, scraping the admin URLs `adminUrls()` gives once its
 * nodes run. When it cannot start (not installed, say), every test that uses it fails with why:
 * a failing beforeAll would leave them reported as skipped.
 */
export function usePrometheus(adminUrls: () => readonly string[]): () => TestPrometheus {
  let prom: TestPrometheus | undefined;
  let failure: unknown;
  beforeAll(async () => {
    try {
      prom = await startPrometheus(adminUrls());
    } catch (err) {
      failure = err;
    }
  }, 90_000);
  afterAll(async () => {
    await prom?.stop();
  });
  return () => {
    if (failure) throw failure;
    if (!prom) throw new Error('prometheus has not started');
    return prom;
  };
}
