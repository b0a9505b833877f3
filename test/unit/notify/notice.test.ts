import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/load/assemble.js';
import { type Notice, noticeBody, noticeText, notifyTargets, subscribersOf } from '../../../src/notify/notice.js';
import { sourcesOf } from '../compile/build.js';

const applied: Notice = {
  event: 'applied',
  cluster: 'http://dgate-1:9080',
  release: 12,
  desiredVersion: 'sha256:6a8247e01635aa0011223344',
  commit: '1a2b3c4d5e6f',
  summary: { create: 2, update: 1, delete: 0 },
  by: 'ci@runner',
  at: '2026-11-29T10:00:00.000Z',
};

describe('notices', () => {
  it('a Slack text line and the structured fields beside it', () => {
    expect(noticeText(applied)).toBe(
      'dgate-cli applied sha256:6a8247e01635 from commit 1a2b3c4 to http://dgate-1:9080 (release 12): 2 created, 1 updated, 0 deleted, by ci@runner',
    );
    expect(noticeBody(applied)).toEqual({ text: noticeText(applied), source: 'dgate-cli', ...applied });
    expect(
      noticeText({
        ...applied,
        event: 'failed',
        error: { code: 'DG3003', message: 'PUT /route: 400 bad\nmore' },
      }),
    ).toBe(
      'dgate-cli apply to http://dgate-1:9080 failed and was rolled back: DG3003 PUT /route: 400 bad, by ci@runner',
    );
    expect(noticeText({ ...applied, event: 'rolled-back', rolledBackTo: 7, target: 'eu' })).toBe(
      'dgate-cli rolled http://dgate-1:9080 (target eu) back to release 7 (release 12): 2 created, 1 updated, 0 deleted, by ci@runner',
    );
  });

  it('each webhook gets the events it lists, or all when it lists none', () => {
    const targets = [{ events: ['failed' as const] }, {}, { events: ['applied' as const, 'failed' as const] }];
    expect(subscribersOf(targets, 'applied')).toEqual([targets[1], targets[2]]);
    expect(subscribersOf(targets, 'drift-found')).toEqual([targets[1]]);
  });

  it('reads settings.notify from every file, URLs as references', () => {
    const { config, diagnostics } = loadConfig(
      sourcesOf({
        'a.yaml': 'version: v1\nsettings:\n  notify:\n    - { url: { fromEnv: SLACK_URL }, events: [applied] }\n',
        'b.yaml': 'version: v1\nsettings:\n  notify:\n    - url: { fromFile: hook.txt }\n',
      }),
    );
    expect(diagnostics).toEqual([]);
    expect(notifyTargets(config)).toEqual([
      { url: { fromEnv: 'SLACK_URL' }, events: ['applied'] },
      { url: { fromFile: 'hook.txt' } },
    ]);
  });
});
