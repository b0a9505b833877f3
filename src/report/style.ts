import { Chalk, type ChalkInstance } from 'chalk';

/** Colours for renderers. Decided once per run (TTY, NO_COLOR, --color) and passed down. */
export type Style = ChalkInstance;

export function createStyle(colour: boolean): Style {
  return new Chalk({ level: colour ? 1 : 0 });
}
