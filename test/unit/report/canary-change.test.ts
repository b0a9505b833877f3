import { describe, expect, it } from 'vitest';
import type { Change } from '../../../src/diff/diff.js';
import { type CanaryRule, canaryTag } from '../../../src/model/canary.js';
import { describeCanaryChange } from '../../../src/report/canary-change.js';

const rule = (fields: Partial<CanaryRule> = {}): CanaryRule => ({
  route: 'checkout',
  service: 'checkout-v2',
  weight: 10,
  ...fields,
});
const module = (r: CanaryRule | undefined, payload = 'AAAA') => ({
  name: 'checkout--canary-split',
  namespace: 'shop',
  payload,
  tags: r ? ['team:pay', canaryTag(r)] : ['team:pay'],
});
const change = (
  action: Change['action'],
  before?: CanaryRule,
  after?: CanaryRule,
  payloads = ['AAAA', 'BBBB'],
): Change => ({
  action,
  kind: 'modules',
  id: 'shop/checkout--canary-split',
  namespace: 'shop',
  name: 'checkout--canary-split',
  fields: [],
  ...(before ? { before: module(before, payloads[0]) } : {}),
  ...(after ? { after: module(after, payloads[1]) } : {}),
});

describe('a canary change in a plan', () => {
  it('is said as the canary and its weight, not as generated code', () => {
    expect(
      describeCanaryChange(change('create', undefined, rule({ force: { header: 'X-Canary', value: 'always' } }))),
    ).toEqual({
      title: 'canary shop/checkout → checkout-v2: weight 10% (generated module checkout--canary-split)',
      details: ['forced by header X-Canary = always'],
    });
    expect(describeCanaryChange(change('update', rule(), rule({ weight: 0.5 })))).toEqual({
      title: 'canary shop/checkout → checkout-v2: weight 10% → 0.5% (generated module checkout--canary-split)',
      details: [],
    });
    expect(describeCanaryChange(change('delete', rule(), undefined))?.title).toBe(
      'canary shop/checkout → checkout-v2: removed (generated module checkout--canary-split)',
    );
  });

  it('names a change of the rules, and a change of the canary URLs alone', () => {
    const sticky = describeCanaryChange(change('update', rule(), rule({ sticky: { by: 'cookie', name: 'session' } })));
    expect(sticky?.details).toEqual(['now sticky by cookie session']);
    expect(describeCanaryChange(change('update', rule(), rule()))?.details).toEqual(['canary URLs changed']);
  });

  it('says when an apply starts a rollout: a canary with steps, or new steps or checks', () => {
    const starts = 'steps: apply starts the rollout here and runs its steps (--no-wait: only this first weight)';
    expect(describeCanaryChange(change('create', undefined, rule({ rollout: 'aaaa' })))?.details).toEqual([starts]);
    expect(
      describeCanaryChange(change('update', rule({ rollout: 'aaaa' }), rule({ rollout: 'bbbb' })))?.details,
    ).toEqual([starts]);
    // A step of the same rollout is only its weight.
    expect(
      describeCanaryChange(change('update', rule({ rollout: 'aaaa' }), rule({ rollout: 'aaaa', weight: 50 }))),
    ).toEqual({
      title: 'canary shop/checkout → checkout-v2: weight 10% → 50% (generated module checkout--canary-split)',
      details: [],
    });
  });

  it('leaves any other change alone', () => {
    expect(describeCanaryChange(change('update', undefined, undefined))).toBeUndefined();
    expect(
      describeCanaryChange({ ...change('update'), before: module(undefined), after: module(undefined) }),
    ).toBeUndefined();
  });
});
