#!/usr/bin/env node
// Bundles dist/ (tsc's output) into dist/bundle/, which bin/dgate-cli runs: the command's own
// modules and its dependencies in a few files instead of several hundred. Start-up was mostly
// module loading; `dgate-cli validate examples/shop` took 0.77 s unbundled and 0.43 s bundled
// (median of 7, `node -e 0` 0.16 s, on a loaded 2-core machine). Lazy imports stay lazy: each
// becomes a chunk loaded when it is first needed. dist/ itself stays, for tests and benches
// that import its modules.
//
// The bundle sits at the same depth as every dist/<folder>/ file, so paths written relative to a
// module (`../../package.json`, `../../schema`, `../../bundles`) mean the same from either.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';
import { renderThrown } from './render-error.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const bundleDir = path.join(root, 'dist', 'bundle');

export async function bundle() {
  rmSync(bundleDir, { recursive: true, force: true });
  await build({
    input: path.join(root, 'dist', 'main.js'),
    platform: 'node',
    // Node's built-ins, and packages found at run time by createRequire (ajv's runtime helpers
    // for the precompiled validators, the Pkl binary's path), come from node_modules as before.
    external: [/^node:/],
    logLevel: 'warn',
    // Minified: V8 reads a sixth less text at start (validate examples/shop 2.34× → 2.03× a bare
    // `node -e 0`, medians of 15, interleaved). Source maps beside it: bin/dgate-cli turns them on
    // for --debug, so a stack trace names the TypeScript source.
    output: {
      dir: bundleDir,
      format: 'esm',
      entryFileNames: 'main.mjs',
      chunkFileNames: '[name]-[hash].mjs',
      minify: true,
      sourcemap: true,
    },
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await bundle();
  } catch (err) {
    process.exitCode = await renderThrown(err, 'bundle');
  }
}
