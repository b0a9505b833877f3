import { createRequire } from 'node:module';

let yamlPackage: typeof import('yaml') | undefined;

/**
 * The `yaml` package, which parses with positions, loaded the first time a position is needed: a
 * valid config never needs one (values come from js-yaml), and loading it took a tenth of the
 * start-up of `dgate-cli validate`.
 */
export function positionedYaml(): typeof import('yaml') {
  yamlPackage ??= createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return yamlPackage;
}
