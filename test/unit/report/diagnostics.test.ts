import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../../src/errors/dgate-error.js';
import { renderDiagnosticsReport } from '../../../src/report/diagnostics.js';
import { createStyle } from '../../../src/report/style.js';

const plain = createStyle(false);
const error: Diagnostic = {
  code: 'DG1002',
  severity: 'error',
  message: "unknown field 'retires' in service 'shop/catalog'",
  location: { file: 'cfg/shop.yaml', line: 7, col: 9 },
  hint: "did you mean 'retries'?",
};
const warning: Diagnostic = {
  code: 'DG1006',
  severity: 'warning',
  message: 'route name "a b" is not a valid name',
  location: { file: 'cfg/shop.yaml', line: 9, col: 15 },
};

describe('renderDiagnosticsReport', () => {
  it('prints each problem, then the closing line naming the subject and the counts', () => {
    expect(
      renderDiagnosticsReport({ diagnostics: [error, warning], subject: 'cfg', after: ' in 2 files' }, plain),
    ).toBe(`cfg/shop.yaml:7:9: error DG1002: unknown field 'retires' in service 'shop/catalog'
  hint: did you mean 'retries'?
cfg/shop.yaml:9:15: warning DG1006: route name "a b" is not a valid name
✗ cfg: 1 error, 1 warning in 2 files
`);
  });

  it('closes only when there is an error', () => {
    expect(
      renderDiagnosticsReport({ diagnostics: [warning], subject: 'cfg', after: '; nothing compiled' }, plain),
    ).toBe('cfg/shop.yaml:9:15: warning DG1006: route name "a b" is not a valid name\n');
  });

  it('leaves the closing line to the caller without a subject, and says nothing when there is nothing', () => {
    expect(renderDiagnosticsReport({ diagnostics: [error] }, plain)).not.toContain('✗');
    expect(renderDiagnosticsReport({ diagnostics: [], subject: 'cfg' }, plain)).toBe('');
  });

  it('colours through the style it is given', () => {
    const text = renderDiagnosticsReport({ diagnostics: [error], subject: 'cfg' }, createStyle(true));
    expect(text).toContain('\u001b[31m✗\u001b[39m cfg: 1 error, 0 warnings');
  });
});
