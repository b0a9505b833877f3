import { describe, expect, it } from 'vitest';
import { diffResources } from '../../../src/diff/diff.js';
import { varsPrelude } from '../../../src/model/module-vars.js';
import { emptyResources } from '../../../src/model/registry.js';
import { buildPlan } from '../../../src/plan/plan.js';
import { renderPlanHuman, renderPlanMarkdown } from '../../../src/report/plan-render.js';
import { createStyle } from '../../../src/report/style.js';
import type { DesiredState } from '../../../src/schema/generated/desired-state.js';
import type { LiveResources } from '../../../src/state/live-state.js';

const payload = (vars: Record<string, unknown> | undefined, body: string) =>
  Buffer.from(`${vars ? varsPrelude(vars) : ''}${body}`).toString('base64');
const module = (p: string) => ({ name: 'greet', namespace: 'shop', payload: p, moduleType: 'typescript' });

/** The human plan of one module going from `before` to `after`. */
function planned(before: string, after: string): { human: string; markdown: string } {
  const plan = buildPlan(
    { version: `sha256:${'0'.repeat(64)}`, metadata: { git: null } } as unknown as DesiredState,
    diffResources({
      desired: { ...emptyResources(), namespaces: [{ name: 'shop' }], modules: [module(after)] },
      live: {
        ...(emptyResources() as unknown as LiveResources),
        namespaces: [{ name: 'shop' }],
        modules: [{ name: 'greet', namespace: 'shop', payload: before }],
      },
      scope: { namespaces: ['shop'], selectTags: [] },
      desiredDigests: new Map(),
      unreadableDocumentCollections: [],
      liveNamespaceNames: ['shop'],
    } as never),
    { adminUrl: 'http://127.0.0.1:9080', liveVersion: `sha256:${'1'.repeat(64)}` },
    { namespaces: ['shop'], selectTags: [] },
  );
  return { human: renderPlanHuman(plan, createStyle(false), 'config'), markdown: renderPlanMarkdown(plan, 'config') };
}

const body = 'export const requestHandler = (ctx: any) => ctx.response().json(VARS);\n';

describe('a module variables change in a plan', () => {
  it('names each variable that changed, as JSON, and shows no source when only variables changed', () => {
    const { human, markdown } = planned(
      payload({ greeting: 'hi', requestTimeout: 5000, gone: true }, body),
      payload({ greeting: 'hello', requestTimeout: 10000, added: [1] }, body),
    );
    expect(human).toContain('  ~ module greet\n');
    // A variable named like a duration field is a plain value, not nanoseconds.
    for (const line of [
      'VARS.greeting: "hi" → "hello"',
      'VARS.requestTimeout: 5000 → 10000',
      'VARS.gone: true → (unset)',
      'VARS.added: (unset) → [1]',
    ]) {
      expect(human).toContain(`      ${line}\n`);
      expect(markdown).toContain(`    ${line}\n`);
    }
    expect(human).not.toContain('requestHandler');
  });

  it('shows the source diff without the VARS line when the module text changed too', () => {
    const { human } = planned(payload({ a: 1 }, body), payload({ a: 1 }, body.replace('json(VARS)', 'json({})')));
    expect(human).not.toContain('VARS.a');
    expect(human).not.toContain('Object.freeze');
    expect(human).toMatch(/-export const requestHandler = \(ctx: any\) => ctx\.response\(\)\.json\(VARS\);/);
    expect(human).toMatch(/\+export const requestHandler = \(ctx: any\) => ctx\.response\(\)\.json\(\{\}\);/);
  });
});
