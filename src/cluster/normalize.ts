import { normalizeUrl } from '../compile/compile.js';
import { emptyResources, kindOrder, sortByIdentity, type AnyResource } from '../model/registry.js';
import { sha256Hex } from '../state/canonical-json.js';
import type { LiveResources } from '../state/live-state.js';
import type { LiveRead } from './api-types.js';

/**
 * The tag dgate-cli stores on a secret it applies: an HMAC-SHA256 of the value under the user's
 * DGATE_CLI_HASH_KEY. DGate keeps tags verbatim and never returns the value, so this is how a
 * later plan knows whether the value changed, without ever holding it in plaintext.
 */
export const secretHashTagPrefix = 'dgate-cli.value-hmac:';

function tagsOf(tags: string[] | null | undefined): { tags?: [string, ...string[]] } {
  return tags && tags.length > 0 ? { tags: tags as [string, ...string[]] } : {};
}

/** Re-encodes a payload from its bytes, so any valid base64 spelling compares equal. */
function canonicalBase64(payload: string): string {
  return Buffer.from(payload, 'base64').toString('base64');
}

/**
 * Turns what the admin API returned into the canonical form `compile` produces, so that equal
 * means equal: defaults written out, empty tags dropped, domain priority from the detail read,
 * a private key replaced by its digest, and everything sorted as compile sorts it. Pure.
 */
export function normalizeLive(read: LiveRead): LiveResources {
  const out = emptyResources() as unknown as LiveResources;
  for (const ns of read.namespaces) out.namespaces.push({ name: ns.name, ...tagsOf(ns.tags) });
  for (const s of read.services) {
    out.services.push({
      name: s.name,
      namespace: s.namespace,
      urls: (s.urls ?? []).map(normalizeUrl),
      retries: s.retries,
      retryTimeout: s.retryTimeout,
      connectTimeout: s.connectTimeout,
      requestTimeout: s.requestTimeout,
      tlsSkipVerify: s.tlsSkipVerify,
      http2Only: s.http2Only,
      ...tagsOf(s.tags),
    });
  }
  for (const m of read.modules)
    out.modules.push({ name: m.name, namespace: m.namespace, payload: canonicalBase64(m.payload), ...tagsOf(m.tags) });
  for (const r of read.routes) {
    const modules = [...new Set(r.modules ?? [])].sort();
    out.routes.push({
      name: r.name,
      namespace: r.namespace,
      paths: r.paths ?? [],
      methods: r.methods ?? [],
      preserveHost: r.preserveHost,
      stripPath: r.stripPath,
      ...(r.service ? { service: r.service } : {}),
      ...(modules.length > 0 ? { modules: modules as [string, ...string[]] } : {}),
      ...tagsOf(r.tags),
    });
  }
  for (const d of read.domains) {
    out.domains.push({
      name: d.name,
      namespace: d.namespace.name,
      patterns: d.pattern ?? [],
      priority: d.priority,
      ...(d.cert ? { cert: d.cert } : {}),
      ...(d.key ? { key: { digest: `sha256:${sha256Hex(d.key)}` } } : {}),
      ...tagsOf(d.tags),
    });
  }
  for (const c of read.collections) {
    out.collections.push({
      name: c.name,
      namespace: c.namespace,
      schema: (c.schema as Record<string, unknown> | null) ?? null,
      // DGate stores visibility as sent, any string; an omitted one (""), like any but 'private',
      // behaves as public. Kept as stored, so a config that says 'secret' compares equal.
      visibility: c.visibility || 'public',
      ...tagsOf(c.tags),
    });
  }
  for (const s of read.secrets) {
    const own = (s.tags ?? []).find((t) => t.startsWith(secretHashTagPrefix));
    out.secrets.push({
      name: s.name,
      namespace: s.namespace,
      ...(own ? { data: { digest: `hmac:${own.slice(secretHashTagPrefix.length)}` } } : {}),
      ...tagsOf((s.tags ?? []).filter((t) => !t.startsWith(secretHashTagPrefix))),
    });
  }
  for (const d of read.documents)
    out.documents.push({ id: d.id, namespace: d.namespace, collection: d.collection, data: d.data });
  for (const kind of kindOrder) sortByIdentity(kind, out[kind] as AnyResource[]);
  return out;
}
