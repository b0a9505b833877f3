import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { ClusterCommand } from '../cli/cluster-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { normalizeLive } from '../cluster/normalize.js';
import { readLiveState } from '../cluster/read-live.js';
import { dumpToConfig } from '../dump/to-config.js';
import { DgateError } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import type { LiveResources } from '../state/live-state.js';
import { kindOrder, kinds, namespacedKinds, type AnyResource } from '../model/registry.js';
import { isTombstone } from '../model/tombstones.js';
import { printableName } from '../report/printable.js';
import { valueNamed } from '../cli/value-names.js';

/**
 * The live state without tombstones (what failed applies on raft left, model/tombstones.ts): they
 * are dgate-cli's, not part of any config. Returns them too, as `kind namespace/name`, to report.
 */
function withoutTombstones(live: LiveResources): { live: LiveResources; tombstones: string[] } {
  const out = { ...live };
  const tombstones: string[] = [];
  for (const kind of kindOrder) {
    const list = live[kind] as unknown as AnyResource[];
    for (const r of list)
      if (isTombstone(r))
        tombstones.push(`${kinds[kind].singular} ${printableName(kinds[kind].identity(r).join('/'))}`);
    (out as Record<string, unknown>)[kind] = list.filter((r) => !isTombstone(r));
  }
  return { live: out, tombstones };
}

/** The built-in `default` namespace is dumped only when something lives in it. */
function withoutEmptyDefault(live: LiveResources): LiveResources {
  const used = namespacedKinds.some((k) =>
    (live[k] as unknown as AnyResource[]).some((r) => kinds[k].namespaceOf(r) === 'default'),
  );
  return used ? live : { ...live, namespaces: live.namespaces.filter((n) => n.name !== 'default') };
}

export class DumpCommand extends ClusterCommand {
  static override paths = [['dump']];
  static override usage = Command.Usage({
    description: 'Write a live cluster out as config files, to adopt an existing gateway',
    details: `
      Reads every namespace (or those named with --namespace) and writes one YAML file per
      namespace, with module sources as separate files under modules/. Secret values and domain
      private keys are never written: they become \`fromEnv\` references, listed at the end, to
      fill in before planning. Validating the dump passes, and planning it against the same
      cluster shows no changes. Documents of private collections cannot be read (DGate hides
      them) and are reported.
    `,
    examples: [
      ['Dump the local cluster into ./gateway', '$0 dump --out gateway'],
      [
        'Dump two namespaces of another cluster',
        '$0 dump --out gateway --namespace shop --namespace blog --admin http://dgate.internal:9080',
      ],
    ],
  });

  out = valueNamed(
    'DIR',
    Option.String('--out,-o', {
      required: true,
      description: 'Directory to write the config into (created; must be empty unless --force)',
    }),
  );
  namespace = valueNamed(
    'NAME',
    Option.Array('--namespace,-n', [], { description: 'Dump only this namespace (repeatable)' }),
  );
  force = Option.Boolean('--force', false, {
    description: 'Write into a directory that is not empty, replacing files with the same names',
  });

  protected async run(): Promise<number> {
    const existing = await readdir(this.out).catch(() => [] as string[]);
    if (existing.length > 0 && !this.force) {
      throw new DgateError({
        code: 'DG0005',
        message: `'${this.out}' is not empty`,
        hint: 'choose a new directory, or pass --force to write into it',
      });
    }
    const client = this.createClient();
    try {
      const read = await readLiveState(client, this.namespace.length > 0 ? this.namespace : 'all');
      const missing = this.namespace.filter((n) => !read.namespaces.some((ns) => ns.name === n));
      if (missing.length > 0) {
        throw new DgateError({
          code: 'DG2003',
          message: `namespace ${missing.map((m) => `'${m}'`).join(', ')} does not exist on ${client.baseUrl}`,
          hint: `namespaces there: ${read.allNamespaces.map((n) => n.name).join(', ')}`,
        });
      }
      const { live: kept, tombstones } = withoutTombstones(normalizeLive(read));
      const live = withoutEmptyDefault(kept);
      const dumped = dumpToConfig(live);
      const root = path.resolve(this.out);
      for (const [rel, content] of dumped.files) {
        const file = path.resolve(root, rel);
        // Names are escaped into single path segments; this guard is the last word on it.
        if (path.relative(root, file).startsWith('..') || path.isAbsolute(path.relative(root, file))) {
          throw new DgateError({
            code: 'DG9001',
            message: `refusing to write '${rel}' outside '${this.out}'`,
            hint: 'this is a bug in dgate-cli: please report it',
          });
        }
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(file, content);
      }
      const count = namespacedKinds.reduce((n, k) => n + live[k].length, 0);
      this.context.stdout.write(
        `${this.style.green('✓')} dumped ${plural(live.namespaces.length, 'namespace')} and ${plural(count, 'resource')} from ${client.baseUrl} to ${this.out}\n`,
      );
      if (read.unreadableDocumentCollections.length > 0) {
        this.context.stdout.write(
          `  documents of private collections are not dumped (DGate does not list them): ${read.unreadableDocumentCollections.join(', ')}\n`,
        );
      }
      if (tombstones.length > 0) {
        this.context.stdout.write(
          `  tombstones are not dumped (left by a failed apply on raft; unreachable): ${tombstones.join(', ')}\n`,
        );
      }
      if (dumped.escaped.length > 0) {
        this.context.stdout.write(
          `  names that are not safe file names were written escaped: ${dumped.escaped.map((e) => `${e.what} → ${e.file}`).join(', ')}\n`,
        );
      }
      if (dumped.env.length > 0) {
        this.context.stdout.write(
          `  set these before planning (DGate never returns secret values): ${dumped.env.join(', ')}\n`,
        );
      }
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  }
}
