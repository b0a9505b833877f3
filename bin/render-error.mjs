// How the scripts in bin/ end on an error: a DgateError is rendered by the CLI's own renderer
// (location, code, message, hint), anything else as one line naming the script; never a stack
// trace. DGATE_CLI_DEBUG=1 adds the stack, for whoever is debugging the script itself.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

/** Writes `err` to stderr and returns the exit code to end with (1). */
export async function renderThrown(err, script) {
  process.stderr.write(`${await describe(err, script)}\n`);
  if (process.env.DGATE_CLI_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  return 1;
}

async function describe(err, script) {
  const plain = `${script}: ${err instanceof Error ? err.message : String(err)}`;
  if (!(err instanceof Error) || err.name !== 'DgateError' || typeof err.toDiagnostic !== 'function') return plain;
  try {
    const { renderDiagnostic } = await import(pathToFileURL(path.join(dist, 'errors', 'render.js')).href);
    const { createStyle } = await import(pathToFileURL(path.join(dist, 'report', 'style.js')).href);
    const colour = Boolean(process.stderr.isTTY) && (process.env.NO_COLOR ?? '') === '';
    return renderDiagnostic(err.toDiagnostic(), createStyle(colour));
  } catch {
    // dist/ is not built yet (setup failed before tsc): the message still says what happened.
    return `${plain}${err.hint ? `\n  hint: ${err.hint}` : ''}`;
  }
}
