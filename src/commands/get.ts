import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { stringify } from 'yaml';
import { ClusterCommand } from '../cli/cluster-command.js';
import { ExitCode } from '../cli/exit-codes.js';
import { normalizeLive } from '../cluster/normalize.js';
import { readLiveState } from '../cluster/read-live.js';
import { dumpToolsFor } from '../dump/to-config.js';
import { DgateError } from '../errors/dgate-error.js';
import { kindFromAlias, kinds, type AnyResource, type KindKey } from '../model/registry.js';
import { isTombstone } from '../model/tombstones.js';
import type { LiveResources } from '../state/live-state.js';
import { valueNamed } from '../cli/value-names.js';

/** How `get` marks a tombstone (model/tombstones.ts), so that it is never taken for a resource of the config. */
const tombstoneMark = 'left by a failed apply on raft, which cannot delete it; unreachable, and in no config';

function specsOf(
  kind: KindKey,
  live: LiveResources,
): { namespace: string; name: string; spec: unknown; tombstone: boolean }[] {
  const info = kinds[kind];
  // One resource alone: a module's source inline, a collection without its documents.
  const tools = { ...dumpToolsFor(live), inlineModules: true, documentsOf: () => [] };
  return (live[kind] as unknown as AnyResource[]).map((r) => ({
    namespace: info.namespaceOf(r),
    name: (r as { name?: string; id?: string }).name ?? String((r as { id?: string }).id),
    spec: info.dump(r as never, tools),
    tombstone: isTombstone(r),
  }));
}

export class GetCommand extends ClusterCommand {
  static override paths = [['get']];
  static override usage = Command.Usage({
    description: 'Print live resources in the config format, normalized as plan sees them',
    details: `
      KIND is namespace, service, module, route, domain, collection, document or secret (plural
      and the short forms svc, mod, rt, dom, col, doc, sec work too). Each resource is printed as
      you would write it in a config, with its namespace. Secret values and domain keys are never
      printed. A tombstone (what a failed apply on a raft cluster created and could not delete,
      left unreachable) is marked with a \`tombstone\` key saying so. Reads only.
    `,
    examples: [
      ['Every route on the cluster', '$0 get routes'],
      ['One service, as JSON', '$0 get service catalog --namespace shop --format json'],
    ],
  });

  kind = Option.String({ name: 'kind' });
  name = Option.String({ required: false, name: 'name' });
  namespace = valueNamed('NAME', Option.String('--namespace,-n', { description: 'Only this namespace' }));
  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'yaml', { description: 'yaml (default) or json', validator: t.isEnum(['yaml', 'json']) }),
  );

  protected async run(): Promise<number> {
    const kind = kindFromAlias(this.kind);
    if (!kind) {
      throw new DgateError({
        code: 'DG0001',
        message: `unknown kind '${this.kind}'`,
        hint: 'use one of: namespace, service, module, route, domain, collection, document, secret',
      });
    }
    const client = this.createClient();
    try {
      const read = await readLiveState(client, this.namespace ? [this.namespace] : 'all');
      if (this.namespace && read.namespaces.length === 0) {
        throw new DgateError({
          code: 'DG2003',
          message: `namespace '${this.namespace}' does not exist on ${client.baseUrl}`,
          hint: `namespaces there: ${read.allNamespaces.map((n) => n.name).join(', ')}`,
        });
      }
      const found = specsOf(kind, normalizeLive(read)).filter((r) => this.name === undefined || r.name === this.name);
      if (this.name !== undefined && found.length === 0) {
        throw new DgateError({
          code: 'DG2003',
          message: `no ${kind.slice(0, -1)} named '${this.name}'${this.namespace ? ` in namespace '${this.namespace}'` : ''} on ${client.baseUrl}`,
          hint: `list them with: dgate-cli get ${kind}`,
        });
      }
      const mark = (r: (typeof found)[number]) => (r.tombstone ? { tombstone: tombstoneMark } : {});
      const items = found.map((r) =>
        kind === 'namespaces'
          ? { ...mark(r), ...(r.spec as object) }
          : { namespace: r.namespace, ...mark(r), ...(r.spec as object) },
      );
      this.context.stdout.write(
        this.format === 'json'
          ? `${JSON.stringify(items, null, 2)}\n`
          : items.length === 0
            ? '[]\n'
            : stringify(items, { lineWidth: 0 }),
      );
      return ExitCode.OK;
    } finally {
      await client.close();
    }
  }
}
