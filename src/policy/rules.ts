import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { Diagnostic } from '../errors/dgate-error.js';
import { locationOf, type Origin } from '../load/assemble.js';
import type { YamlPath } from '../load/parse-yaml.js';
import { formatDuration, parseDuration } from '../model/duration.js';
import { kindFromAlias, kinds, type KindKey } from '../model/registry.js';
import type { PolicyRule } from '../schema/generated/config.js';
import { compileUserSchema, userSchemaAjv } from '../schema/user-schema.js';
import { parseSelector, type Selector } from '../select/tags.js';

/** A rule as written, with where it was written and, for a bundle's rule, the instance it came with. */
export interface PlacedRule {
  rule: PolicyRule;
  origin: Origin;
  bundle?: BundleScope;
}

/**
 * A bundle's rules apply to the namespace its instance is expanded into, and nowhere else: the
 * bundle knows nothing of the rest of the config. `modules` maps the bundle's own module names to
 * the names this instance gives them (`check` → `keys-check`).
 */
export interface BundleScope {
  bundle: string;
  instance: string;
  namespace: string;
  modules: Readonly<Record<string, string>>;
}

/**
 * One JSON Schema a resource must satisfy, with what a failure means in words. Every shorthand
 * compiles to one or more of these; `require` is one of them as written.
 */
export interface RulePart {
  /** Where in the rule this part was written (below the rule's origin). */
  path: YamlPath;
  validate: ValidateFunction;
  /** What a failure means, from ajv's errors; undefined: describe each error from the schema. */
  describe?: (errors: ErrorObject[], resource: Record<string, unknown>) => string;
  hint?: string;
}

/** A rule ready to evaluate: the kinds it applies to, its resource filter, its target selectors, its parts. */
export interface CompiledRule {
  placed: PlacedRule;
  /** The id reported: a bundle's rules are prefixed with the bundle's name (`api-key/...`). */
  id: string;
  severity: 'error' | 'warning';
  kinds: KindKey[];
  /** Per kind, the JSON Schema a resource must satisfy to be checked at all (`where`, a bundle's namespace). */
  applies: Map<KindKey, ValidateFunction>;
  target: Selector[];
  parts: RulePart[];
}

let ajv: Ajv2020 | undefined;

/**
 * The Ajv that rules are compiled with. Strict about the schema (an unknown keyword such as
 * `maximun` is an error, not a rule that checks nothing), lenient about types.
 */
function policyAjv(): Ajv2020 {
  ajv ??= userSchemaAjv({
    allErrors: true,
    // The failing value, for the message (e.data).
    verbose: true,
    strictSchema: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
  });
  return ajv;
}

/** A glob (`*` matches any run of characters) as an anchored regular expression. */
export function globPattern(glob: string): string {
  return `^${glob
    .split('*')
    .map((s) => s.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*')}$`;
}

const anyGlob = (globs: readonly string[]) => ({ anyOf: globs.map((g) => ({ pattern: globPattern(g) })) });

/** The field that names a resource of a kind: a document's id, else its name. */
const nameField = (kind: KindKey) => (kind === 'documents' ? 'id' : 'name');

const timeouts = ['retryTimeout', 'connectTimeout', 'requestTimeout'] as const;

/**
 * Compiles rules into JSON Schema validators. A malformed rule (an unknown kind, a shorthand on a
 * kind it does not fit, a bad JSON Schema, a bad pattern or selector, a rule that checks nothing)
 * is a located DG1202 error and is left out. Pure.
 */
export function compileRules(placed: readonly PlacedRule[]): { rules: CompiledRule[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const rules: CompiledRule[] = [];
  const seen = new Map<string, Origin>();
  for (const p of placed) {
    const id = p.bundle ? `${p.bundle.bundle}/${p.rule.id}` : p.rule.id;
    let ok = true;
    const bad = (sub: YamlPath, message: string, hint: string) => {
      ok = false;
      diagnostics.push({
        code: 'DG1202',
        severity: 'error',
        message: `policy rule '${id}': ${message}`,
        location: locationOf(p.origin, sub),
        hint,
      });
    };
    if (!p.bundle) {
      const first = seen.get(p.rule.id);
      if (first) {
        const at = locationOf(first, ['id']);
        bad(['id'], `the id is taken by another rule (${at.file}:${at.line}:${at.col})`, 'give each rule its own id');
      } else seen.set(p.rule.id, p.origin);
    }
    const compiled = compileRule(p, id, bad);
    if (ok && compiled) rules.push(compiled);
  }
  return { rules, diagnostics };
}

function compileRule(
  p: PlacedRule,
  id: string,
  bad: (sub: YamlPath, message: string, hint: string) => void,
): CompiledRule | undefined {
  const { rule } = p;
  const max = rule.max ?? {};
  const maxFields = (['retries', ...timeouts] as const).filter((f) => max[f] !== undefined);
  // The kinds: as written, else the ones the shorthands fit, else every kind.
  const written = rule.kind === undefined ? [] : Array.isArray(rule.kind) ? rule.kind : [rule.kind];
  let kindList: KindKey[] = [];
  written.forEach((alias, i) => {
    const k = kindFromAlias(alias);
    if (!k)
      bad(Array.isArray(rule.kind) ? ['kind', i] : ['kind'], `'${alias}' is not a kind`, 'name a kind such as routes');
    else if (!kindList.includes(k)) kindList.push(k);
  });
  const fits: { field: string; kind: KindKey; given: boolean }[] = [
    { field: 'runsModule', kind: 'routes', given: rule.runsModule !== undefined },
    { field: 'max', kind: 'services', given: maxFields.length > 0 },
  ];
  const implied = fits.filter((f) => f.given);
  if (written.length === 0) {
    if (implied.length > 1) {
      bad(
        [implied[1]!.field],
        `${implied.map((f) => f.field).join(' and ')} apply to different kinds (${implied.map((f) => f.kind).join(', ')})`,
        'write them as two rules',
      );
      return undefined;
    }
    kindList = implied.length === 1 ? [implied[0]!.kind] : Object.keys(kinds).map((k) => k as KindKey);
  } else {
    for (const f of implied)
      if (kindList.some((k) => k !== f.kind))
        bad(
          [f.field],
          `${f.field} applies to ${f.kind} only, and the rule's kind says ${kindList.join(', ')}`,
          `set kind: ${f.kind}, or drop ${f.field}`,
        );
  }
  const target: Selector[] = [];
  (rule.where?.target ?? []).forEach((text, i) => {
    const parsed = parseSelector(text);
    if (parsed.ok) target.push(parsed.value);
    else
      bad(
        ['where', 'target', i],
        `'${text}' is not a tag selector: ${parsed.error.message}`,
        'write a selector such as #env:prod, !env:dev or ?region:eu,us (docs/targets.md)',
      );
  });

  const compile = (schema: object, sub: YamlPath, what: string): ValidateFunction | undefined => {
    try {
      return compileUserSchema(policyAjv(), schema);
    } catch (err) {
      bad(sub, `${what}: ${(err as Error).message}`, 'see docs/policy.md for the JSON Schema a rule takes');
      return undefined;
    }
  };
  const parts: RulePart[] = [];
  if (rule.require !== undefined) {
    const validate = compile(rule.require, ['require'], 'require is not a usable JSON Schema');
    if (validate) parts.push({ path: ['require'], validate });
  }
  if (rule.runsModule !== undefined) {
    const names = rule.runsModule.map((m) => p.bundle?.modules[m] ?? m);
    const validate = compile(
      { required: ['modules'], properties: { modules: { contains: anyGlob(names) } } },
      ['runsModule'],
      'runsModule',
    );
    const list = names.join(', ');
    if (validate)
      parts.push({
        path: ['runsModule'],
        validate,
        describe: (_, r) =>
          Array.isArray(r.modules) && r.modules.length > 0
            ? `it runs ${r.modules.join(', ')}, none of which is ${list}`
            : names.includes('*')
              ? 'it runs no module'
              : `it runs no module, and must run one of ${list}`,
        hint: `add one of ${list} to the route's modules`,
      });
  }
  if (rule.namePattern !== undefined) {
    let usable = true;
    try {
      new RegExp(rule.namePattern, 'u');
    } catch (err) {
      usable = false;
      bad(
        ['namePattern'],
        `namePattern is not a regular expression: ${(err as Error).message}`,
        'write an ECMA-262 regular expression, e.g. ^[a-z][a-z0-9-]*$',
      );
    }
    if (usable) {
      // One validator per name field (a document's id, every other kind's name).
      for (const field of new Set(kindList.map(nameField))) {
        const validate = compile(
          { properties: { [field]: { pattern: rule.namePattern } } },
          ['namePattern'],
          'namePattern',
        );
        if (validate)
          parts.push({
            path: ['namePattern'],
            validate,
            describe: (_, r) => `its ${field} '${String(r[field])}' does not match ${rule.namePattern}`,
            hint: `rename it to match ${rule.namePattern}`,
          });
      }
    }
  }
  (rule.requiredTags ?? []).forEach((tag, i) => {
    const validate = compile(
      { required: ['tags'], properties: { tags: { contains: { pattern: globPattern(tag) } } } },
      ['requiredTags', i],
      'requiredTags',
    );
    if (validate)
      parts.push({
        path: ['requiredTags', i],
        validate,
        describe: (_, r) =>
          `it has no tag ${tag.includes('*') ? 'matching ' : ''}'${tag}'${Array.isArray(r.tags) && r.tags.length > 0 ? ` (its tags: ${r.tags.join(', ')})` : ''}`,
        hint: `add a tag ${tag.includes('*') ? 'matching ' : ''}'${tag}' to its tags`,
      });
  });
  for (const field of maxFields) {
    const value = max[field]!;
    const limit = typeof value === 'number' ? value : parseDuration(value);
    const isTimeout = field !== 'retries';
    const validate = compile(
      { properties: { [field]: isTimeout ? { minimum: 1, maximum: limit } : { maximum: limit } } },
      ['max', field],
      'max',
    );
    const shown = (n: unknown) => (isTimeout && typeof n === 'number' ? formatDuration(n) : String(n));
    if (validate)
      parts.push({
        path: ['max', field],
        validate,
        describe: (_, r) =>
          isTimeout && r[field] === 0
            ? `its ${field} is not set (0: no timeout at all), and may be at most ${shown(limit)}`
            : `its ${field} is ${shown(r[field])}, more than the ${shown(limit)} allowed`,
        hint: `set ${field} to at most ${shown(limit)}`,
      });
  }
  const checks = [rule.require, rule.runsModule, rule.namePattern, rule.requiredTags].some((c) => c !== undefined);
  if (!checks && maxFields.length === 0) {
    bad(
      [],
      'the rule checks nothing',
      'give it require (a JSON Schema), or one of runsModule, namePattern, requiredTags, max',
    );
    return undefined;
  }
  // Which resources the rule applies to, as JSON Schema too: where, and a bundle's namespace.
  const applies = new Map<KindKey, ValidateFunction>();
  for (const kind of kindList) {
    const namespaceField = kind === 'namespaces' ? 'name' : 'namespace';
    const all: object[] = [];
    if (p.bundle) all.push({ properties: { [namespaceField]: { const: p.bundle.namespace } } });
    const where = rule.where ?? {};
    if (where.namespaces) all.push({ properties: { [namespaceField]: anyGlob(where.namespaces) } });
    if (where.names) all.push({ properties: { [nameField(kind)]: anyGlob(where.names) } });
    for (const tag of where.tags ?? [])
      all.push({ required: ['tags'], properties: { tags: { contains: { pattern: globPattern(tag) } } } });
    const validate = compile(all.length > 0 ? { allOf: all } : {}, ['where'], 'where');
    if (validate) applies.set(kind, validate);
  }
  return { placed: p, id, severity: rule.severity ?? 'error', kinds: kindList, applies, target, parts };
}
