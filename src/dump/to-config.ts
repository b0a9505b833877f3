import { dumpedModuleSource } from '../model/module-vars.js';
import { stringify } from 'yaml';
import { formatDuration } from '../model/duration.js';
import type { DumpTools } from '../model/kind.js';
import { kinds, specOrder, type AnyResource } from '../model/registry.js';
import type { NamespaceSpec, RouteSpec } from '../schema/generated/config.js';
import { foldCanaries } from './canary.js';
import { sha256Hex } from '../state/canonical-json.js';
import type { LiveResources } from '../state/live-state.js';

/** The environment variable a dumped secret is read from: DGATE_SECRET_SHOP_STRIPE_KEY. */
export function envNameFor(prefix: string, namespace: string, name: string): string {
  return `${prefix}_${namespace}_${name}`.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

/**
 * A name as one safe path segment. DGate accepts any name (`../../x`, `a/b`, control characters),
 * and a dump must never write outside its directory: every byte outside [A-Za-z0-9._-] is written
 * %XX (as in a URL), and so is a leading dot, so that `.`, `..` and hidden files cannot arise.
 */
export function fileSegmentFor(name: string): string {
  const escaped = [...Buffer.from(name, 'utf8')]
    .map((byte) => {
      const ch = String.fromCharCode(byte);
      return /[A-Za-z0-9._-]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
  const segment = escaped.replace(/^\./, '%2E') || '%';
  return segment.length <= longestSegment ? segment : shortenedSegment(segment, name);
}

/**
 * How long a segment may be: file systems take 255 bytes per name, and the dump adds `.yaml`.
 * DGate takes names of any length (a 300-character module name is fine there).
 */
const longestSegment = 200;

/**
 * A segment too long for a file name: its start, then `~` and a hash of the whole name. Escaping
 * never writes `~`, so a shortened segment cannot equal another name's segment.
 */
function shortenedSegment(segment: string, name: string): string {
  // Cut before a %XX escape rather than inside it.
  const head = segment.slice(0, 160).replace(/%[0-9A-F]?$/, '');
  return `${head}~${sha256Hex(name).slice(0, 16)}`;
}

/** Where a dumped module's source goes, relative to the dump directory. */
export function moduleFileFor(namespace: string, name: string): string {
  // DGate never returns a module's type; TypeScript is its default, and a superset of JavaScript.
  return `modules/${fileSegmentFor(namespace)}/${fileSegmentFor(name)}.ts`;
}

/** The tools a kind's dump uses (model/kind.ts), over one live state. */
export function dumpToolsFor(live: LiveResources): DumpTools {
  return {
    moduleFile: moduleFileFor,
    envName: envNameFor,
    formatDuration,
    documentsOf: (namespace, collection) =>
      live.documents.filter((d) => d.namespace === namespace && d.collection === collection),
  };
}

export interface DumpedConfig {
  /** Relative path → content: one YAML file per namespace, one source file per module. */
  files: Map<string, string>;
  /** Environment variables the dumped config reads sensitive values from. */
  env: string[];
  /** Resources whose names could not be file names as they are, and the escaped file written. */
  escaped: { what: string; file: string }[];
}

/** Turns live resources into config files in our format, so an existing gateway can be adopted. */
export function dumpToConfig(cluster: LiveResources): DumpedConfig {
  const { live, canaries } = foldCanaries(cluster);
  const files = new Map<string, string>();
  const env: string[] = [];
  const escaped: DumpedConfig['escaped'] = [];
  const tools = dumpToolsFor(live);
  // The environment variables the dumped references name are found by asking each kind's dump.
  const recordingTools: DumpTools = {
    ...tools,
    envName: (prefix, namespace, name) => {
      const variable = tools.envName(prefix, namespace, name);
      env.push(variable);
      return variable;
    },
  };
  for (const ns of live.namespaces) {
    // The namespace's own dump gives its name and tags (labels escaped as a config writes them).
    const spec: Record<string, unknown> = { ...(kinds.namespaces.dump(ns, recordingTools) as object) };
    for (const kind of specOrder) {
      const info = kinds[kind];
      const inNs = (live[kind] as unknown as AnyResource[]).filter((r) => info.namespaceOf(r) === ns.name);
      if (inNs.length > 0) spec[kind] = inNs.map((r) => info.dump(r as never, recordingTools));
    }
    for (const route of (spec.routes ?? []) as RouteSpec[]) {
      const canary = canaries.get(`${ns.name}/${route.name}`);
      if (canary) route.canary = canary;
    }
    for (const m of live.modules.filter((r) => r.namespace === ns.name)) {
      const file = moduleFileFor(m.namespace, m.name);
      if (file !== `modules/${m.namespace}/${m.name}.ts`)
        escaped.push({ what: `module ${JSON.stringify(`${m.namespace}/${m.name}`)}`, file });
      // Without the VARS line, which the module's spec gives back as `vars:` (kinds/modules.ts).
      files.set(file, dumpedModuleSource(Buffer.from(m.payload, 'base64').toString('utf8')).body);
    }
    const header = `# Dumped from a live DGate cluster by dgate-cli. Secret values are never dumped:\n# set the environment variables named by fromEnv before planning or applying.\n`;
    const file = `${fileSegmentFor(ns.name)}.yaml`;
    if (file !== `${ns.name}.yaml`) escaped.push({ what: `namespace ${JSON.stringify(ns.name)}`, file });
    files.set(
      file,
      header + stringify({ version: 'v1', namespaces: [spec as unknown as NamespaceSpec] }, { lineWidth: 0 }),
    );
  }
  return { files, env: env.sort(), escaped };
}
