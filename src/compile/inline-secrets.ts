import type { LoadedConfig } from '../load/assemble.js';

/**
 * The plaintext `value:` written in the config for a compiled `{ inline: true }` reference.
 * Compile never copies it into the desired state; commands that must send it look it up here.
 */
export function inlineSensitiveValue(
  config: LoadedConfig,
  kind: 'secrets' | 'domains',
  namespace: string,
  name: string,
): string | undefined {
  const ns = config.namespaces.find((n) => n.name === namespace);
  if (kind === 'secrets') return ns?.resources.secrets.find((s) => s.spec.name === name)?.spec.value.value;
  return ns?.resources.domains.find((d) => d.spec.name === name)?.spec.key?.value;
}
