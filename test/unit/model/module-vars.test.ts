import { describe, expect, it } from 'vitest';
import { dumpedModuleSource, splitVars, varsPrelude } from '../../../src/model/module-vars.js';

describe('module variables in the payload', () => {
  it('are one first line that defines VARS, read back as written', () => {
    const vars = { greeting: 'hi', limits: { perMinute: 60 }, on: true, list: [1, null] };
    const source = `${varsPrelude(vars)}export const requestHandler = (ctx: any) => ctx.response().json(VARS);\n`;
    expect(source.split('\n')[0]).toBe(
      'const VARS = Object.freeze({"greeting":"hi","limits":{"perMinute":60},"on":true,"list":[1,null]});',
    );
    expect(splitVars(source)).toEqual({
      vars,
      body: 'export const requestHandler = (ctx: any) => ctx.response().json(VARS);\n',
    });
  });

  it('stay on one line whatever the values hold', () => {
    const vars = { text: 'a\nb\u2028c\u2029d);\n' };
    const line = varsPrelude(vars);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(line).not.toMatch(/[\u2028\u2029]/);
    expect(splitVars(`${line}body\n`)).toEqual({ vars, body: 'body\n' });
  });

  it('are not read from a source without the line dgate-cli writes', () => {
    expect(splitVars('export const x = 1;\n')).toBeUndefined();
    expect(splitVars('const VARS = Object.freeze([1]);\nbody')).toBeUndefined();
    expect(splitVars('const VARS = Object.freeze({"a":1}); extra\nbody')).toBeUndefined();
    expect(splitVars('const VARS = Object.freeze({oops});\nbody')).toBeUndefined();
  });

  it('come back from dump as vars, the rest as the module text', () => {
    expect(dumpedModuleSource(`${varsPrelude({ a: 1 })}body\n`)).toEqual({ vars: { a: 1 }, body: 'body\n' });
    // No variables, or nothing after the line: the source is given back whole.
    expect(dumpedModuleSource(`${varsPrelude({})}body\n`)).toEqual({ body: `${varsPrelude({})}body\n` });
    expect(dumpedModuleSource(varsPrelude({ a: 1 }))).toEqual({ body: varsPrelude({ a: 1 }) });
  });
});
