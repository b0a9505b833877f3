/**
 * The shapes of the admin API answers dgate-cli reads, checked before anything uses them: an
 * answer of another shape (a proxy that rewrites bodies, another server on the port, another
 * DGate version) is then a DG2003 that names the field, not a crash further on. Each field is
 * `type` (required) or `type?` (may be absent or null). Each kind's shape is in its file (model/kinds/); only what
 * normalize and the commands read is checked, and fields that DGate may omit are optional, so a real DGate always passes.
 */
export type FieldType = 'string' | 'number' | 'boolean' | 'string[]' | 'object' | 'any';
export interface Shape {
  readonly [field: string]: FieldType | `${FieldType}?` | Shape;
}

/** The shape of an optional tag list, as every kind's answer has one. */
export const tagsShape = 'string[]?';

/** What is wrong with `value` as an object of `shape`, in words that name the field; undefined when nothing. */
export function shapeProblem(value: unknown, shape: Shape, prefix = ''): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `${prefix ? `'${prefix}' is` : 'it is'} ${shown(value)}, not an object`;
  for (const [field, expected] of Object.entries(shape)) {
    const name = prefix ? `${prefix}.${field}` : field;
    const actual = (value as Record<string, unknown>)[field];
    if (typeof expected === 'object') {
      const problem = shapeProblem(actual, expected, name);
      if (problem) return problem;
      continue;
    }
    const optional = expected.endsWith('?');
    const type = (optional ? expected.slice(0, -1) : expected) as FieldType;
    if (actual === undefined || actual === null) {
      if (optional || type === 'any') continue;
      return `'${name}' is missing`;
    }
    if (!hasType(actual, type)) return `'${name}' is ${shown(actual)}, not ${article(type)}`;
  }
  return undefined;
}

/** What is wrong with `value` as a list of `item` objects (null counts as empty); undefined when nothing. */
export function listProblem(value: unknown, item: Shape): string | undefined {
  if (value === null) return undefined;
  if (!Array.isArray(value)) return `the list is ${shown(value)}, not a list`;
  for (let i = 0; i < value.length; i++) {
    const problem = shapeProblem(value[i], item);
    if (problem) return `item ${i + 1} of the list: ${problem}`;
  }
  return undefined;
}

function hasType(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string[]':
      return Array.isArray(value) && value.every((v) => typeof v === 'string');
    case 'object':
      return typeof value === 'object';
    case 'any':
      return true;
    default:
      return typeof value === type;
  }
}

function article(type: FieldType): string {
  return type === 'string[]' ? 'a list of strings' : type === 'object' ? 'an object or a list' : `a ${type}`;
}

/** A value as JSON, shortened: JSON also escapes any control characters in it. */
function shown(value: unknown): string {
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 40 ? `${json.slice(0, 37)}...` : json;
}
