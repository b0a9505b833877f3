import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dgateCli } from '../harness/cli.js';

const temps: string[] = [];
afterAll(async () => {
  await Promise.all(temps.map((d) => rm(d, { recursive: true, force: true })));
});

async function configDir(file: string, text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-cli-guards-'));
  temps.push(dir);
  await writeFile(path.join(dir, file), text);
  return dir;
}

const pkl = `amends "modulepath:/dgate/Config.pkl"

settings {
  protect { "route shop/*"; "payments/*" }
  maxDeletes = "10%"
  windows {
    timeZone = "Europe/Paris"
    allow { new { days { "mon"; "tue" }; from = "09:00"; to = "17:00" } }
  }
  notify { new { url { fromEnv = "SLACK_URL" }; events { "applied"; "failed" } } }
}
namespaces {
  new {
    name = "shop"
    protect = true
    services { new { name = "api"; urls { "http://127.0.0.1:9/" }; protect = true } }
    routes { new { name = "home"; paths { "/" }; methods { "GET" }; service = "api"; protect = true } }
  }
}
`;

const yaml = `version: v1
settings:
  protect: ["route shop/*", "payments/*"]
  maxDeletes: "10%"
  windows:
    timeZone: Europe/Paris
    allow: [{ days: [mon, tue], from: "09:00", to: "17:00" }]
  notify: [{ url: { fromEnv: SLACK_URL }, events: [applied, failed] }]
namespaces:
  - name: shop
    protect: true
    services: [{ name: api, urls: ["http://127.0.0.1:9/"], protect: true }]
    routes: [{ name: home, paths: ["/"], methods: [GET], service: api, protect: true }]
`;

describe('guard settings in YAML and Pkl', () => {
  it('both accept protect, settings.protect, maxDeletes, windows and notify, and compile to one version with no protect in it', async () => {
    const [fromPkl, fromYaml] = await Promise.all([
      configDir('main.pkl', pkl).then((dir) => dgateCli(['compile', dir])),
      configDir('gw.yaml', yaml).then((dir) => dgateCli(['compile', dir])),
    ]);
    expect(fromPkl.stderr).toBe('');
    expect(fromYaml.stderr).toBe('');
    const [a, b] = [fromPkl, fromYaml].map((r) => JSON.parse(r.stdout) as { version: string });
    expect(a!.version).toBe(b!.version);
    // protect is dgate-cli's own: the desired state sent to DGate has none.
    expect(fromPkl.stdout).not.toContain('protect');
  });

  it('a wrong value is refused in both, where it is written', async () => {
    const badPkl = await configDir('main.pkl', pkl.replace('"10%"', '"lots"'));
    const pklResult = await dgateCli(['validate', badPkl]);
    expect(pklResult.code).toBe(1);
    expect(pklResult.stderr).toMatch(/main\.pkl:5:16: error DG1602: expected value of type .*value: "lots"/);
    const badYaml = await configDir('gw.yaml', yaml.replace('from: "09:00"', 'from: "9am"'));
    const yamlResult = await dgateCli(['validate', badYaml]);
    expect(yamlResult.code).toBe(1);
    expect(yamlResult.stderr).toMatch(/gw\.yaml:7:39: error DG1012: field 'from' does not have the expected form/);
  });
});
