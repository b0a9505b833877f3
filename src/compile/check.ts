import type { Diagnostic } from '../errors/dgate-error.js';
import { configSettings, type Declared, type LoadedConfig } from '../load/assemble.js';
import { systemNamespace } from '../model/registry.js';
import type { FileTable } from './file-refs.js';
import { reportInto } from './check-report.js';
import { checkDuplicates, checkNamesAndTags, checkNamespaceTags } from './check-names.js';
import { checkDomain, checkRoute, checkRouteCollisions, checkService } from './check-references.js';
import { isSelectorTag } from '../select/tags.js';
import { checkModule } from './check-modules.js';
import { checkCanary } from './check-canary.js';
import { checkCanaryPrometheus } from './check-canary-prometheus.js';
import { type ArmorDecoder, checkSecretSource, checkSecretVersionNames, type SecretRules } from './check-secrets.js';
import { checkCollection, DocumentValidators } from './check-collections.js';
import { checkSettings } from './check-settings.js';

/**
 * The checks that need more than one file at a time or knowledge of DGate: references,
 * duplicates, module files, collection schemas and documents, and the rules DGate only enforces
 * when a write is applied (where a failure wedges the node, so we must catch them first). This
 * file runs them in order; each concern has its file (check-names, check-references,
 * check-canary, check-modules, check-secrets, check-collections), reporting through check-report.
 */

/**
 * Whether any secret source of the config is an `encrypted:` value, whose armor checkConfig
 * decodes. Loading age-encryption costs about 140 ms, so callers load it only then.
 */
export function usesEncryptedValues(config: LoadedConfig): boolean {
  return config.namespaces.some(
    (ns) =>
      ns.resources.secrets.some((s) => typeof s.spec.value?.encrypted === 'string') ||
      ns.resources.domains.some((d) => typeof d.spec.key?.encrypted === 'string'),
  );
}

export function checkConfig(config: LoadedConfig, files: FileTable, decodeArmor?: ArmorDecoder): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = reportInto(diagnostics);
  const documentValidators = new DocumentValidators();
  const settings = configSettings(config);
  const secrets: SecretRules = {
    plaintextAllowed: settings.allowPlaintextSecrets === true,
    fileRoots: settings.secretFileRoots ?? [],
    files,
    decodeArmor,
  };
  for (const ns of config.namespaces) {
    if (ns.name === systemNamespace) {
      for (const d of ns.declarations)
        report(
          'DG1118',
          d.origin,
          ['name'],
          `namespace '${systemNamespace}' is reserved for dgate-cli's apply lock and release history`,
          'give the namespace another name',
        );
    }
    checkDuplicates(ns, report);
    checkNamespaceTags(ns, report);
    checkNamesAndTags(ns, report);
    const valid = <T>(list: Declared<T>[]) => list.filter((d) => d.valid);
    for (const route of valid(ns.resources.routes)) {
      checkRoute(ns, route, report);
      checkCanary(ns, route, files, report);
      checkCanaryPrometheus(ns, route, report);
    }
    checkRouteCollisions(
      ns,
      valid(ns.resources.routes).filter((r) => !(r.spec.tags ?? []).some(isSelectorTag)),
      report,
    );
    for (const service of valid(ns.resources.services)) checkService(ns, service, report);
    for (const module of valid(ns.resources.modules)) checkModule(ns, module, files, report, documentValidators);
    for (const domain of valid(ns.resources.domains)) checkDomain(ns, domain, files, secrets, report);
    for (const collection of valid(ns.resources.collections))
      checkCollection(ns, collection, documentValidators, report);
    checkSecretVersionNames(ns, report);
    for (const secret of valid(ns.resources.secrets))
      checkSecretSource(
        secret.origin,
        ['value'],
        secret.spec.value,
        `secret '${ns.name}/${secret.spec.name}'`,
        secrets,
        report,
      );
  }
  checkSettings(config, report);
  return diagnostics;
}
