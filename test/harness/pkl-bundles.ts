import { cp, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from './cli.js';

const pklCors = path.join(repoRoot, 'test/fixtures/bundles-pkl/cors');

/** bundles/cors with bundle.yaml and resources.yaml replaced by the Pkl versions of the fixture. */
export async function writePklCors(dir: string): Promise<void> {
  await cp(path.join(repoRoot, 'bundles/cors'), dir, { recursive: true });
  await rm(path.join(dir, 'bundle.yaml'));
  await rm(path.join(dir, 'resources.yaml'));
  for (const file of await readdir(pklCors)) await cp(path.join(pklCors, file), path.join(dir, file));
}
