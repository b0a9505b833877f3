import { describe, expect, it } from 'vitest';
import { pklArguments, pklSchemaDir } from '../../../src/io/pkl-eval.js';

const base = {
  root: '/work/my config',
  modules: ['/work/my config/main.pkl'],
  allowedImports: [],
  env: {},
  timeoutMs: 30_000,
};
const flag = (args: string[], name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

describe('pklArguments (the sandbox)', () => {
  it('allows only pkl:, the dgate schema and files under the root, and reads under the root', () => {
    const args = pklArguments(base);
    expect(flag(args, 'allowed-modules')).toBe('^pkl:,^modulepath:/dgate/,^file:///work/my%20config/');
    expect(flag(args, 'allowed-resources')).toBe('^file:///work/my%20config/,^prop:');
    expect(flag(args, 'root-dir')).toBe('/work/my config');
    expect(flag(args, 'module-path')).toBe(pklSchemaDir);
    expect(args).toContain('--no-project');
    expect(flag(args, 'timeout')).toBe('30');
    expect(args.at(-1)).toBe('/work/my config/main.pkl');
  });

  it('sends HTTP to a closed local port unless the user opened remote imports', () => {
    expect(flag(pklArguments(base), 'http-proxy')).toBe('http://127.0.0.1:9');
    const open = pklArguments({ ...base, allowedImports: ['https://example.com/pkl/'] });
    expect(flag(open, 'http-proxy')).toBeUndefined();
    expect(flag(open, 'allowed-modules')).toContain('^https://example\\.com/pkl/');
  });

  it('passes exactly the named variables, and allows reading exactly those', () => {
    const args = pklArguments({ ...base, env: { STAGE: 'prod' } });
    expect(args.filter((a) => a.startsWith('--env-var='))).toEqual(['--env-var=STAGE=prod']);
    expect(flag(args, 'allowed-resources')).toContain('^env:STAGE$');
  });

  it('rounds the timeout up to whole seconds, at least one', () => {
    expect(flag(pklArguments({ ...base, timeoutMs: 200 }), 'timeout')).toBe('1');
    expect(flag(pklArguments({ ...base, timeoutMs: 1500 }), 'timeout')).toBe('2');
  });
});
