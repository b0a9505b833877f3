import { describe, expect, it } from 'vitest';
import { emptyResources } from '../../../src/model/registry.js';
import { withSecretVersions } from '../../../src/plan/secret-versions.js';
import type { LiveResources } from '../../../src/state/live-state.js';

const desiredWith = (keepVersions: number) => ({
  ...emptyResources(),
  secrets: [{ name: 'k', namespace: 'n', data: { fromEnv: 'K' }, keepVersions }],
});
const liveWith = (versions: Record<string, string>): LiveResources =>
  ({
    ...emptyResources(),
    secrets: Object.entries(versions).map(([name, digest]) => ({ name, namespace: 'n', data: { digest } })),
  }) as unknown as LiveResources;
const names = (r: { secrets: { name: string }[] }) => r.secrets.map((s) => s.name);

describe('secret versions', () => {
  const digests = (d: string) => new Map([['secrets:n/k:data', d]]);

  it('a first value is version 1', () => {
    const out = withSecretVersions(desiredWith(2), liveWith({}), digests('hmac:a'));
    expect(names(out.resources)).toEqual(['k', 'k.v1']);
    expect(out.digests.get('secrets:n/k.v1:data')).toBe('hmac:a');
    expect(out.resources.secrets[1]).toEqual({ name: 'k.v1', namespace: 'n', data: { fromEnv: 'K' } });
  });

  it('an unchanged value adds nothing and keeps what is there', () => {
    const out = withSecretVersions(
      desiredWith(2),
      liveWith({ k: 'hmac:b', 'k.v1': 'hmac:a', 'k.v2': 'hmac:b' }),
      digests('hmac:b'),
    );
    expect(names(out.resources)).toEqual(['k', 'k.v1', 'k.v2']);
    expect(out.digests.get('secrets:n/k.v1:data')).toBe('hmac:a');
  });

  it('a new value is the next version, and versions older than the kept window are left out', () => {
    const out = withSecretVersions(
      desiredWith(2),
      liveWith({ k: 'hmac:c', 'k.v1': 'hmac:a', 'k.v2': 'hmac:b', 'k.v3': 'hmac:c' }),
      digests('hmac:d'),
    );
    expect(names(out.resources)).toEqual(['k', 'k.v2', 'k.v3', 'k.v4']);
  });

  it('counts numerically, not by text (v10 after v9)', () => {
    const live = Object.fromEntries(Array.from({ length: 9 }, (_, i) => [`k.v${i + 1}`, `hmac:${i + 1}`]));
    const out = withSecretVersions(desiredWith(1), liveWith(live), digests('hmac:new'));
    expect(names(out.resources)).toEqual(['k', 'k.v10', 'k.v9']);
  });

  it('without a digest it reports the secret and keeps every version in the window as it is', () => {
    const out = withSecretVersions(desiredWith(1), liveWith({ 'k.v1': 'hmac:a', 'k.v2': 'hmac:b' }), new Map());
    expect(out.unknown).toEqual(['n/k']);
    expect(names(out.resources)).toEqual(['k', 'k.v1', 'k.v2']);
  });

  it('leaves secrets without keepVersions alone', () => {
    const desired = { ...emptyResources(), secrets: [{ name: 'k', namespace: 'n', data: { fromEnv: 'K' } }] };
    const out = withSecretVersions(desired, liveWith({ 'k.v1': 'hmac:a' }), digests('hmac:a'));
    expect(out.resources).toBe(desired);
  });
});
