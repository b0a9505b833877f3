import { checkConfig, usesEncryptedValues } from '../compile/check.js';
import { expandModuleCanaries } from '../compile/module-canaries.js';
import type { ArmorDecoder } from '../compile/check-secrets.js';
import { collectFileRefs, type FileTable } from '../compile/file-refs.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import { errorsIn, sortDiagnostics } from '../errors/dgate-error.js';
import { readConfigSources, readReferencedFiles, type ConfigInput } from '../io/files.js';
import { loadConfig, type LoadedConfig } from '../load/assemble.js';
import { checkTargets } from '../select/check-targets.js';
import { expandBundles, type BundleProvenance } from '../bundles/expand.js';
import { isPklSource } from '../load/parse-pkl.js';
import type { PklOptions } from './pkl-input.js';
import { readPolicyRules } from './policy-input.js';
import { checkPolicy } from '../policy/check-policy.js';

export interface CheckedConfig {
  input: ConfigInput;
  /** The config with every bundle instance's resources added. */
  config: LoadedConfig;
  files: FileTable;
  diagnostics: Diagnostic[];
  /** Which bundle instance produced which resources. */
  bundles: BundleProvenance[];
}

/**
 * Reads a config and runs every check that needs no cluster: the shared front of validate,
 * compile and plan. Pkl modules are evaluated first, in one sandboxed pkl process (`pkl`). `onLoaded` is called as soon as the files are parsed, before the slower
 * checks, so that plan can start reading the cluster meanwhile.
 */
export async function readCheckedConfig(
  path: string,
  onLoaded?: (config: LoadedConfig, root: string) => void,
  pkl: PklOptions = {},
): Promise<CheckedConfig> {
  const input = await readConfigSources(path);
  // The Pkl evaluator and the bundle reader (with semver and simple-git) are loaded only for a
  // config that needs them: most runs of validate, compile and plan start faster without.
  const evaluated = input.sources.some(isPklSource)
    ? await (await import('./pkl-input.js')).readPklDocuments(input, pkl)
    : { parsed: undefined, diagnostics: [] };
  const loaded = loadConfig(input.sources, evaluated.parsed);
  const diagnostics = [...input.diagnostics, ...evaluated.diagnostics, ...loaded.diagnostics];
  onLoaded?.(loaded.config, input.root);
  // Bundles, exactly as dgate-cli.lock pins them, expanded into the config's namespaces.
  const locked = loaded.config.bundles.some((b) => b.valid)
    ? await (await import('./bundle-input.js')).readLockedBundles(loaded.config, input.root)
    : { instances: [], diagnostics: [] };
  diagnostics.push(...locked.diagnostics);
  const expanded = expandBundles(loaded.config, locked.instances);
  diagnostics.push(...expanded.diagnostics);
  // A module's canary, on every route that runs the module.
  const withCanaries = expandModuleCanaries(expanded.config);
  diagnostics.push(...withCanaries.diagnostics);
  const config = withCanaries.config;
  const files = await readReferencedFiles(input.root, collectFileRefs(config));
  diagnostics.push(...checkConfig(config, files, await armorDecoderFor(config)));
  diagnostics.push(...checkTargets(config, errorsIn(diagnostics).length === 0 ? Date.now() : null));
  // Policy rules (settings.policy, the files it names, the bundles' own), on what each target gets.
  const policy = await readPolicyRules(config, input.root, locked.instances);
  diagnostics.push(...policy.diagnostics);
  if (errorsIn(diagnostics).length === 0)
    diagnostics.push(...checkPolicy(config, files, policy.rules, Date.now(), expanded.provenance));
  return { input, config, files, diagnostics: sortDiagnostics(diagnostics), bundles: expanded.provenance };
}

/** age's armor decoder, loaded only for a config that has encrypted values (the import is slow). */
export async function armorDecoderFor(config: LoadedConfig): Promise<ArmorDecoder | undefined> {
  if (!usesEncryptedValues(config)) return undefined;
  const { armor } = await import('age-encryption');
  return (text) => armor.decode(text);
}
