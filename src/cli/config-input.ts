import { checkConfig } from '../compile/check.js';
import { collectFileRefs, type FileTable } from '../compile/file-refs.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import { errorsIn, sortDiagnostics } from '../errors/dgate-error.js';
import { readConfigSources, readReferencedFiles, type ConfigInput } from '../io/files.js';
import { loadConfig, type LoadedConfig } from '../load/assemble.js';
import { checkTargets } from '../select/targets.js';

export interface CheckedConfig {
  input: ConfigInput;
  config: LoadedConfig;
  files: FileTable;
  diagnostics: Diagnostic[];
}

/**
 * Reads a config and runs every check that needs no cluster: the shared front of validate,
 * compile and plan. `onLoaded` is called as soon as the files are parsed, before the slower
 * checks, so that plan can start reading the cluster meanwhile.
 */
export async function readCheckedConfig(path: string, onLoaded?: (config: LoadedConfig, root: string) => void): Promise<CheckedConfig> {
  const input = await readConfigSources(path);
  const { config, diagnostics } = loadConfig(input.sources);
  onLoaded?.(config, input.root);
  const files = await readReferencedFiles(input.root, collectFileRefs(config));
  diagnostics.push(...checkConfig(config, files));
  diagnostics.push(...checkTargets(config, errorsIn(diagnostics).length === 0 ? Date.now() : null));
  return { input, config, files, diagnostics: sortDiagnostics(diagnostics) };
}
