import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
import { locationOf, type LoadedConfig, type Origin } from '../load/assemble.js';
import { pointerToPath } from '../load/check-schema.js';
import type { YamlPath } from '../load/parse-yaml.js';
import { kindOrder, kinds, resourceId, specKinds, type AnyResource, type KindKey } from '../model/registry.js';
import { canaryModuleName } from '../model/canary.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import { evaluateSelectors } from '../select/evaluate.js';
import type { Target } from '../select/targets.js';
import type { CompiledRule, RulePart } from './rules.js';

/** Where each compiled resource was declared (`kind:namespace/name`), for locating a violation. */
export type OriginIndex = ReadonlyMap<string, { origin: Origin; sub: YamlPath }>;

/** The declarations behind the compiled resources of a config (bundle resources sit in the bundle's files). */
export function originsOf(config: LoadedConfig): OriginIndex {
  const out = new Map<string, { origin: Origin; sub: YamlPath }>();
  for (const ns of config.namespaces) {
    const first = ns.declarations[0];
    if (first) out.set(`namespaces:${ns.name}`, { origin: first.origin, sub: [] });
    for (const kind of specKinds)
      for (const d of ns.resources[kind]) {
        const name = (d.spec as { name?: unknown }).name;
        if (typeof name === 'string') out.set(`${kind}:${ns.name}/${name}`, { origin: d.origin, sub: [] });
      }
    for (const c of ns.resources.collections)
      (c.spec.documents ?? []).forEach((doc, j) => {
        out.set(`documents:${ns.name}/${c.spec.name}/${doc.id}`, { origin: c.origin, sub: ['documents', j] });
      });
    // A canary's split module is generated from its route's canary.
    for (const r of ns.resources.routes)
      if (r.spec.canary !== undefined)
        out.set(`modules:${ns.name}/${canaryModuleName(r.spec.name, (r.spec.modules ?? []).length > 0)}`, {
          origin: r.origin,
          sub: ['canary'],
        });
  }
  return out;
}

/** One target's compiled state, as the rules see it. */
export interface TargetState {
  target: Target;
  state: DesiredState;
}

/**
 * Checks every resource each target gets against every rule that applies to it (its kinds, its
 * `where`, its target selectors). A violation found on several targets is reported once, naming
 * them (`named`: the config declares targets). Pure.
 */
export function evaluatePolicy(
  rules: readonly CompiledRule[],
  states: readonly TargetState[],
  origins: OriginIndex,
  at: number,
  named: boolean,
): Diagnostic[] {
  const found = new Map<string, { diagnostic: Diagnostic; targets: string[] }>();
  for (const { target, state } of states) {
    for (const rule of rules) {
      if (rule.target.length > 0 && !evaluateSelectors(rule.target, target.tags, at).selected) continue;
      for (const kind of kindOrder) {
        const applies = rule.applies.get(kind);
        if (!applies) continue;
        for (const resource of state.resources[kind] as AnyResource[]) {
          if (!applies(resource)) continue;
          for (const part of rule.parts) {
            if (part.validate(resource)) continue;
            for (const v of violations(rule, part, kind, resource, part.validate.errors ?? [], origins)) {
              const key = `${rule.id}|${v.location?.file}:${v.location?.line}:${v.location?.col}|${v.message}`;
              const entry = found.get(key);
              // Two instances of one bundle in a namespace bring the same rule twice: one report.
              if (entry) {
                if (!entry.targets.includes(target.name)) entry.targets.push(target.name);
              } else found.set(key, { diagnostic: v, targets: [target.name] });
            }
          }
        }
      }
    }
  }
  return [...found.values()].map(({ diagnostic, targets }) =>
    named
      ? {
          ...diagnostic,
          message: diagnostic.message.replace(
            / breaks policy rule /,
            ` on target${targets.length > 1 ? 's' : ''} ${targets.map((t) => `'${t}'`).join(', ')} breaks policy rule `,
          ),
        }
      : diagnostic,
  );
}

function violations(
  rule: CompiledRule,
  part: RulePart,
  kind: KindKey,
  resource: AnyResource,
  errors: ErrorObject[],
  origins: OriginIndex,
): Diagnostic[] {
  const id = resourceId(kind, resource);
  const declared = origins.get(`${kind}:${id}`);
  const ruleAt = locationOf(rule.placed.origin, part.path);
  const ruleWhere = `policy rule '${rule.id}' at ${ruleAt.file}:${ruleAt.line}:${ruleAt.col}`;
  const subject = `${kinds[kind].singular} '${id}'`;
  const record = resource as unknown as Record<string, unknown>;
  const make = (what: string, instancePath: string, hint: string | undefined): Diagnostic => ({
    code: 'DG1201',
    severity: rule.severity,
    message: `${subject} breaks policy rule '${rule.id}': ${rule.placed.rule.message ? `${rule.placed.rule.message} (${what})` : what}`,
    location: locate(declared, instancePath),
    hint: `${rule.placed.rule.hint ?? hint ?? 'change the resource so that it satisfies the rule'} (${ruleWhere})`,
  });
  if (part.describe) return [make(part.describe(errors, record), errors[0]?.instancePath ?? '', part.hint)];
  return reportable(errors).map((e) => {
    const { what, hint } = describeError(e);
    return make(what, e.instancePath, hint);
  });
}

/** The resource's declaration, at the field the failing value came from when it was written there. */
function locate(declared: { origin: Origin; sub: YamlPath } | undefined, instancePath: string): Location | undefined {
  if (!declared) return undefined;
  const path = pointerToPath(instancePath);
  // Compiled lists of modules are sorted: an index there may not be the one written.
  const cut = path[0] === 'modules' ? path.slice(0, 1) : path;
  return locationOf(declared.origin, [...declared.sub, ...cut]);
}

/**
 * The errors worth a line each: a failed anyOf or oneOf stands for its branches' errors (each
 * only says why one alternative did not fit), and a failed `if` only says the `then` applied.
 */
function reportable(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  return errors.filter(
    (e) =>
      e.keyword !== 'if' &&
      !alternatives.some(
        (a) => a !== e && e.schemaPath.startsWith(`${a.schemaPath}/`) && e.instancePath.startsWith(a.instancePath),
      ),
  );
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** A field path in words: `tlsSkipVerify`, `paths[0]`, `data.owner`; the resource itself is `it`. */
function fieldOf(instancePath: string): string {
  const path = pointerToPath(instancePath);
  if (path.length === 0) return 'it';
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/**
 * One failing keyword of a rule's JSON Schema in plain words, with where in the schema it is, and
 * how to fix it where that can be said from the keyword alone.
 */
export function describeError(e: ErrorObject): { what: string; hint?: string } {
  const field = fieldOf(e.instancePath);
  const params = e.params as Record<string, unknown>;
  let what: string;
  let hint: string | undefined;
  switch (e.keyword) {
    case 'const':
      what = `${field} is ${shown(e.data)}, and must be ${shown(params.allowedValue)}`;
      if (field !== 'it') hint = `set ${field} to ${shown(params.allowedValue)}`;
      break;
    case 'enum':
      what = `${field} is ${shown(e.data)}, and must be one of ${(params.allowedValues as unknown[]).map(shown).join(', ')}`;
      break;
    case 'required':
      what = `${field === 'it' ? 'it has' : `${field} has`} no ${String(params.missingProperty)}`;
      hint = `give it ${String(params.missingProperty)}`;
      break;
    case 'maximum':
    case 'minimum':
    case 'exclusiveMaximum':
    case 'exclusiveMinimum':
      what = `${field} is ${shown(e.data)}, and must be ${String(params.comparison)} ${String(params.limit)}`;
      break;
    case 'pattern':
      what = `${field} ${shown(e.data)} does not match ${String(params.pattern)}`;
      break;
    case 'contains':
      what = `${field} has no item the rule asks for`;
      break;
    case 'not':
      what = `${field} is ${shown(e.data)}, which the rule forbids`;
      break;
    case 'anyOf':
    case 'oneOf':
      what = `${field} fits none of the alternatives the rule allows`;
      break;
    case 'type':
      what = `${field} is ${shown(e.data)}, and must be of type ${String(params.type)}`;
      break;
    default:
      what = `${field} ${e.message ?? 'is not allowed'}`;
  }
  return { what: `${what} (require${e.schemaPath.replace(/^#/, '')})`, hint };
}
