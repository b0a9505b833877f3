import { describe, expect, it } from 'vitest';
import { compareWithPre, namespacesToDelete, planUndo, type Touched } from '../../../src/apply/restore.js';
import type { LiveRead } from '../../../src/model/api-types.js';
import { tombstoneTag } from '../../../src/model/tombstones.js';
import type { Resources } from '../../../src/schema/generated/desired-state.js';
import type { LiveResources } from '../../../src/state/live-state.js';
import { liveReadOf, liveStateOf } from '../builders.js';

type Route = Resources['routes'][number];
type Service = LiveResources['services'][number];

const route = (name: string, extra: Partial<Route> = {}): Route => ({
  name,
  namespace: 'shop',
  paths: [`/${name}`],
  methods: ['GET'],
  preserveHost: false,
  stripPath: false,
  ...extra,
});
const service = (name: string, url: string): Service => ({
  name,
  namespace: 'shop',
  urls: [url],
  retries: 3,
  retryTimeout: 0,
  connectTimeout: 0,
  requestTimeout: 0,
  tlsSkipVerify: false,
  http2Only: false,
});

function state(parts: Partial<LiveResources>, namespaces = ['shop']): LiveResources {
  return liveStateOf({ namespaces: namespaces.map((name) => ({ name })), ...parts });
}

/** What a read of the cluster says besides the resources: only these fields matter to the restore. */
function readOf(live: LiveResources, raft = false): LiveRead {
  return liveReadOf({ allNamespaces: live.namespaces.map((n) => ({ name: n.name })), raft });
}

function undoOf(pre: LiveResources, live: LiveResources, touched: Touched, raft = false) {
  const compared = compareWithPre(pre, readOf(live, raft), live, touched);
  return { compared, undo: planUndo(pre, compared, touched) };
}

const requestsOf = (undo: ReturnType<typeof planUndo>) =>
  undo.waves.map((wave) =>
    wave.map(({ step }) => step.requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.body ?? r.query)}`)),
  );

describe('planUndo', () => {
  it('puts a changed service back before deleting the route the apply created (dependency order, reversed)', () => {
    const pre = state({ services: [service('api', 'http://old:80')] });
    const live = state({
      services: [service('api', 'http://new:80')],
      routes: [route('fresh', { service: 'api' })],
    });
    const { undo } = undoOf(pre, live, [
      { kind: 'services', id: 'shop/api' },
      { kind: 'routes', id: 'shop/fresh' },
    ]);
    expect(requestsOf(undo)).toEqual([
      [[expect.stringMatching(/^PUT \/api\/v1\/service .*"urls":\["http:\/\/old:80"\]/)]],
      [['DELETE /api/v1/route {"name":"fresh","namespace":"shop"}']],
    ]);
    expect(undo.unrestorable).toEqual([]);
    expect(undo.tombstones).toEqual([]);
  });

  it('leaves alone what the apply did not touch, even where it differs from the state before', () => {
    const pre = state({ services: [service('api', 'http://old:80'), service('other', 'http://a:80')] });
    const live = state({ services: [service('api', 'http://old:80'), service('other', 'http://b:80')] });
    const { undo } = undoOf(pre, live, [{ kind: 'services', id: 'shop/api' }]);
    expect(undo.waves).toEqual([]);
  });

  it('recreates a route that must lose a module (DGate never unlinks one on PUT)', () => {
    const pre = state({ routes: [route('r')] });
    const live = state({ routes: [route('r', { modules: ['auth'] })] });
    const { undo } = undoOf(pre, live, [{ kind: 'routes', id: 'shop/r' }]);
    expect(undo.waves.flat().map(({ step }) => step.requests.map((r) => r.method))).toEqual([['DELETE', 'PUT']]);
  });

  describe('on raft, where no delete can be sent', () => {
    it('only puts such a route again, and names the module link it keeps', () => {
      const pre = state({ routes: [route('r')] });
      const live = state({ routes: [route('r', { modules: ['auth'] })] });
      const { undo } = undoOf(pre, live, [{ kind: 'routes', id: 'shop/r' }], true);
      expect(undo.waves.flat().map(({ step }) => step.requests.map((r) => r.method))).toEqual([['PUT']]);
      expect(undo.unrestorable).toEqual([expect.stringContaining('route shop/r: keeps its link to module auth')]);
    });

    it('turns what the apply created into tombstones, routes before the services they use', () => {
      const pre = state({});
      const live = state({ services: [service('api', 'http://new:80')], routes: [route('fresh', { service: 'api' })] });
      const { undo } = undoOf(
        pre,
        live,
        [
          { kind: 'services', id: 'shop/api' },
          { kind: 'routes', id: 'shop/fresh' },
        ],
        true,
      );
      expect(undo.waves).toEqual([]);
      expect(undo.tombstones.map((t) => `${t.kind} ${t.id}`)).toEqual(['routes shop/fresh', 'services shop/api']);
      expect(undo.tombstones[0]!.body).toMatchObject({ paths: [], tags: [tombstoneTag] });
    });
  });
});

describe('namespacesToDelete', () => {
  it('deletes an empty namespace the apply created and keeps one that still holds a collection', () => {
    const live = state(
      {
        collections: [{ name: 'c', namespace: 'kept', schema: null, visibility: 'public' }],
      },
      ['shop', 'empty', 'kept'],
    );
    const compared = compareWithPre(state({}), readOf(live), live, [
      { kind: 'namespaces', id: 'empty' },
      { kind: 'namespaces', id: 'kept' },
      { kind: 'collections', id: 'kept/c' },
    ]);
    expect(namespacesToDelete(compared)).toEqual({ delete: ['empty'], stay: ['kept'] });
  });

  it('deletes none on raft', () => {
    const live = state({}, ['shop', 'empty']);
    const compared = compareWithPre(state({}), readOf(live, true), live, [{ kind: 'namespaces', id: 'empty' }]);
    expect(namespacesToDelete(compared)).toEqual({ delete: [], stay: [] });
  });
});
