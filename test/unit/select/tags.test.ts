import { describe, expect, it } from 'vitest';
import { activeTags, changeInstants, evaluateSelector, evaluateSelectors } from '../../../src/select/evaluate.js';
import {
  isSelectorTag,
  parseSelector,
  parseServerTag,
  selectorText,
  type Selector,
  type ServerTag,
} from '../../../src/select/tags.js';

function selector(text: string): Selector {
  const parsed = parseSelector(text);
  if (!parsed.ok) throw new Error(`${text}: ${parsed.error.message}`);
  return parsed.value;
}
function serverTags(...texts: string[]): ServerTag[] {
  return texts.map((t) => {
    const parsed = parseServerTag(t);
    if (!parsed.ok) throw new Error(`${t}: ${parsed.error.message}`);
    return parsed.value;
  });
}
const now = Date.parse('2026-11-23T12:00:00Z');

describe('the tag grammar', () => {
  it.each([
    ['#region:eu', { op: 'require', tag: 'region:eu', from: null }],
    ['#edge', { op: 'require', tag: 'edge', from: null }],
    ['!env:prod', { op: 'forbid', tag: 'env:prod', from: null }],
    ['?region:eu,us', { op: 'anyOf', key: 'region', values: ['eu', 'us'], from: null }],
    ['?*region:eu,us,ap', { op: 'exactlyOne', key: 'region', values: ['eu', 'us', 'ap'], from: null }],
    ['?tier:gold', { op: 'anyOf', key: 'tier', values: ['gold'], from: null }],
    ['@(2026-12-01T00:00:00Z)#launch:eu', { op: 'require', tag: 'launch:eu', from: '2026-12-01T00:00:00Z' }],
    ['@(2026-12-01T01:00:00.5+01:00)!legacy', { op: 'forbid', tag: 'legacy', from: '2026-12-01T01:00:00.5+01:00' }],
    [
      '@(2026-12-01T00:00:00Z)?*env:a,b',
      { op: 'exactlyOne', key: 'env', values: ['a', 'b'], from: '2026-12-01T00:00:00Z' },
    ],
  ])('parses the selector %s', (text, expected) => {
    expect(parseSelector(text)).toEqual({ ok: true, value: expected });
    expect(selectorText(expected as Selector)).toBe(text);
  });

  it.each([
    ['#', 1, /Expected a name/],
    ['#region:', 8, /Expected a name/],
    ['?region', 7, /Expected ":"/],
    ['?region:', 8, /Expected a name/],
    ['!re gion', 3, /Expected ":" or end of input/],
    ['#a:b:c', 4, /Expected end of input/],
    ['#reg/ion', 4, /Expected ":" or end of input/],
    ['@(2026-12-01)#a', 2, /Expected an RFC 3339 timestamp/],
    ['@(2026-12-01T00:00:00Z)', 23, /Expected "!", "#", "\?", or "\?\*" but end of input found/],
    ['@(2026-02-30T00:00:00Z)#a', 2, /not a real date/],
    ['@(2026-12-01T25:00:00Z)#a', 2, /not a real date/],
    ['?*region:eu,eu', 12, /value 'eu' is listed twice/],
    ['?region:eu,,us', 11, /Expected a name/],
  ])('refuses %s at offset %i', (text, offset, message) => {
    const parsed = parseSelector(text);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.offset).toBe(offset);
    expect(parsed.error.message).toMatch(message);
  });

  it('tells selectors from plain labels by their first character', () => {
    expect(['#a', '!a', '?a:b', '@(x)#a'].every(isSelectorTag)).toBe(true);
    expect(['team:checkout', 'a#b', 'owner=me', ''].some(isSelectorTag)).toBe(false);
  });

  it.each([
    ['region:eu', { kind: 'plain', tag: 'region:eu' }],
    ['edge', { kind: 'plain', tag: 'edge' }],
    ['canary@5%:checkout-v2', { kind: 'canary', percent: 5, name: 'checkout-v2' }],
    ['canary@0.01%:canary_mod', { kind: 'canary', percent: 0.01, name: 'canary_mod' }],
    ['canary@100%:all', { kind: 'canary', percent: 100, name: 'all' }],
    ['@(2026-12-01T00:00:00Z)#launch:eu', { kind: 'timed', from: '2026-12-01T00:00:00Z', tag: 'launch:eu' }],
  ])('parses the server tag %s', (text, expected) => {
    expect(parseServerTag(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['canary@0%:x', /more than 0%/],
    ['canary@100.5%:x', /at most 100%/],
    ['canary@5:x', /Expected "%:"/],
    ['#region:eu', /Expected/],
    ['region eu', /Expected/],
    ['@(2026-12-01T00:00:00Z)launch', /Expected "#"/],
  ])('refuses the server tag %s', (text, message) => {
    const parsed = parseServerTag(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message).toMatch(message);
  });
});

describe('selector evaluation', () => {
  const eu = serverTags('region:eu', 'env:prod', 'edge');
  const active = activeTags(eu, now);

  it.each([
    ['#region:eu', true, 'has region:eu'],
    ['#region:us', false, 'does not have region:us'],
    ['#edge', true, 'has edge'],
    ['!env:prod', false, 'has env:prod'],
    ['!env:staging', true, 'does not have env:staging'],
    ['?region:us,eu', true, 'has region:eu'],
    ['?region:us,ap', false, 'has none of region:us, region:ap'],
    ['?*region:eu,us', true, 'has exactly one of them: region:eu'],
    ['?*region:us,ap', false, 'has none of region:us, region:ap'],
  ])('%s on [region:eu env:prod edge] is %s', (text, ok, reason) => {
    expect(evaluateSelector(selector(text), active, now)).toEqual({ selector: text, ok, reason });
  });

  it('exactly-one fails when the target has two of the values', () => {
    const both = activeTags(serverTags('region:eu', 'region:us'), now);
    expect(evaluateSelector(selector('?*region:eu,us'), both, now)).toMatchObject({
      ok: false,
      reason: 'has 2 of them (region:eu, region:us), not exactly one',
    });
    expect(evaluateSelector(selector('?region:eu,us'), both, now).ok).toBe(true);
  });

  it('an empty selector list selects every target, even one without tags', () => {
    expect(evaluateSelectors([], [], now)).toEqual({ selected: true, verdicts: [] });
    expect(evaluateSelectors([], eu, now).selected).toBe(true);
  });

  it('a target without tags satisfies only negative selectors', () => {
    expect(evaluateSelectors([selector('!env:prod')], [], now).selected).toBe(true);
    expect(evaluateSelectors([selector('#env:prod')], [], now).selected).toBe(false);
    expect(evaluateSelectors([selector('?env:prod,dev')], [], now).selected).toBe(false);
  });

  it('combines selectors with and: every one must hold', () => {
    const both = [selector('#region:eu'), selector('!env:staging')];
    expect(evaluateSelectors(both, eu, now).selected).toBe(true);
    const contradiction = [selector('#env:prod'), selector('!env:prod')];
    expect(evaluateSelectors(contradiction, eu, now)).toMatchObject({
      selected: false,
      verdicts: [{ ok: true }, { ok: false }],
    });
    // Two requirements on the same key: the target needs both values.
    expect(evaluateSelectors([selector('#region:eu'), selector('#region:us')], eu, now).selected).toBe(false);
    expect(
      evaluateSelectors([selector('#region:eu'), selector('#region:us')], serverTags('region:eu', 'region:us'), now)
        .selected,
    ).toBe(true);
  });

  describe('time', () => {
    const instant = Date.parse('2026-12-01T00:00:00Z');
    const launching = serverTags('region:eu', '@(2026-12-01T00:00:00Z)#launch:eu');

    it.each([
      ['before', instant - 1, false],
      ['at', instant, true],
      ['after', instant + 86_400_000, true],
    ])('a time tag on the target takes effect at its instant: %s it the target has it: %s', (_, at, has) => {
      expect(activeTags(launching, at).has('launch:eu')).toBe(has);
      expect(evaluateSelectors([selector('#launch:eu')], launching, at).selected).toBe(has);
    });

    it.each([
      ['before', instant - 1, true, 'not in force until 2026-12-01T00:00:00Z'],
      ['at', instant, false, 'has env:prod'],
      ['after', instant + 1, false, 'has env:prod'],
    ])('a time-qualified selector applies from its instant on: %s it', (_, at, ok, reason) => {
      expect(evaluateSelector(selector('@(2026-12-01T00:00:00Z)!env:prod'), active, at)).toMatchObject({ ok, reason });
    });

    it('compares instants, not text: an offset is honoured', () => {
      const s = selector('@(2026-12-01T01:00:00+01:00)#region:us');
      expect(evaluateSelector(s, active, instant - 1).ok).toBe(true);
      expect(evaluateSelector(s, active, instant).ok).toBe(false);
    });

    it('lists the instants at which a verdict can change', () => {
      const selectors = [selector('@(2027-01-01T00:00:00Z)#a'), selector('@(2026-12-01T00:00:00Z)!b'), selector('#c')];
      expect(changeInstants(selectors, launching)).toEqual([instant, Date.parse('2027-01-01T00:00:00Z')]);
    });
  });
});
