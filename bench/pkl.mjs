#!/usr/bin/env node
// Pkl authoring cost, run by `npm run bench` (or alone: `node bench/pkl.mjs`). The same generated
// config is loaded as YAML and as Pkl (every file converted by `dgate-cli convert`'s renderer), in
// this one run; figures are ratios against the YAML load, which is the baseline. Loading means
// readCheckedConfig: read, (evaluate,) parse, schema and meaning checks; the Pkl side runs one
// sandboxed pkl process for all modules. Both must compile to the same version.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { generateConfig } from './generate.mjs';
import { readCheckedConfig } from '../dist/pipeline/read-config.js';
import { compileConfig } from '../dist/compile/compile.js';
import { renderConfigAsPkl } from '../dist/convert/to-pkl.js';
import { evaluatePkl } from '../dist/io/pkl-eval.js';

const sizes = (process.env.BENCH_PKL_SIZES ?? process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

async function load(dir) {
  const checked = await readCheckedConfig(dir);
  if (checked.diagnostics.some((d) => d.severity === 'error'))
    throw new Error(`invalid bench config ${dir}: ${checked.diagnostics[0].message}`);
  return checked;
}
const versionOf = (checked) =>
  compileConfig(checked.config, checked.files, { tool: { name: 'dgate-cli', version: 'bench' }, git: null }).version;

export async function benchPkl() {
  const rows = [];
  for (const size of sizes) {
    const yamlDir = mkdtempSync(path.join(os.tmpdir(), `dgate-bench-yaml-${size}-`));
    const pklDir = mkdtempSync(path.join(os.tmpdir(), `dgate-bench-pkl-${size}-`));
    try {
      const { env } = generateConfig(yamlDir, size);
      Object.assign(process.env, env);
      cpSync(path.join(yamlDir, 'modules'), path.join(pklDir, 'modules'), { recursive: true });
      const files = readdirSync(yamlDir).filter((f) => f.endsWith('.yaml'));
      for (const f of files)
        writeFileSync(
          path.join(pklDir, f.replace(/\.yaml$/, '.pkl')),
          renderConfigAsPkl(parse(readFileSync(path.join(yamlDir, f), 'utf8')), ''),
        );
      // Warm up both paths (module loading, JIT), and check they mean the same gateway.
      const [yv, pv] = [versionOf(await load(yamlDir)), versionOf(await load(pklDir))];
      if (yv !== pv) throw new Error(`YAML and Pkl versions differ: ${yv} vs ${pv}`);
      const yaml = [];
      const pkl = [];
      const evalOnly = [];
      const modules = files.map((f) => path.join(pklDir, f.replace(/\.yaml$/, '.pkl')));
      for (let i = 0; i < repeats; i++) {
        yaml.push((await time(() => load(yamlDir))).ms);
        pkl.push((await time(() => load(pklDir))).ms);
        evalOnly.push(
          (await time(() => evaluatePkl({ root: pklDir, modules, allowedImports: [], env: {}, timeoutMs: 120_000 })))
            .ms,
        );
      }
      const count = Number(size);
      rows.push({ count, files: files.length, yaml: median(yaml), pkl: median(pkl), evalOnly: median(evalOnly) });
    } finally {
      rmSync(yamlDir, { recursive: true, force: true });
      rmSync(pklDir, { recursive: true, force: true });
    }
  }
  const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
  console.log(
    `\nPkl authoring (${os.cpus().length} cores, median of ${repeats}): loading the same config as YAML and as Pkl\n`,
  );
  console.log('| resources (files) | YAML load (baseline) | Pkl load (one pkl process) | of which pkl eval |');
  console.log('|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.count} (${r.files}) | ${fmt(r.yaml)} (1.00×) | ${fmt(r.pkl)} (${(r.pkl / r.yaml).toFixed(2)}×) | ${fmt(r.evalOnly)} (${(r.evalOnly / r.yaml).toFixed(2)}×) |`,
    );
  }
  console.log('\nload = read, evaluate (Pkl), parse, schema and meaning checks; both compile to the same version.');
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname))
  await benchPkl();
