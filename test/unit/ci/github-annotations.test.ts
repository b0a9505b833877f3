import { describe, expect, it } from 'vitest';
import {
  escapeCommandData,
  escapeCommandProperty,
  renderAnnotations,
  renderWorkflowCommand,
} from '../../../src/ci/github-annotations.js';
import type { Diagnostic } from '../../../src/errors/dgate-error.js';

// The format is GitHub's "Workflow commands for GitHub Actions" (`::error file=…,line=…,col=…,title=…::message`),
// with the escaping of actions/toolkit packages/core/src/command.ts, which the runner undoes.
describe('GitHub workflow commands', () => {
  it('escape data: % first, then CR and LF; nothing else', () => {
    expect(escapeCommandData('100% done\r\nnext: a,b')).toBe('100%25 done%0D%0Anext: a,b');
    expect(escapeCommandData('%0A')).toBe('%250A');
  });

  it('escape properties: as data, and : and , too', () => {
    expect(escapeCommandProperty('C:\\x,y%\n')).toBe('C%3A\\x%2Cy%25%0A');
  });

  it('a command with properties, and one without', () => {
    expect(renderWorkflowCommand('warning', [['title', 'a:b']], 'x')).toBe('::warning title=a%3Ab::x\n');
    expect(renderWorkflowCommand('error', [], 'plain')).toBe('::error::plain\n');
  });

  it('each diagnostic becomes an annotation, byte for byte', () => {
    const diagnostics: Diagnostic[] = [
      {
        code: 'DG1103',
        severity: 'error',
        message: "route 'shop/catalog' names service 'catalg', which namespace 'shop' does not declare",
        location: { file: 'examples/shop/routes.yaml', line: 7, col: 72 },
        hint: "did you mean 'catalog'? (services in 'shop': catalog, orders)",
      },
      {
        code: 'DG1901',
        severity: 'warning',
        message: 'plaintext secret value: 100%',
        location: { file: 'dir,with:odd/config.yaml', line: 3, col: 9 },
      },
      { code: 'DG2001', severity: 'error', message: 'cluster unreachable' },
    ];
    expect(renderAnnotations(diagnostics, (f) => `repo/${f}`)).toBe(
      "::error file=repo/examples/shop/routes.yaml,line=7,col=72,title=DG1103::route 'shop/catalog' names service 'catalg', which namespace 'shop' does not declare%0Ahint: did you mean 'catalog'? (services in 'shop': catalog, orders)\n" +
        '::warning file=repo/dir%2Cwith%3Aodd/config.yaml,line=3,col=9,title=DG1901::plaintext secret value: 100%25\n' +
        '::error title=DG2001::cluster unreachable\n',
    );
  });
});
