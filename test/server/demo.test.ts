import { describe, expect, inject, it } from 'vitest';
import { runScript } from '../harness/scripts.js';

describe('npm start with a dgate-server', () => {
  it('runs the offline part, then plans, applies, answers through the gateway, changes, and rolls back on a local server', {
    timeout: 240_000,
  }, async () => {
    const result = await runScript('demo.mjs', [], {
      ...process.env,
      NO_COLOR: '1',
      DGATE_SERVER_BIN: inject('dgateServerBin'),
    });
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const out = result.stdout;
    expect(out).toContain('YAML, Pkl and YAML again: one version');
    expect(out).toMatch(/using .*dgate-server \(/);
    const answers = [...out.matchAll(/\$ curl -H 'Host: blog\.example\.com' \S+\/healthz\n(\d{3}) (.*)\n/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(answers).toHaveLength(3);
    expect(answers[0]).toMatch(/^200 /);
    expect(answers[1]).toMatch(/^200 .*"version":2/);
    // The rollback returns the first answer.
    expect(answers[2]).toBe(answers[0]);
    expect(out).not.toContain('was skipped');
  });
});
