/**
 * Module variables (`vars:` on a module): JSON values a module reads as `VARS`, written into its
 * payload as one first line. DGate v0.11 has no variables of its own ("Module/Plugin Variables"
 * is on its roadmap), so the payload is where they live: the same bytes from YAML and Pkl, a
 * change of one variable is an update of the module, and the line is read back to name the
 * variable in plan and to give `vars:` back in dump.
 */

const prefix = 'const VARS = Object.freeze(';
const suffix = ');\n';

/** The line that defines VARS, for the values in `vars` (keys in the order written). */
export function varsPrelude(vars: Readonly<Record<string, unknown>>): string {
  // U+2028 and U+2029 are valid in JSON strings and end a line in older JavaScript: escaped, the
  // prelude stays one line whatever the values hold.
  const json = JSON.stringify(vars)
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `${prefix}${json}${suffix}`;
}

/** A module source split into the variables its first line defines and the rest, or undefined without that line. */
export function splitVars(source: string): { vars: Record<string, unknown>; body: string } | undefined {
  if (!source.startsWith(prefix)) return undefined;
  const end = source.indexOf('\n');
  const line = end === -1 ? source : source.slice(0, end + 1);
  if (!line.endsWith(suffix)) return undefined;
  try {
    const vars = JSON.parse(line.slice(prefix.length, -suffix.length)) as unknown;
    if (!vars || typeof vars !== 'object' || Array.isArray(vars)) return undefined;
    return { vars: vars as Record<string, unknown>, body: source.slice(line.length) };
  } catch {
    return undefined;
  }
}

/** A name a module can read as VARS.name. */
export const varNamePattern = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** What dump writes for a module's source: `vars:` when its first line holds any, and the rest as its text. */
export function dumpedModuleSource(source: string): { vars?: Record<string, unknown>; body: string } {
  const split = splitVars(source);
  return split && Object.keys(split.vars).length > 0 && split.body !== '' ? split : { body: source };
}
