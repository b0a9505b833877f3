import { createHash } from 'node:crypto';
import type { Diagnostic } from '../errors/dgate-error.js';

/** One issue of a GitLab Code Quality report (GitLab docs, "Code Quality report format"). */
export interface CodeQualityIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: 'info' | 'minor' | 'major' | 'critical' | 'blocker';
  location: { path: string; lines: { begin: number } };
}

/**
 * Diagnostics as GitLab's Code Quality report: an error is `major`, a warning `minor`; the check
 * is the code. The fingerprint is stable across commits that only move the problem (code, file
 * and message, not line), and two equal problems in one file are told apart by their order. A
 * problem without a location is put at line 1 of `fallbackPath` (the config path given).
 */
export function renderCodeQuality(diagnostics: readonly Diagnostic[], fallbackPath: string): string {
  const seen = new Map<string, number>();
  const issues: CodeQualityIssue[] = diagnostics.map((d) => {
    const path = d.location?.file ?? fallbackPath;
    const key = `${d.code}\0${path}\0${d.message}`;
    const nth = seen.get(key) ?? 0;
    seen.set(key, nth + 1);
    return {
      description: d.hint ? `${d.code}: ${d.message} (hint: ${d.hint})` : `${d.code}: ${d.message}`,
      check_name: d.code,
      fingerprint: createHash('sha256').update(`${key}\0${nth}`).digest('hex').slice(0, 32),
      severity: d.severity === 'error' ? 'major' : 'minor',
      location: { path, lines: { begin: d.location?.line ?? 1 } },
    };
  });
  return `${JSON.stringify(issues, null, 2)}\n`;
}
