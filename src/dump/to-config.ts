import { stringify } from 'yaml';
import { formatDuration } from '../compile/duration.js';
import type {
  CollectionSpec,
  DomainSpec,
  ModuleSpec,
  NamespaceSpec,
  RouteSpec,
  SecretSpec,
  ServiceSpec,
} from '../schema/generated/config.js';
import { sha256Hex } from '../state/canonical-json.js';
import type { LiveResources } from '../state/live-state.js';

type LiveOf<K extends keyof LiveResources> = LiveResources[K][number];

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

function tags(t: string[] | undefined): { tags?: string[] } {
  return t && t.length > 0 ? { tags: t } : {};
}

export function serviceSpecOf(s: LiveOf<'services'>): ServiceSpec {
  return {
    name: s.name,
    urls: s.urls,
    ...(s.retries !== 3 ? { retries: s.retries } : {}),
    ...(s.retryTimeout ? { retryTimeout: formatDuration(s.retryTimeout) } : {}),
    ...(s.connectTimeout ? { connectTimeout: formatDuration(s.connectTimeout) } : {}),
    ...(s.requestTimeout ? { requestTimeout: formatDuration(s.requestTimeout) } : {}),
    ...(s.tlsSkipVerify ? { tlsSkipVerify: true } : {}),
    ...(s.http2Only ? { http2Only: true } : {}),
    ...tags(s.tags),
  };
}

export function moduleSpecOf(m: LiveOf<'modules'>): ModuleSpec {
  // The namespace's YAML file sits at the dump root, so the module path is relative to it.
  return { name: m.name, file: moduleFileFor(m.namespace, m.name), ...tags(m.tags) } as ModuleSpec;
}

export function routeSpecOf(r: LiveOf<'routes'>): RouteSpec {
  return {
    name: r.name,
    paths: r.paths,
    methods: r.methods as RouteSpec['methods'],
    ...(r.service ? { service: r.service } : {}),
    ...(r.modules ? { modules: r.modules } : {}),
    ...(r.stripPath ? { stripPath: true } : {}),
    ...(r.preserveHost ? { preserveHost: true } : {}),
    ...tags(r.tags),
  };
}

export function domainSpecOf(d: LiveOf<'domains'>): DomainSpec {
  return {
    name: d.name,
    patterns: d.patterns,
    ...(d.priority ? { priority: d.priority } : {}),
    ...(d.cert ? { cert: d.cert } : {}),
    // The private key is never written out: it becomes a reference to fill in.
    ...(d.key ? { key: { fromEnv: envNameFor('DGATE_DOMAIN_KEY', d.namespace, d.name) } } : {}),
    ...tags(d.tags),
  };
}

export function collectionSpecOf(c: LiveOf<'collections'>, documents: LiveOf<'documents'>[]): CollectionSpec {
  return {
    name: c.name,
    ...(c.visibility !== 'public' ? { visibility: c.visibility } : {}),
    ...(c.schema ? { schema: c.schema } : {}),
    ...(documents.length > 0
      ? {
          documents: documents.map((d) => ({
            id: d.id,
            data: d.data as NonNullable<CollectionSpec['documents']>[number]['data'],
          })),
        }
      : {}),
    ...tags(c.tags),
  };
}

export function secretSpecOf(s: LiveOf<'secrets'>): SecretSpec {
  // DGate never returns a secret's value: the dump says where to supply it.
  return { name: s.name, value: { fromEnv: envNameFor('DGATE_SECRET', s.namespace, s.name) }, ...tags(s.tags) };
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
export function dumpToConfig(live: LiveResources): DumpedConfig {
  const files = new Map<string, string>();
  const env: string[] = [];
  const escaped: DumpedConfig['escaped'] = [];
  for (const ns of live.namespaces) {
    const inNs = <T extends { namespace: string }>(list: T[]) => list.filter((r) => r.namespace === ns.name);
    const spec: NamespaceSpec = { name: ns.name, ...tags(ns.tags) };
    const services = inNs(live.services).map(serviceSpecOf);
    const modules = inNs(live.modules);
    const routes = inNs(live.routes).map(routeSpecOf);
    const domains = inNs(live.domains);
    const collections = inNs(live.collections).map((c) =>
      collectionSpecOf(
        c,
        live.documents.filter((d) => d.namespace === ns.name && d.collection === c.name),
      ),
    );
    const secrets = inNs(live.secrets);
    if (services.length) spec.services = services;
    if (modules.length) spec.modules = modules.map(moduleSpecOf);
    if (routes.length) spec.routes = routes;
    if (domains.length) spec.domains = domains.map(domainSpecOf);
    if (collections.length) spec.collections = collections;
    if (secrets.length) spec.secrets = secrets.map(secretSpecOf);
    for (const m of modules) {
      const file = moduleFileFor(m.namespace, m.name);
      if (file !== `modules/${m.namespace}/${m.name}.ts`)
        escaped.push({ what: `module ${JSON.stringify(`${m.namespace}/${m.name}`)}`, file });
      files.set(file, Buffer.from(m.payload, 'base64').toString('utf8'));
    }
    for (const d of domains) if (d.key) env.push(envNameFor('DGATE_DOMAIN_KEY', d.namespace, d.name));
    for (const s of secrets) env.push(envNameFor('DGATE_SECRET', s.namespace, s.name));
    const header = `# Dumped from a live DGate cluster by dgate-cli. Secret values are never dumped:\n# set the environment variables named by fromEnv before planning or applying.\n`;
    const file = `${fileSegmentFor(ns.name)}.yaml`;
    if (file !== `${ns.name}.yaml`) escaped.push({ what: `namespace ${JSON.stringify(ns.name)}`, file });
    files.set(file, header + stringify({ version: 'v1', namespaces: [spec] }, { lineWidth: 0 }));
  }
  return { files, env: env.sort(), escaped };
}
