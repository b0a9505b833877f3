import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdminClient } from '../../src/cluster/client.js';
import { normalizeLive } from '../../src/cluster/normalize.js';
import { readLiveState } from '../../src/cluster/read-live.js';
import { readReleases } from '../../src/cluster/releases.js';
import type { LiveResources } from '../../src/state/live-state.js';
import { dgateCli, repoRoot } from '../harness/cli.js';
import { useTempDirs } from '../harness/fixtures.js';
import { useOwnDgateNode } from '../harness/node.js';

/** The namespaces `names` hold on the node, normalized: what a refused run must leave as it was. */
async function snapshot(adminUrl: string, names: string[]): Promise<LiveResources> {
  const client = new AdminClient({ baseUrl: adminUrl });
  try {
    return normalizeLive(await readLiveState(client, names));
  } finally {
    await client.close();
  }
}

/** A config file as the CLI (run from the repository root) names it in a location. */
const rel = (dir: string, file: string) => path.relative(repoRoot, path.join(dir, file));

async function releases(adminUrl: string) {
  const client = new AdminClient({ baseUrl: adminUrl });
  try {
    return await readReleases(client);
  } finally {
    await client.close();
  }
}

/** A namespace with a service, a module and routes; `extra` goes under the namespace. */
const shop = (routes: string, extra = '') => `version: v1
namespaces:
  - name: guarded
    services:
      - { name: api, urls: ["http://127.0.0.1:9/"] }
    modules:
      - { name: auth, source: "export const x = 1;", type: typescript }
    routes:
${routes}${extra}`;

describe('guards against a real server', () => {
  const node = useOwnDgateNode();
  const temps = useTempDirs();

  async function configDir(files: Record<string, string>): Promise<string> {
    const dir = await temps.make();
    for (const [name, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), text);
    }
    return dir;
  }
  const run = async (args: string[]) =>
    dgateCli(args, { env: { DGATE_ADMIN_URL: node().adminUrl, DGATE_CLI_STATE_DIR: await temps.make() } });

  it('protection: plan and apply refuse to delete or recreate a protected resource, located, and write nothing; --allow-protected lifts it and the release says so', async () => {
    const routes = `      - name: home
        paths: ["/"]
        methods: [GET]
        service: api
        modules: [auth]
        protect: true
      - { name: other, paths: ["/other"], methods: [GET], service: api }
`;
    const first = await configDir({
      'gw.yaml': shop(routes),
      'settings.yaml': 'version: v1\nsettings:\n  protect:\n    - "route guarded/oth*"\n',
    });
    const applied = await run(['apply', first, '--auto-approve']);
    expect(applied.code, applied.stderr).toBe(0);
    const recorded = (await releases(node().adminUrl)).at(-1);
    expect(recorded?.protected).toEqual(['routes:guarded/home']);

    // 1. A route that loses its module (DGate can only do that by deleting the route), and a
    // route the config drops that settings.protect covers.
    const edited = await configDir({
      'gw.yaml': shop(routes.replace('        modules: [auth]\n', '').replace(/ {6}- \{ name: other.*\n/, '')),
      'settings.yaml': 'version: v1\nsettings:\n  protect:\n    - "route guarded/oth*"\n',
    });
    const before = await snapshot(node().adminUrl, ['guarded']);
    const plan = await run(['plan', edited]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('- route other');
    expect(plan.stderr).toContain(
      `${rel(edited, 'gw.yaml')}:13:9: error DG3013: the plan would delete or recreate 2 protected resources: route guarded/home, route guarded/other; nothing was changed`,
    );
    expect(plan.stderr).toContain(
      `${rel(edited, 'gw.yaml')}:13:9: error DG3013: would delete and recreate protected route guarded/home (protect: true)`,
    );
    expect(plan.stderr).toContain(
      `${rel(edited, 'settings.yaml')}:4:7: error DG3013: would delete protected route guarded/other (settings.protect 'route guarded/oth*')`,
    );
    const refused = await run(['apply', edited, '--auto-approve']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('error DG3013: the plan would delete or recreate 2 protected resources');
    expect(refused.stdout).not.toContain('Apply complete');
    expect(await snapshot(node().adminUrl, ['guarded'])).toEqual(before);
    expect((await releases(node().adminUrl)).length).toBe(1);

    // 2. Dropped from the config with its protect: true, a resource stays protected (the release recorded it).
    const dropped = await configDir({ 'gw.yaml': shop(routes.replace(/ {6}- name: home[\s\S]*?protect: true\n/, '')) });
    const refusedDrop = await run(['apply', dropped, '--auto-approve']);
    expect(refusedDrop.code).toBe(1);
    expect(refusedDrop.stderr).toMatch(
      /error DG3013: would delete protected route guarded\/home \(protect: true when release \d+ was applied\)/,
    );
    expect(await snapshot(node().adminUrl, ['guarded'])).toEqual(before);

    // 3. --allow-protected: done, and recorded.
    const allowed = await run(['apply', edited, '--auto-approve', '--allow-protected']);
    expect(allowed.code, allowed.stderr).toBe(0);
    const latest = (await releases(node().adminUrl)).at(-1);
    expect(latest?.overrides).toEqual({
      allowedProtected: ['recreate route guarded/home', 'delete route guarded/other'],
    });
    const after = await snapshot(node().adminUrl, ['guarded']);
    expect(after.routes.map((r) => [r.name, r.modules ?? []])).toEqual([['home', []]]);
    // protect is dgate-cli's own: DGate never saw it.
    expect(JSON.stringify(after)).not.toContain('protect');
  });
});
