/**
 * Text that came from a cluster (or any file) made safe to print on a terminal. DGate accepts any
 * name, so a resource may be named "\u001b[31m..." or "\u009b2J": printed raw, that recolours or
 * clears the reader's terminal, or, with the Unicode controls that reorder text, shows a name other
 * than the real one. Such characters are written as JSON writes them (`\u001b`), which is what
 * `get --format json` and dump's messages show.
 */

/** C0 controls except tab and newline, DEL, C1 controls, and the invisible or reordering format characters. */
const unprintable = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const unprintableOrLayout = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
const hasUnprintableOrLayout = new RegExp(unprintableOrLayout.source);

function escaped(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** Multi-line text (a module source, a message) with its control characters escaped; tabs and newlines kept. */
export function printableText(text: string): string {
  return text.replace(unprintable, escaped);
}

/**
 * A name on one line: as it is when it holds nothing a terminal would act on, else in double
 * quotes with those characters (newlines and tabs too) escaped, so the quotes say it was escaped.
 */
export function printableName(name: string): string {
  if (!hasUnprintableOrLayout.test(name)) return name;
  return `"${name.replace(/["\\]/g, '\\$&').replace(unprintableOrLayout, escaped)}"`;
}
