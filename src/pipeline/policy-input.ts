import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BundleInstance } from '../bundles/expand.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import { locationOf, type LoadedConfig } from '../load/assemble.js';
import { checkConfigSchema } from '../load/check-schema.js';
import { parseYamlSource } from '../load/parse-yaml.js';
import { bundleRules, configRules, fileRules } from '../policy/check-policy.js';
import type { PlacedRule } from '../policy/rules.js';
import type { ConfigFile } from '../schema/generated/config.js';

const configExtensions = new Set(['.yaml', '.yml', '.pkl']);

/**
 * Every policy rule of a config: those written under settings.policy.rules, those of the files
 * settings.policy.files names (read here, relative to the file that names them), and those the
 * config's bundles ship (scoped to each instance's namespace).
 */
export async function readPolicyRules(
  config: LoadedConfig,
  root: string,
  instances: readonly BundleInstance[],
): Promise<{ rules: PlacedRule[]; diagnostics: Diagnostic[] }> {
  const diagnostics: Diagnostic[] = [];
  const rules = configRules(config);
  const read = new Set<string>();
  for (const doc of config.documents) {
    const files = (doc.value as Partial<ConfigFile> | null)?.settings?.policy?.files;
    if (!Array.isArray(files)) continue;
    for (const [i, written] of files.entries()) {
      const at = locationOf({ doc, path: ['settings', 'policy', 'files', i] });
      const absolute = path.resolve(root, path.dirname(doc.source.rel), written);
      const rel = path.relative(root, absolute).split(path.sep).join('/');
      const inside = !rel.startsWith('../') && rel !== '..' && !path.isAbsolute(rel);
      // readConfigSources skips hidden files and directories, and node_modules.
      const walked = !rel.split('/').some((seg) => seg.startsWith('.') || seg === 'node_modules');
      if (inside && walked && configExtensions.has(path.extname(rel).toLowerCase())) {
        diagnostics.push({
          code: 'DG1204',
          severity: 'error',
          message: `policy file '${written}' is inside the config directory, where every *.yaml, *.yml and *.pkl file is read as a config file`,
          location: at,
          hint: 'write its rules under settings.policy.rules in a config file (settings in any file apply to all), or name the file with a leading dot (.policy.yaml), or keep it outside the config directory',
        });
        continue;
      }
      if (read.has(absolute)) continue;
      read.add(absolute);
      let text: string;
      try {
        text = await readFile(absolute, 'utf8');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        diagnostics.push({
          code: 'DG1203',
          severity: 'error',
          message: `policy file '${written}' cannot be read (${code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : (code ?? String(err))})`,
          location: at,
          hint: `the path is relative to ${doc.source.path}; it resolves to ${path.relative(process.cwd(), absolute) || absolute}`,
        });
        continue;
      }
      const parsed = parseYamlSource({ path: path.relative(process.cwd(), absolute) || absolute, rel, text });
      diagnostics.push(...parsed.diagnostics);
      for (const policyDoc of parsed.documents) {
        const schema = checkConfigSchema(policyDoc, 'PolicyFile');
        diagnostics.push(...schema.diagnostics);
        if (schema.diagnostics.length === 0) rules.push(...fileRules(policyDoc));
      }
    }
  }
  for (const { use, content } of instances) rules.push(...bundleRules(content, use.spec.as, use.spec.namespace));
  return { rules, diagnostics };
}
