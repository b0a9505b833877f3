import type { Plan } from '../plan/plan.js';

/**
 * Step outputs in the format of $GITHUB_OUTPUT (GitHub docs, "Setting an output parameter";
 * actions/toolkit, packages/core/src/file-command.ts): `name=value` and a newline for a value on
 * one line; `name<<DELIMITER`, the value, and the delimiter on lines of their own for a value that
 * spans lines. The delimiter is given (the caller draws a random one); a name or value that holds
 * it is refused, as the toolkit refuses it, since it would end the value early.
 */
export function renderStepOutputs(outputs: readonly (readonly [string, string])[], delimiter: string): string {
  return outputs
    .map(([name, value]) => {
      if (!/[\r\n]/.test(value) && !/[\r\n=<]/.test(name)) return `${name}=${value}\n`;
      if (name.includes(delimiter) || value.includes(delimiter))
        throw new Error(`the output delimiter ${delimiter} occurs in output '${name}'`);
      return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
    })
    .join('');
}

/**
 * What `plan` tells the steps after it: whether anything changes, the counts (summed over the
 * targets planned), the desired version (of the one target, empty for several), and the saved
 * plan's path (empty without --out).
 */
export function planStepOutputs(plans: readonly Plan[], savedPlan: string | undefined): [string, string][] {
  const sum = (k: keyof Plan['summary']) => plans.reduce((n, p) => n + p.summary[k], 0);
  return [
    ['has-changes', String(plans.some((p) => p.changes.length > 0))],
    ['create', String(sum('create'))],
    ['update', String(sum('update'))],
    ['delete', String(sum('delete'))],
    ['desired-version', plans.length === 1 ? plans[0]!.desired.version : ''],
    ['plan-path', savedPlan ?? ''],
  ];
}

/** A target an apply changed, as the step outputs and summary tell it. */
export interface AppliedForOutputs {
  target: string | undefined;
  plan: Plan;
  release: number;
}

/**
 * What `apply` tells the steps after it: whether it changed anything, the counts (summed over the
 * targets applied), and the desired version and release number (of the one target applied; empty
 * for several or none).
 */
export function applyStepOutputs(applied: readonly AppliedForOutputs[]): [string, string][] {
  const sum = (k: keyof Plan['summary']) => applied.reduce((n, a) => n + a.plan.summary[k], 0);
  const one = applied.length === 1 ? applied[0]! : undefined;
  return [
    ['applied', String(applied.length > 0)],
    ['create', String(sum('create'))],
    ['update', String(sum('update'))],
    ['delete', String(sum('delete'))],
    ['desired-version', one ? one.plan.desired.version : ''],
    ['release', one ? String(one.release) : ''],
  ];
}

/** The step summary of an apply, in markdown: a line per target it changed. */
export function renderApplySummary(applied: readonly AppliedForOutputs[], source: string): string {
  const code = (text: string) => `\`${text.replaceAll('`', "'")}\``;
  const lines = [`### dgate-cli apply for ${code(source)}`, ''];
  if (applied.length === 0) lines.push('_No changes: the cluster already matched the config; nothing was applied._');
  for (const { target, plan, release } of applied) {
    const s = plan.summary;
    const where = `${code(plan.cluster.adminUrl)}${target ? ` (target ${code(target)})` : ''}`;
    lines.push(
      `- **Applied** to ${where}: ${s.create} created, ${s.update} updated, ${s.delete} deleted · desired ${code(plan.desired.version)} · release ${release}`,
    );
  }
  return `${lines.join('\n')}\n`;
}
