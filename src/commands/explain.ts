import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { BaseCommand } from '../cli/base-command.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { chooseTargets, evaluationInstant } from '../pipeline/target-choice.js';
import { DgateError } from '../errors/dgate-error.js';
import { formatLocation } from '../errors/render.js';
import { locationOf, type Declared, type NamespacedSpecKind } from '../load/assemble.js';
import { kindFromAlias, kinds } from '../model/registry.js';
import { selectForTarget } from '../select/targets.js';
import { explainSelection } from '../select/explain.js';
import { valueNamed } from '../cli/value-names.js';

export class ExplainCommand extends BaseCommand {
  static override paths = [['explain']];
  static override usage = Command.Usage({
    description: 'Say why a resource is or is not selected for each target',
    details: `
      RESOURCE is KIND NAMESPACE/NAME (\`route shop/checkout\`) or \`namespace NAME\`. For each
      target (or those named with \`--target\`), lists every selector that applies (the
      namespace's, then the resource's own), whether it holds at \`--at\` (default now), why,
      and where it is written. Reads no cluster.
    `,
    examples: [
      ['Why a route is or is not on every target', '$0 explain route shop/debug examples/regions'],
      [
        'One target, on launch day',
        '$0 explain namespace launch examples/regions --target eu-prod --at 2026-12-01T00:00:00Z',
      ],
    ],
  });

  kind = Option.String({ name: 'kind' });
  id = Option.String({ name: 'namespace/name' });
  configPath = Option.String({ required: false, name: 'path' });
  target = valueNamed(
    'NAME',
    Option.Array('--target', [], { description: 'Explain for this target (repeatable; default: every target)' }),
  );
  at = valueNamed(
    'TIME',
    Option.String('--at', { description: 'Evaluate time-qualified tags at this RFC 3339 instant instead of now' }),
  );
  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'human', {
      description: 'human (default) or json',
      validator: t.isEnum(['human', 'json']),
    }),
  );

  protected async run(): Promise<number> {
    const kind = kindFromAlias(this.kind);
    if (!kind || kind === 'documents') {
      throw new DgateError({
        code: 'DG0001',
        message: `cannot explain kind '${this.kind}'`,
        hint: 'use namespace, service, module, route, domain, collection or secret (documents follow their collection)',
      });
    }
    const source = this.configPath ?? '.';
    const checked = await readCheckedConfig(source);
    if (this.reportDiagnostics(checked.diagnostics, source, 'explained')) return ExitCode.ERROR;
    const [nsName, name] = kind === 'namespaces' ? [this.id, this.id] : splitId(this.id);
    const ns = checked.config.namespaces.find((n) => n.name === nsName);
    const resource =
      kind === 'namespaces' || !ns
        ? null
        : ((ns.resources[kind as NamespacedSpecKind] as Declared<{ name: string }>[]).find(
            (d) => d.spec.name === name,
          ) ?? null);
    const label = kind === 'namespaces' ? `namespace ${nsName}` : `${kinds[kind].singular} ${nsName}/${name}`;
    if (!ns || (kind !== 'namespaces' && !resource)) {
      throw new DgateError({
        code: 'DG0001',
        message: `the config at '${source}' declares no ${label}`,
        hint:
          kind === 'namespaces'
            ? 'name a namespace the config declares'
            : 'write the resource as KIND NAMESPACE/NAME, e.g. route shop/checkout',
      });
    }
    const at = evaluationInstant(this.at);
    const targets = chooseTargets(checked.config, { target: this.target, allTargets: false }, 'read');
    const results = targets.map((target) => {
      const explanation = explainSelection(ns, resource, target, at);
      // Selected by its own tags, but a dependency's selectors may still keep it off (DG1705).
      const blocked = explanation.selected
        ? selectForTarget(checked.config, target, at).diagnostics.filter(
            (d) => kind === 'routes' && d.message.startsWith(`route '${nsName}/${name}'`),
          )
        : [];
      return { ...explanation, blockedBy: blocked.map((d) => d.message) };
    });
    if (this.format === 'json') {
      this.context.stdout.write(
        `${JSON.stringify(
          {
            resource: label,
            at: new Date(at).toISOString(),
            targets: results.map((r) => ({
              target: r.target,
              selected: r.selected,
              verdicts: r.verdicts,
              blockedBy: r.blockedBy,
            })),
          },
          null,
          2,
        )}\n`,
      );
      return ExitCode.OK;
    }
    const s = this.style;
    const where = formatLocation(locationOf(resource ? resource.origin : ns.declarations[0]!.origin));
    const lines = [`${s.bold(label)}${where ? s.dim(`  ${where}`) : ''}`];
    for (const r of results) {
      const verdict = r.selected ? s.green('selected') : s.red('not selected');
      lines.push(
        '',
        `${s.bold(r.target)}: ${verdict}${r.verdicts.length === 0 ? s.dim(' (no selectors: every target gets it)') : ''}`,
      );
      for (const v of r.verdicts) {
        lines.push(
          `  ${v.ok ? s.green('✓') : s.red('✗')} ${v.selector.padEnd(24)} ${s.dim(`(${v.scope})`)} ${r.target} ${v.reason}  ${s.dim(formatLocation(v.location))}`,
        );
      }
      for (const b of r.blockedBy) lines.push(`  ${s.red('!')} ${b}`);
    }
    this.context.stdout.write(`${lines.join('\n')}\n`);
    return ExitCode.OK;
  }
}

function splitId(id: string): [string, string] {
  const slash = id.indexOf('/');
  if (slash <= 0 || slash === id.length - 1) {
    throw new DgateError({
      code: 'DG0001',
      message: `'${id}' is not NAMESPACE/NAME`,
      hint: 'write the resource as KIND NAMESPACE/NAME, e.g. route shop/checkout',
    });
  }
  return [id.slice(0, slash), id.slice(slash + 1)];
}
