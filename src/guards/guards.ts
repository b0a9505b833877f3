import type { Change } from '../diff/diff.js';
import { DgateError, type Diagnostic } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import type { LoadedConfig } from '../load/assemble.js';
import { kinds } from '../model/registry.js';
import { describeMassDelete, findMassDelete, maxDeletesSetting, type MassDelete } from './mass-delete.js';
import {
  findProtectedChanges,
  protectedDiagnostics,
  protectionRules,
  type ProtectedChange,
  type RecordedProtection,
} from './protect.js';

/** What a run was told to let through (`--allow-protected`, `--allow-mass-delete`). */
export interface GuardAllowances {
  protected?: boolean;
  massDelete?: boolean;
}

/** What the guards found in one plan, whether or not it was allowed. */
export interface GuardReport {
  protected: ProtectedChange[];
  massDelete?: MassDelete;
}

/** The guards an unattended run answers to, over one plan: data in, data out. */
export function evaluateGuards(input: {
  changes: readonly Change[];
  config: LoadedConfig;
  /** Live resources in the plan's scope (mass-delete/managedCount). */
  managed: number;
  recorded?: RecordedProtection;
}): GuardReport {
  const found = findProtectedChanges(input.changes, protectionRules(input.config), input.recorded);
  const massDelete = findMassDelete(input.changes, input.managed, maxDeletesSetting(input.config));
  return { protected: found, ...(massDelete ? { massDelete } : {}) };
}

/**
 * What a release records of the guards a run lifted: the protected resources it deleted or
 * recreated, and the mass delete it was allowed to make. Undefined when it lifted none.
 */
export interface GuardOverrides {
  allowedProtected?: string[];
  allowedMassDelete?: { deletes: number; limit: number };
}

export function overridesOf(report: GuardReport, allow: GuardAllowances): GuardOverrides | undefined {
  const out: GuardOverrides = {};
  if (allow.protected && report.protected.length > 0)
    out.allowedProtected = report.protected.map((p) => `${p.action} ${kinds[p.kind].singular} ${p.id}`);
  if (allow.massDelete && report.massDelete)
    out.allowedMassDelete = { deletes: report.massDelete.deletes, limit: report.massDelete.limit };
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The refusal a report amounts to, given what was allowed (`massDelete: 'ignore'` for `plan`,
 * which only shows a mass delete). One error: the first problem, with the others as diagnostics.
 */
export function guardRefusal(
  report: GuardReport,
  allow: GuardAllowances & { checkMassDelete: boolean },
): DgateError | undefined {
  const problems: Diagnostic[] = [];
  if (!allow.protected && report.protected.length > 0) {
    const names = report.protected.map((p) => `${kinds[p.kind].singular} ${p.id}`);
    problems.push({
      code: 'DG3013',
      severity: 'error',
      message: `the plan would delete or recreate ${plural(names.length, 'protected resource')}: ${names.join(', ')}; nothing was changed`,
      ...(report.protected[0]?.location ? { location: report.protected[0].location } : {}),
      hint: 'keep them as they are in the config, or give --allow-protected to let this one run do it (its release records that)',
    });
    problems.push(...protectedDiagnostics(report.protected));
  }
  if (allow.checkMassDelete && !allow.massDelete && report.massDelete) {
    problems.push({
      code: 'DG3014',
      severity: 'error',
      message: `${describeMassDelete(report.massDelete)}; nothing was changed`,
      ...(report.massDelete.setting.location ? { location: report.massDelete.setting.location } : {}),
      hint: 'check that no file or namespace was emptied by mistake; give --allow-mass-delete to make these deletes (its release records that), or raise settings.maxDeletes',
    });
  }
  const [first, ...rest] = problems;
  if (!first) return undefined;
  return new DgateError({
    code: first.code,
    message: first.message,
    ...(first.location ? { location: first.location } : {}),
    ...(first.hint ? { hint: first.hint } : {}),
    diagnostics: rest,
  });
}
