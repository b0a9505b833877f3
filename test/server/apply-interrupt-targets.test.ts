import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../harness/cli.js';
import { type FaultProxy, startFaultProxy } from '../harness/fault-proxy.js';
import { useOwnDgateNode } from '../harness/node.js';
import { adminCall } from '../harness/admin.js';

const bin = path.join(repoRoot, 'bin', 'dgate-cli');

/** Runs `apply --all-targets` and sends `signal` once stdout shows `when`; resolves with how it ended. */
function applyInterruptedAt(
  dir: string,
  stateDir: string,
  when: string,
  signal: NodeJS.Signals,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'apply', dir, '--all-targets', '--auto-approve'], {
      env: { ...process.env, NO_COLOR: '1', DGATE_CLI_STATE_DIR: stateDir, DGATE_ADMIN_URL: undefined },
    });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes(when)) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('a signal between two targets of one apply', () => {
  const first = useOwnDgateNode();
  const second = useOwnDgateNode();
  let slow: FaultProxy;
  let dir: string;
  /** A config for both targets, with a namespace of the test's own (the nodes outlive each test). */
  const writeConfig = (namespace: string) =>
    writeFile(
      path.join(dir, 'gateway.yaml'),
      `version: v1
targets:
  - { name: first, admin: ["${first().adminUrl}"] }
  - { name: second, admin: ["${slow.url}"] }
namespaces:
  - name: ${namespace}
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"] }
`,
    );

  beforeAll(async () => {
    // Every request to the second target waits: the signal lands while apply connects to it.
    slow = await startFaultProxy(second().adminUrl);
    slow.setRule(() => ({ kind: 'delay', ms: 1500 }));
    dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-targets-'));
  });
  afterAll(async () => {
    await slow?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s: stops at once, says the first target was applied and kept and the second not attempted, exits 130',
    async (sig) => {
      const stateDir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-state-'));
      const namespace = `between-${sig.toLowerCase()}`;
      await writeConfig(namespace);
      slow.log.length = 0;
      try {
        const result = await applyInterruptedAt(dir, stateDir, '── target second ──', sig);
        expect(result.code, result.stdout + result.stderr).toBe(130);
        expect(result.stdout).toContain('Apply complete');
        expect(result.stderr).toContain(
          `error DG3012: stopped by ${sig} between targets: applied to first (kept); not attempted: second`,
        );
        expect(result.stderr).toContain(
          'hint: apply again to finish: `--target second` (the targets applied show no changes)',
        );
        // The first target has the namespace; the second was never written to.
        const names = async (url: string) =>
          ((await adminCall(url, 'GET', '/namespace')).json.data as { name: string }[]).map((n) => n.name);
        expect(await names(first().adminUrl)).toContain(namespace);
        expect(await names(second().adminUrl)).not.toContain(namespace);
        expect(slow.log.filter((r) => r.method !== 'GET')).toEqual([]);
      } finally {
        await rm(stateDir, { recursive: true, force: true });
      }
    },
  );
});
