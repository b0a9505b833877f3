import path from 'node:path';
import type { LoadedConfig, Origin } from '../load/assemble.js';

/** What the file system said about a referenced file. Filled by io/, read by the pure checks. */
export type FileEntry =
  | { status: 'ok'; bytes: Uint8Array }
  | { status: 'missing' }
  | { status: 'not-a-file' }
  /** The path is inside the root, but a symbolic link along it leads outside. */
  | { status: 'outside-root' };

/** Referenced files keyed by their path relative to the config root (with / separators). */
export type FileTable = ReadonlyMap<string, FileEntry>;

/** A file reference resolved against the file that wrote it. `rel` is null when it leaves the root. */
export interface ResolvedRef {
  written: string;
  rel: string | null;
}

/** Resolves `ref` relative to the config file at `origin`, confined to the config root. */
export function resolveFileRef(origin: Origin, ref: string): ResolvedRef {
  if (path.posix.isAbsolute(ref) || path.win32.isAbsolute(ref)) return { written: ref, rel: null };
  const dir = path.posix.dirname(origin.doc.source.rel);
  const rel = path.posix.normalize(path.posix.join(dir, ref.replace(/\\/g, '/')));
  if (rel === '..' || rel.startsWith('../')) return { written: ref, rel: null };
  return { written: ref, rel };
}

/** Files the checks and the compile step read: module sources, domain certificates and age-encrypted secrets (never plain secret files), inside the root. */
export function collectFileRefs(config: LoadedConfig): string[] {
  const out = new Set<string>();
  for (const ns of config.namespaces) {
    for (const m of ns.resources.modules) {
      if (typeof m.spec.file === 'string') {
        const r = resolveFileRef(m.origin, m.spec.file);
        if (r.rel) out.add(r.rel);
      }
    }
    for (const sec of ns.resources.secrets) {
      const file = (sec.spec.value as { fromEncryptedFile?: unknown } | undefined)?.fromEncryptedFile;
      if (typeof file === 'string') {
        const r = resolveFileRef(sec.origin, file);
        if (r.rel) out.add(r.rel);
      }
    }
    for (const d of ns.resources.domains) {
      const keyFile = (d.spec.key as { fromEncryptedFile?: unknown } | undefined)?.fromEncryptedFile;
      if (typeof keyFile === 'string') {
        const r = resolveFileRef(d.origin, keyFile);
        if (r.rel) out.add(r.rel);
      }
      const cert = d.spec.cert;
      if (cert && typeof cert === 'object' && typeof cert.file === 'string') {
        const r = resolveFileRef(d.origin, cert.file);
        if (r.rel) out.add(r.rel);
      }
    }
  }
  return [...out].sort();
}
