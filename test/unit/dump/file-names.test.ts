import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dumpToConfig, fileSegmentFor } from '../../../src/dump/to-config.js';
import type { LiveResources } from '../../../src/state/live-state.js';
import { liveStateOf } from '../builders.js';

const emptyLive = (): LiveResources => liveStateOf();

describe('dump file names', () => {
  it('keeps safe names and escapes the rest, a leading dot included', () => {
    expect(fileSegmentFor('shop')).toBe('shop');
    expect(fileSegmentFor('my_ns-1.v2')).toBe('my_ns-1.v2');
    expect(fileSegmentFor('../../escaped-ns')).toBe('%2E.%2F..%2Fescaped-ns');
    expect(fileSegmentFor('..')).toBe('%2E.');
    expect(fileSegmentFor('.hidden')).toBe('%2Ehidden');
    expect(fileSegmentFor('a/b')).toBe('a%2Fb');
    expect(fileSegmentFor('café')).toBe('caf%C3%A9');
    expect(fileSegmentFor('\u001b[31m')).toBe('%1B%5B31m');
    expect(fileSegmentFor('')).toBe('%');
  });

  it('never leaves its directory, and never collides, whatever the name', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.string({ unit: 'binary', maxLength: 40 }),
        (a, b) => {
          const seg = fileSegmentFor(a);
          expect(seg).not.toContain('/');
          expect(seg).not.toContain('\\');
          expect(seg.startsWith('.')).toBe(false);
          expect(path.resolve('/out', seg).startsWith('/out/')).toBe(true);
          if (a !== b) expect(fileSegmentFor(b)).not.toBe(seg);
        },
      ),
    );
  });

  it('shortens a name too long for a file name (DGate takes 300 characters) to its start and a hash', () => {
    const long = fileSegmentFor('x'.repeat(300));
    expect(long).toMatch(/^x{160}~[0-9a-f]{16}$/);
    expect(fileSegmentFor('x'.repeat(301))).not.toBe(long);
    // Never cut inside a %XX escape.
    expect(fileSegmentFor('é'.repeat(100))).toMatch(/^(%[0-9A-F]{2})+~[0-9a-f]{16}$/);
    expect(fileSegmentFor('x'.repeat(200))).toBe('x'.repeat(200));
  });

  it('writes every namespace and module of a hostile cluster inside the dump, and names what it escaped', () => {
    const live = emptyLive();
    live.namespaces.push({ name: '../../escaped-ns' } as never);
    live.modules.push({
      name: '../evil',
      namespace: '../../escaped-ns',
      payload: Buffer.from('x').toString('base64'),
    } as never);
    const dumped = dumpToConfig(live);
    expect([...dumped.files.keys()].sort()).toEqual([
      '%2E.%2F..%2Fescaped-ns.yaml',
      'modules/%2E.%2F..%2Fescaped-ns/%2E.%2Fevil.ts',
    ]);
    for (const rel of dumped.files.keys()) expect(path.resolve('/out', rel).startsWith('/out/')).toBe(true);
    expect(dumped.escaped).toEqual([
      { what: 'module "../../escaped-ns/../evil"', file: 'modules/%2E.%2F..%2Fescaped-ns/%2E.%2Fevil.ts' },
      { what: 'namespace "../../escaped-ns"', file: '%2E.%2F..%2Fescaped-ns.yaml' },
    ]);
    // The config names the module file where it was written.
    expect(dumped.files.get('%2E.%2F..%2Fescaped-ns.yaml')).toContain(
      'file: modules/%2E.%2F..%2Fescaped-ns/%2E.%2Fevil.ts',
    );
  });
});
