import { describe, expect, it } from 'vitest';
import { type ApplyContext, applyPlan } from '../../../src/apply/execute.js';
import {
  type JournalRecord,
  JournalWave,
  stepRecord,
  summarizeJournal,
  undoRecord,
} from '../../../src/apply/journal.js';
import type { AdminClient, AdminResponse } from '../../../src/cluster/client.js';
import { diffResources } from '../../../src/diff/diff.js';
import type { LiveRead } from '../../../src/model/api-types.js';
import { emptyResources } from '../../../src/model/registry.js';
import { buildPlan, type ExecutablePlan } from '../../../src/plan/plan.js';
import type { LiveResources } from '../../../src/state/live-state.js';
import { compileMemory } from '../compile/build.js';
import { liveReadOf } from '../builders.js';

describe('JournalWave', () => {
  const wave = () => new JournalWave([3, 4, 5], (index, state, error) => stepRecord(index, state, error));

  it('announces every write of the wave as sending, in order', () => {
    expect(wave().announce()).toEqual([
      { type: 'step', index: 3, state: 'sending' },
      { type: 'step', index: 4, state: 'sending' },
      { type: 'step', index: 5, state: 'sending' },
    ]);
  });

  it('closes with each outcome in the order announced, whatever order they came in', () => {
    const w = wave();
    for (const i of [5, 3, 4]) w.start(i);
    w.done(5);
    w.failed(3, '500 boom');
    w.done(4);
    expect(w.close()).toEqual([
      { type: 'step', index: 3, state: 'failed', error: '500 boom' },
      { type: 'step', index: 4, state: 'done' },
      { type: 'step', index: 5, state: 'done' },
    ]);
  });

  it('says unsent for writes never started, and leaves one started without an outcome as sending', () => {
    const w = wave();
    w.start(3);
    w.done(3);
    // 4 was under way when the wave was cut short (the node stopped answering): it may have landed.
    w.start(4);
    expect(w.close()).toEqual([
      { type: 'step', index: 3, state: 'done' },
      { type: 'step', index: 5, state: 'unsent' },
    ]);
  });

  it('makes undo records too', () => {
    const w = new JournalWave([{ kind: 'routes' as const, id: 'shop/a' }], ({ kind, id }, state, error) =>
      undoRecord(kind, id, state, error),
    );
    expect(w.announce()).toEqual([{ type: 'undo', kind: 'routes', id: 'shop/a', state: 'sending' }]);
    expect(w.close()).toEqual([{ type: 'undo', kind: 'routes', id: 'shop/a', state: 'unsent' }]);
  });
});

describe('summarizeJournal', () => {
  const begin = {
    type: 'begin',
    applyId: 'a1',
    startedAt: '2026-01-01T00:00:00.000Z',
    adminUrl: 'http://127.0.0.1:9080',
    desiredVersion: 'sha256:0',
    scope: { namespaces: ['shop'], selectTags: [] },
    preState: emptyResources() as unknown as LiveResources,
    touched: [],
    steps: [],
    desiredState: {} as never,
  } as const satisfies JournalRecord;

  it('counts a closed wave by outcome: unsent and failed steps are neither done nor uncertain', () => {
    const summary = summarizeJournal([
      begin,
      stepRecord(0, 'sending'),
      stepRecord(1, 'sending'),
      stepRecord(2, 'sending'),
      stepRecord(0, 'done'),
      stepRecord(1, 'failed', 'boom'),
      stepRecord(2, 'unsent'),
    ]);
    expect(summary).toMatchObject({ finished: false, done: [0], uncertain: [] });
  });

  it('counts a wave announced and never closed (the process was killed) as uncertain', () => {
    const summary = summarizeJournal([
      begin,
      stepRecord(0, 'sending'),
      stepRecord(0, 'done'),
      stepRecord(1, 'sending'),
      stepRecord(2, 'sending'),
    ]);
    expect(summary).toMatchObject({ finished: false, done: [0], uncertain: [1, 2] });
  });
});

/** What applyPlan did, in order: journal commits and requests sent, in one log. */
type Entry = { commit: JournalRecord[]; sync: boolean } | { send: string };

const emptyRead: LiveRead = liveReadOf();

/**
 * An apply of three services and two routes, in memory: the client answers every write (or fails
 * the ones `fail` names), and a read-back finds the desired state (or, after a failure, nothing).
 */
async function applyLogged(opts: { concurrency: number; fail?: string }) {
  const desired = compileMemory({
    'shop.yaml': `version: v1
namespaces:
  - name: shop
    services:
      - { name: s1, urls: [http://a/] }
      - { name: s2, urls: [http://b/] }
      - { name: s3, urls: [http://c/] }
    routes:
      - { name: r1, paths: [/r1], methods: [GET], service: s1 }
      - { name: r2, paths: [/r2], methods: [GET], service: s2 }
`,
  });
  const pre = emptyResources() as unknown as LiveResources;
  const scope = { namespaces: ['shop'], selectTags: [] };
  const diff = diffResources({
    desired: desired.resources,
    live: pre,
    scope,
    desiredDigests: new Map(),
    unreadableDocumentCollections: [],
    liveNamespaceNames: [],
    raft: false,
  });
  const planned: ExecutablePlan = {
    plan: buildPlan(desired, diff, { adminUrl: emptyRead.adminUrl, liveVersion: 'x' }, scope),
    desired,
    pre: { read: emptyRead, live: pre },
    desiredDigests: new Map(),
  };
  const log: Entry[] = [];
  let failed = false;
  const answer = (status: number, body: unknown): AdminResponse =>
    ({ status, body, text: JSON.stringify(body), headers: {} }) as unknown as AdminResponse;
  const client = {
    baseUrl: emptyRead.adminUrl,
    send: async (method: string, path: string, _query: unknown, body: unknown) => {
      if (method === 'GET') return answer(200, { count: 0 });
      const name = (body as { name?: string }).name;
      log.push({ send: `${method} ${path} ${name}` });
      // Answers arrive later than the request goes out: the pool really runs several at once.
      await new Promise((r) => setTimeout(r, 1));
      if (name === opts.fail) {
        failed = true;
        return answer(500, { error: 'boom' });
      }
      return answer(200, {});
    },
  } as unknown as AdminClient;
  const ctx: ApplyContext = {
    client,
    commitJournal: async (records, o) => {
      log.push({ commit: [...records], sync: o?.sync !== false });
    },
    readLive: async () => ({
      read: emptyRead,
      live: failed ? pre : (desired.resources as unknown as LiveResources),
    }),
    resolveSensitive: async () => {
      throw new Error('no sensitive values here');
    },
    onEvent: () => {},
    concurrency: opts.concurrency,
    now: () => new Date('2026-01-01T00:00:00Z'),
    newId: () => 'apply-1',
    redact: (t) => t,
  };
  const result = await applyPlan(planned, ctx);
  const steps = new Map(planned.plan.changes.map((c, i) => [i, `${c.kind}:${c.name}`]));
  // Each commit shown as one line, steps by name: what the journal file would hold, commit by commit.
  const shown = log.map((e) =>
    'send' in e
      ? `send ${e.send}`
      : `commit${e.sync ? ' (synced)' : ''}: ${e.commit
          .map((r) =>
            r.type === 'step'
              ? `${steps.get(r.index)} ${r.state}`
              : r.type === 'phase'
                ? `phase ${r.phase}`
                : r.type === 'end'
                  ? `end ${r.outcome}`
                  : r.type,
          )
          .join(', ')}`,
  );
  return { result, shown };
}

describe('applyPlan journals by wave (group commit)', () => {
  it('announces each wave in one synced commit before its first request, and closes it in one commit after', async () => {
    const { result, shown } = await applyLogged({ concurrency: 8 });
    expect(result.outcome).toBe('applied');
    expect(shown).toEqual([
      'commit (synced): begin',
      'commit (synced): namespaces:shop sending',
      'send PUT /api/v1/namespace shop',
      'commit: namespaces:shop done',
      'commit (synced): services:s1 sending, services:s2 sending, services:s3 sending',
      'send PUT /api/v1/service s1',
      'send PUT /api/v1/service s2',
      'send PUT /api/v1/service s3',
      'commit: services:s1 done, services:s2 done, services:s3 done',
      'commit (synced): routes:r1 sending, routes:r2 sending',
      'send PUT /api/v1/route r1',
      'send PUT /api/v1/route r2',
      'commit: routes:r1 done, routes:r2 done',
      'commit (synced): phase verifying',
      'commit (synced): end applied',
    ]);
  });

  it('after a failed step, records the steps of its wave never sent as unsent, then rolls back', async () => {
    const { result, shown } = await applyLogged({ concurrency: 1, fail: 's2' });
    expect(result).toMatchObject({ outcome: 'rolled-back', restore: { equal: true } });
    expect(shown).toEqual([
      'commit (synced): begin',
      'commit (synced): namespaces:shop sending',
      'send PUT /api/v1/namespace shop',
      'commit: namespaces:shop done',
      'commit (synced): services:s1 sending, services:s2 sending, services:s3 sending',
      'send PUT /api/v1/service s1',
      'send PUT /api/v1/service s2',
      'commit: services:s1 done, services:s2 failed, services:s3 unsent',
      'commit (synced): phase rolling-back',
      'commit (synced): end rolled-back',
    ]);
  });
});
