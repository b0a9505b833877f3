import type { PlanDocument } from '../schema/generated/plan.js';
import type { Change } from '../diff/diff.js';
import { DgateError, type Diagnostic } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import type { Location } from '../errors/dgate-error.js';
import type { LoadedConfig } from '../load/assemble.js';
import { locate } from '../load/parse-yaml.js';
import type { ChangeWindows, ConfigFile } from '../schema/generated/config.js';
import { kinds } from '../model/registry.js';
import { describeMassDelete, findMassDelete, maxDeletesSetting, type MassDelete } from './mass-delete.js';
import {
  findProtectedChanges,
  protectedDiagnostics,
  protectionRules,
  type ProtectedChange,
  type RecordedProtection,
} from './protect.js';
import { describeWindowStatus, evaluateWindows, isKnownTimeZone, type WindowStatus } from './windows.js';

/** What a run was told to let through (`--allow-protected`, `--allow-mass-delete`, `--override-window REASON`). */
export interface GuardAllowances {
  protected?: boolean;
  massDelete?: boolean;
  /** The reason given with --override-window. */
  windowOverride?: string;
}

/** What the guards found in one plan, whether or not it was allowed. */
export interface GuardReport {
  protected: ProtectedChange[];
  massDelete?: MassDelete;
  /** The change windows at the evaluation instant, when the config sets any. */
  window?: WindowStatus & { location: Location };
}

/** `settings.windows` as the first file that sets it writes it, with where. */
export function windowsSetting(config: LoadedConfig): { windows: ChangeWindows; location: Location } | undefined {
  for (const doc of config.documents) {
    const windows = (doc.value as Partial<ConfigFile> | null)?.settings?.windows;
    if (windows && typeof windows === 'object' && typeof windows.timeZone === 'string') {
      if (!isKnownTimeZone(windows.timeZone))
        throw new DgateError({
          code: 'DG1123',
          message: `settings.windows names the time zone '${windows.timeZone}', which is not an IANA time zone this Node.js knows`,
          location: locate(doc, ['settings', 'windows', 'timeZone']),
          hint: 'use an IANA name such as Europe/Paris, America/New_York or UTC',
        });
      return { windows, location: locate(doc, ['settings', 'windows']) };
    }
  }
  return undefined;
}

/** The change windows of a config at an instant (`--at`, else now), or undefined when it sets none. */
export function evaluateConfigWindows(config: LoadedConfig, at: number): GuardReport['window'] {
  const setting = windowsSetting(config);
  return setting ? { ...evaluateWindows(setting.windows, at), location: setting.location } : undefined;
}

/** The guards an unattended run answers to, over one plan: data in, data out. */
export function evaluateGuards(input: {
  changes: readonly Change[];
  config: LoadedConfig;
  /** Live resources in the plan's scope (mass-delete/managedCount). */
  managed: number;
  recorded?: RecordedProtection;
  /** The evaluation instant (`--at`, else now), for the change windows. */
  at: number;
}): GuardReport {
  const found = findProtectedChanges(input.changes, protectionRules(input.config), input.recorded);
  const massDelete = findMassDelete(input.changes, input.managed, maxDeletesSetting(input.config));
  const window = evaluateConfigWindows(input.config, input.at);
  return { protected: found, ...(massDelete ? { massDelete } : {}), ...(window ? { window } : {}) };
}

/**
 * What a release records of the guards a run lifted: the protected resources it deleted or
 * recreated, and the mass delete it was allowed to make. Undefined when it lifted none.
 */
export interface GuardOverrides {
  allowedProtected?: string[];
  allowedMassDelete?: { deletes: number; limit: number };
  /** Applied outside the change windows with --override-window: the reason given. */
  windowOverride?: string;
}

export function overridesOf(report: GuardReport, allow: GuardAllowances): GuardOverrides | undefined {
  const out: GuardOverrides = {};
  if (allow.protected && report.protected.length > 0)
    out.allowedProtected = report.protected.map((p) => `${p.action} ${kinds[p.kind].singular} ${p.id}`);
  if (allow.massDelete && report.massDelete)
    out.allowedMassDelete = { deletes: report.massDelete.deletes, limit: report.massDelete.limit };
  if (allow.windowOverride !== undefined && report.window && !report.window.inside)
    out.windowOverride = allow.windowOverride;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The refusal a report amounts to, given what was allowed (`massDelete: 'ignore'` for `plan`,
 * which only shows a mass delete). One error: the first problem, with the others as diagnostics.
 */
export function guardRefusal(
  report: GuardReport,
  allow: GuardAllowances & { checkMassDelete: boolean; checkWindow?: boolean },
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
  if (allow.checkWindow && allow.windowOverride === undefined && report.window && !report.window.inside) {
    problems.push({
      code: 'DG3015',
      severity: 'error',
      message: `changes are not allowed now: ${describeWindowStatus(report.window)}; nothing was changed`,
      location: report.window.location,
      hint: 'apply inside a window (settings.windows), or give --override-window "REASON" (the release records the reason); rollback is always allowed',
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

/**
 * The guards' report as the plan document carries it (plan --format json, the markdown plan, the
 * PR comment): undefined when no guard has anything to say. Pure.
 */
export function guardsOfPlan(report: GuardReport): PlanDocument['guards'] {
  if (report.protected.length === 0 && !report.massDelete && !report.window) return undefined;
  return {
    ...(report.protected.length > 0
      ? { protected: report.protected.map(({ kind, id, action, rule }) => ({ kind, id, action, rule })) }
      : {}),
    ...(report.massDelete
      ? {
          massDelete: {
            deletes: report.massDelete.deletes,
            limit: report.massDelete.limit,
            managed: report.massDelete.managed,
          },
        }
      : {}),
    ...(report.window
      ? {
          window: {
            inside: report.window.inside,
            timeZone: report.window.timeZone,
            ...(report.window.nextOpen !== undefined ? { nextOpen: report.window.nextOpen } : {}),
            ...(report.window.closes !== undefined ? { closes: report.window.closes } : {}),
          },
        }
      : {}),
  };
}
