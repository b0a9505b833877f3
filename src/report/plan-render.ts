import { canonicalJson } from '../state/canonical-json.js';
import { splitVars } from '../model/module-vars.js';
import { createTwoFilesPatch } from 'diff';
import { formatDuration } from '../model/duration.js';
import type { Change, FieldChange } from '../diff/diff.js';
import { sensitiveMask } from '../secrets/redact.js';
import { kinds } from '../model/registry.js';
import type { Plan } from '../plan/plan.js';
import { plural } from '../errors/render.js';
import { describeScheduledChange } from '../select/schedule.js';
import { printableName, printableText } from './printable.js';
import { createStyle, type Style } from './style.js';
import { describeCanaryChange } from './canary-change.js';

const durationFields = new Set(['retryTimeout', 'connectTimeout', 'requestTimeout']);
const symbols = { create: '+', update: '~', delete: '-' } as const;
const replacesTombstoneNote = '(replaces a tombstone a failed apply left)';

function short(version: string): string {
  return version.replace(/^sha256:/, 'sha256:').slice(0, 19);
}

/** A field value as people read it: durations as 5s, module sources by size, the rest as compact JSON. */
export function formatValue(field: string, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (value === sensitiveMask) return sensitiveMask;
  if (durationFields.has(field) && typeof value === 'number') return formatDuration(value);
  if (field === 'payload' && typeof value === 'string') {
    const source = Buffer.from(value, 'base64').toString('utf8');
    const lines = source.split('\n').length - (source.endsWith('\n') ? 1 : 0);
    return `(${plural(lines, 'line')} of source)`;
  }
  // JSON escapes C0 controls; the rest a terminal acts on are escaped after.
  return printableText(JSON.stringify(value));
}

/**
 * A module payload change where either side has a VARS line (model/module-vars.ts): the
 * variables that changed, named, and the two sources without that line (base64, as payloads are).
 */
function varsChange(
  before: unknown,
  after: unknown,
): { changed: [string, unknown, unknown][]; bodyBefore: string; bodyAfter: string } | undefined {
  if (typeof before !== 'string' || typeof after !== 'string') return undefined;
  const decode = (v: string) => Buffer.from(v, 'base64').toString('utf8');
  const [b, a] = [splitVars(decode(before)), splitVars(decode(after))];
  if (!b && !a) return undefined;
  const bv = b?.vars ?? {};
  const av = a?.vars ?? {};
  const changed: [string, unknown, unknown][] = [];
  for (const name of new Set([...Object.keys(bv), ...Object.keys(av)]))
    if (name in bv !== name in av || canonicalJson(bv[name]) !== canonicalJson(av[name]))
      changed.push([name, bv[name], av[name]]);
  const encode = (text: string) => Buffer.from(text).toString('base64');
  return {
    changed,
    bodyBefore: b ? encode(b.body) : before,
    bodyAfter: a ? encode(a.body) : after,
  };
}

/** A multi-line value change as a unified diff: module sources, schemas, document bodies. */
function fieldDiff(field: string, before: unknown, after: unknown): string | undefined {
  const text = (v: unknown) =>
    field === 'payload' && typeof v === 'string'
      ? Buffer.from(v, 'base64').toString('utf8')
      : `${JSON.stringify(v, null, 2)}\n`;
  const isBig = (v: unknown) =>
    field === 'payload' ? true : v !== null && typeof v === 'object' && JSON.stringify(v).length > 60;
  if (!isBig(before) && !isBig(after)) return undefined;
  const patch = createTwoFilesPatch(
    'before',
    'after',
    before === undefined ? '' : text(before),
    after === undefined ? '' : text(after),
    '',
    '',
    { context: 2 },
  );
  // Drop the file header (=== / --- / +++): the field name above says what is being compared.
  return printableText(
    patch
      .split('\n')
      .filter((l) => !/^(={3,}|--- |\+\+\+ )/.test(l))
      .join('\n')
      .trimEnd(),
  );
}

function renderField(change: Change, f: FieldChange, style: Style, indent: string): string[] {
  if (f.unreadable) return [`${indent}${printableName(f.field)}: ${style.yellow(f.unreadable)}`];
  if (f.sensitive) {
    const what = f.refresh
      ? '(sensitive value sent again: it cannot be compared)'
      : change.action === 'update'
        ? '(sensitive value changed)'
        : sensitiveMask;
    return [`${indent}${printableName(f.field)}: ${style.yellow(what)}`];
  }
  if (change.action === 'update' && f.field === 'payload') {
    // Values as JSON, under the field name `vars`: a variable named like a duration field
    // (requestTimeout) holds whatever the user put there, not nanoseconds.
    const vars = varsChange(f.before, f.after);
    if (vars) {
      const lines = vars.changed.map(
        ([name, before, after]) =>
          `${indent}VARS.${printableName(name)}: ${style.red(formatValue('vars', before))} → ${style.green(formatValue('vars', after))}`,
      );
      if (vars.bodyBefore === vars.bodyAfter) return lines;
      return [
        ...lines,
        ...renderField(change, { ...f, before: vars.bodyBefore, after: vars.bodyAfter }, style, indent),
      ];
    }
  }
  if (change.action === 'update') {
    const patch = fieldDiff(f.field, f.before, f.after);
    if (patch) {
      return [
        `${indent}${printableName(f.field)}:`,
        ...patch
          .split('\n')
          .map(
            (l) =>
              `${indent}  ${l.startsWith('+') && !l.startsWith('+++') ? style.green(l) : l.startsWith('-') && !l.startsWith('---') ? style.red(l) : style.dim(l)}`,
          ),
      ];
    }
    return [
      `${indent}${printableName(f.field)}: ${style.red(formatValue(f.field, f.before))} → ${style.green(formatValue(f.field, f.after))}`,
    ];
  }
  const value = change.action === 'create' ? f.after : f.before;
  return [`${indent}${printableName(f.field)}: ${formatValue(f.field, value)}`];
}

/** The human plan: grouped by namespace, in apply order, each changed field old → new. */
export function renderPlanHuman(plan: Plan, style: Style, source: string): string {
  const lines: string[] = [];
  const target = plan.target
    ? `target ${style.bold(plan.target.name)} (${plan.cluster.adminUrl})`
    : plan.cluster.adminUrl;
  lines.push(`${style.bold('dgate-cli plan')}: ${source} (${short(plan.desired.version)}) → ${target}`);
  if (plan.target?.evaluatedAt) lines.push(style.dim(`tag selectors evaluated at ${plan.target.evaluatedAt}`));
  if (plan.scope.selectTags.length > 0)
    lines.push(style.dim(`only resources tagged ${plan.scope.selectTags.join(', ')}`));
  const byNamespace = new Map<string, Change[]>();
  for (const c of plan.changes) {
    const list = byNamespace.get(c.namespace) ?? [];
    list.push(c);
    byNamespace.set(c.namespace, list);
  }
  // Resources a bundle instance produced are grouped under it, after the namespace's own.
  const instanceOf = new Map<string, string>();
  for (const b of plan.bundles ?? [])
    for (const r of b.resources) instanceOf.set(r, `bundle ${b.instance} (${b.bundle}@${b.version})`);
  for (const [namespace, changes] of [...byNamespace].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    lines.push('', style.bold(`namespace ${printableName(namespace)}`));
    const groups = new Map<string, Change[]>();
    for (const c of changes) {
      const group = instanceOf.get(`${c.kind}:${c.id}`) ?? '';
      groups.set(group, [...(groups.get(group) ?? []), c]);
    }
    for (const [group, grouped] of [...groups].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      const indent = group ? '    ' : '  ';
      if (group) lines.push(style.bold(`  ${group}`));
      for (const c of grouped) {
        const colour = c.action === 'create' ? style.green : c.action === 'delete' ? style.red : style.yellow;
        const canary = describeCanaryChange(c);
        if (canary) {
          lines.push(colour(`${indent}${symbols[c.action]} ${canary.title}`));
          for (const d of canary.details) lines.push(`${indent}    ${d}`);
          continue;
        }
        // A deleted resource's name comes from the cluster, which accepts any name.
        lines.push(
          colour(`${indent}${symbols[c.action]} ${kinds[c.kind].singular} ${printableName(c.name)}`) +
            (c.replacesTombstone ? style.dim(` ${replacesTombstoneNote}`) : ''),
        );
        const fields = c.action === 'delete' ? [] : c.fields;
        for (const f of fields) lines.push(...renderField(c, f, style, `${indent}    `));
      }
    }
  }
  lines.push('');
  lines.push(...renderFooter(plan, style));
  return `${lines.join('\n')}\n`;
}

function renderFooter(plan: Plan, style: Style): string[] {
  if (plan.changes.length === 0)
    return [style.green(`No changes. The cluster matches ${plan.desired.version}.`), ...renderNotes(plan, style)];
  const s = plan.summary;
  return [
    `${style.bold('Plan:')} ${s.create} to create, ${s.update} to update, ${s.delete} to delete.`,
    ...renderNotes(plan, style),
  ];
}

/** What the plan did not touch or could not compare: never silent. */
function renderNotes(plan: Plan, style: Style): string[] {
  const lines: string[] = [];
  const next = plan.target?.nextChange;
  if (next)
    lines.push(
      style.cyan(
        `Scheduled: at ${next.at}: ${describeScheduledChange(next)} (time tags; plan again then, or let the reconciler do it).`,
      ),
    );
  const alone = plan.leftAlone;
  if (alone.namespaces.length > 0 || alone.resources > 0) {
    const parts = [];
    if (alone.namespaces.length > 0)
      parts.push(
        `${plural(alone.namespaces.length, 'namespace')} not in the config (${alone.namespaces.map(printableName).join(', ')})`,
      );
    if (alone.resources > 0) parts.push(`${plural(alone.resources, 'resource')} without the selected tags`);
    lines.push(style.dim(`Left alone: ${parts.join('; ')}.`));
  }
  if (plan.blocked.length > 0) {
    const reasons = [...new Set(plan.blocked.map((b) => b.reason))];
    lines.push(
      style.yellow(
        `Cannot delete: ${plan.blocked.map((b) => printableName(b.resource)).join(', ')} (${reasons.join('; ')}), so they stay.`,
      ),
    );
  }
  const tombstones = plan.tombstones ?? [];
  if (tombstones.length > 0) {
    const names = tombstones.map((t) => `${kinds[t.kind].singular} ${printableName(t.id)}`).join(', ');
    lines.push(
      style.dim(
        `Tombstones (left by a failed apply on raft; unreachable): ${names}. They stay, as raft cannot delete them; a config that declares one of these names replaces it.`,
      ),
    );
  }
  const u = plan.unverifiable;
  if (u.secretValues.length > 0 || u.documents.length > 0) {
    const parts = [];
    if (u.secretValues.length > 0)
      parts.push(`${plural(u.secretValues.length, 'secret value')} (DGate never returns secret values)`);
    if (u.documents.length > 0)
      parts.push(`${plural(u.documents.length, 'document')} in private collections (DGate does not list them)`);
    lines.push(style.dim(`Not compared: ${parts.join('; ')}.`));
  }
  return lines;
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A pull-request comment: a summary line, a table of changes, and the field details folded away. */
export function renderPlanMarkdown(plan: Plan, source: string): string {
  const s = plan.summary;
  const lines: string[] = [];
  lines.push(`### dgate-cli plan for \`${source}\`${plan.target ? ` → target \`${plan.target.name}\`` : ''}`);
  lines.push('');
  if (plan.changes.length === 0) {
    lines.push(`**No changes.** The cluster matches \`${plan.desired.version}\`.`);
  } else {
    lines.push(
      `**${s.create} to create, ${s.update} to update, ${s.delete} to delete** · desired \`${short(plan.desired.version)}\` · cluster \`${plan.cluster.adminUrl}\``,
    );
    // With bundles, a column says which instance produced a resource, as the human output groups them.
    const instanceOf = new Map<string, string>();
    for (const b of plan.bundles ?? [])
      for (const r of b.resources) instanceOf.set(r, `${b.instance} (${b.bundle}@${b.version})`);
    const withBundles = instanceOf.size > 0;
    lines.push(
      '',
      `| | kind | resource | changed fields |${withBundles ? ' bundle |' : ''}`,
      `|---|---|---|---|${withBundles ? '---|' : ''}`,
    );
    for (const c of plan.changes) {
      const canary = describeCanaryChange(c);
      const fields = canary
        ? canary.title
        : c.action === 'update'
          ? c.fields
              .map((f) =>
                f.unreadable ? `${f.field} ${f.unreadable}` : f.sensitive ? `${f.field} (sensitive)` : f.field,
              )
              .join(', ')
          : c.replacesTombstone
            ? replacesTombstoneNote
            : '';
      const bundle = withBundles ? ` ${mdEscape(instanceOf.get(`${c.kind}:${c.id}`) ?? '')} |` : '';
      lines.push(
        `| ${symbols[c.action]} ${c.action} | ${kinds[c.kind].singular} | \`${mdEscape(printableName(c.id))}\` | ${mdEscape(printableText(fields))} |${bundle}`,
      );
    }
    const updates = plan.changes.filter((c) => c.action === 'update');
    if (updates.length > 0) {
      lines.push('', '<details><summary>Field changes</summary>', '', '```diff');
      const plain = createStyle(false);
      for (const c of updates) {
        const canary = describeCanaryChange(c);
        if (canary) {
          lines.push(`~ ${canary.title}`, ...canary.details.map((d) => `    ${d}`));
          continue;
        }
        lines.push(`~ ${kinds[c.kind].singular} ${printableName(c.id)}`);
        for (const f of c.fields) lines.push(...renderField(c, f, plain, '    '));
      }
      lines.push('```', '', '</details>');
    }
  }
  const notes = renderNotes(plan, createStyle(false));
  if (notes.length > 0) lines.push('', ...notes.map((l) => `_${l}_`));
  const guards = guardLines(plan.guards);
  if (guards.length > 0) lines.push('', ...guards.map((l) => `> ${l}`));
  return `${lines.join('\n')}\n`;
}

/**
 * What the guards say, for the markdown plan (and so the PR comment and the step summary): the
 * refusals apply would make, and the change windows. Pure.
 */
export function guardLines(guards: Plan['guards']): string[] {
  if (!guards) return [];
  const out: string[] = [];
  for (const p of guards.protected ?? [])
    out.push(
      `**Protected:** ${p.action} of ${kinds[p.kind as keyof typeof kinds]?.singular ?? p.kind} \`${mdEscape(printableName(p.id))}\` (${mdEscape(p.rule)}): apply refuses it without \`--allow-protected\` (DG3013).`,
    );
  const m = guards.massDelete;
  if (m)
    out.push(
      `**Mass delete:** ${m.deletes} of ${m.managed} managed resources deleted, more than the limit of ${m.limit}: apply and reconcile refuse it without \`--allow-mass-delete\` (DG3014).`,
    );
  const w = guards.window;
  if (w)
    out.push(
      w.inside
        ? `**Change windows:** inside a window (${w.timeZone})${w.closes ? `, closing ${w.closes}` : ''}.`
        : `**Change windows:** outside every window (${w.timeZone}): apply refuses without \`--override-window\` (DG3015)${w.nextOpen ? `; the next opens ${w.nextOpen}` : ''}.`,
    );
  return out;
}
