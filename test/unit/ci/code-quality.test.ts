import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { renderCodeQuality } from '../../../src/ci/code-quality.js';

// GitLab's "Code Quality report format": a JSON array of issues, each with description, check_name,
// fingerprint, severity (info, minor, major, critical, blocker) and location.path / location.lines.begin.
describe('GitLab Code Quality report', () => {
  it('diagnostics as issues, byte for byte', () => {
    const report = renderCodeQuality(
      [
        {
          code: 'DG1103',
          severity: 'error',
          message: "route 'shop/catalog' names service 'catalg'",
          location: { file: 'config/routes.yaml', line: 7, col: 72 },
          hint: "did you mean 'catalog'?",
        },
        { code: 'DG1901', severity: 'warning', message: 'plaintext secret value' },
      ],
      'config',
    );
    expect(report).toBe(`[
  {
    "description": "DG1103: route 'shop/catalog' names service 'catalg' (hint: did you mean 'catalog'?)",
    "check_name": "DG1103",
    "fingerprint": "${fp("DG1103\0config/routes.yaml\0route 'shop/catalog' names service 'catalg'\0" + '0')}",
    "severity": "major",
    "location": {
      "path": "config/routes.yaml",
      "lines": {
        "begin": 7
      }
    }
  },
  {
    "description": "DG1901: plaintext secret value",
    "check_name": "DG1901",
    "fingerprint": "${fp('DG1901\0config\0plaintext secret value\0' + '0')}",
    "severity": "minor",
    "location": {
      "path": "config",
      "lines": {
        "begin": 1
      }
    }
  }
]
`);
  });

  it('fingerprints stay when a problem only moves, and differ for two equal problems in one file', () => {
    const at = (line: number) => ({ file: 'a.yaml', line, col: 1 });
    const parse = (text: string) => JSON.parse(text) as { fingerprint: string }[];
    const moved = parse(renderCodeQuality([{ code: 'DG1002', severity: 'error', message: 'm', location: at(3) }], '.'));
    const before = parse(
      renderCodeQuality([{ code: 'DG1002', severity: 'error', message: 'm', location: at(9) }], '.'),
    );
    expect(moved[0]!.fingerprint).toBe(before[0]!.fingerprint);
    const twice = parse(
      renderCodeQuality(
        [
          { code: 'DG1002', severity: 'error', message: 'm', location: at(3) },
          { code: 'DG1002', severity: 'error', message: 'm', location: at(4) },
        ],
        '.',
      ),
    );
    expect(twice[0]!.fingerprint).not.toBe(twice[1]!.fingerprint);
    expect(renderCodeQuality([], '.')).toBe('[]\n');
  });
});

function fp(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
