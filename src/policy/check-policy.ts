import type { BundleContent, BundleProvenance } from '../bundles/expand.js';
import { compileTarget } from '../compile/compile.js';
import type { FileTable } from '../compile/file-refs.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import type { LoadedConfig } from '../load/assemble.js';
import type { ParsedDocument } from '../load/parse-yaml.js';
import type { ConfigFile, PolicyFile } from '../schema/generated/config.js';
import { targetsOf } from '../select/targets.js';
import { evaluatePolicy, originsOf, type TargetState } from './evaluate.js';
import { compileRules, type PlacedRule } from './rules.js';

/** The rules written under settings.policy.rules, in every config file. */
export function configRules(config: LoadedConfig): PlacedRule[] {
  const out: PlacedRule[] = [];
  for (const doc of config.documents) {
    const rules = (doc.value as Partial<ConfigFile> | null)?.settings?.policy?.rules;
    if (Array.isArray(rules))
      rules.forEach((rule, i) => {
        out.push({ rule, origin: { doc, path: ['settings', 'policy', 'rules', i] } });
      });
  }
  return out;
}

/** The rules of a policy file (already checked against the PolicyFile schema). */
export function fileRules(doc: ParsedDocument): PlacedRule[] {
  return ((doc.value as PolicyFile).rules ?? []).map((rule, i) => ({ rule, origin: { doc, path: ['rules', i] } }));
}

/**
 * The rules a bundle ships, for one instance: scoped to the namespace it goes into, with the
 * bundle's own module names mapped to the names the instance gives them (`<as>-<name>`).
 */
export function bundleRules(content: BundleContent, instance: string, namespace: string): PlacedRule[] {
  const modules: Record<string, string> = {};
  for (const doc of content.resourceDocs) {
    const list = (doc.value as { modules?: unknown } | null)?.modules;
    if (Array.isArray(list))
      for (const m of list) {
        const name = (m as { name?: unknown } | null)?.name;
        if (typeof name === 'string') modules[name] = `${instance}-${name}`;
      }
  }
  return (content.manifest.policy?.rules ?? []).map((rule, i) => ({
    rule,
    origin: { doc: content.manifestDoc, path: ['policy', 'rules', i] },
    bundle: { bundle: content.manifest.name, instance, namespace, modules },
  }));
}

/**
 * Checks the config's policy: its rules are compiled (a malformed one is a located error), then
 * evaluated on what each target gets at `at`, compiled as apply would send it. Call it only when
 * the config has no errors: compiling needs a checked config. Pure.
 */
export function checkPolicy(
  config: LoadedConfig,
  files: FileTable,
  placed: readonly PlacedRule[],
  at: number,
  bundles: readonly BundleProvenance[] = [],
): Diagnostic[] {
  if (placed.length === 0) return [];
  const { rules, diagnostics } = compileRules(placed);
  if (rules.length === 0) return diagnostics;
  const states: TargetState[] = [];
  for (const target of targetsOf(config)) {
    const compiled = compileTarget(
      config,
      files,
      { tool: { name: 'dgate-cli', version: '' }, git: null },
      target,
      at,
      bundles,
    );
    // A target whose selection is broken is reported by checkTargets.
    if (compiled.state) states.push({ target, state: compiled.state });
  }
  diagnostics.push(...evaluatePolicy(rules, states, originsOf(config), at, config.targets.length > 0));
  return diagnostics;
}
