import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** dgate-cli's own version, from package.json (two levels above both src/cli and dist/cli). */
export function toolVersion(): string {
  cached ??= (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
  return cached;
}
