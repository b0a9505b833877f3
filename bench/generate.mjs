// Generates a config of about N resources, in namespaces of 100 each, for the benchmarks.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Per namespace: 25 services, 25 routes, 10 modules, 5 domains, 5 collections with 4 documents
 * each, 10 secrets (100 in all). `variant` 1 changes every resource (for update benchmarks).
 */
export function generateConfig(dir, total, variant = 0) {
  const namespaces = Math.max(1, Math.round(total / 100));
  mkdirSync(path.join(dir, 'modules'), { recursive: true });
  writeFileSync(
    path.join(dir, 'modules', 'mod.ts'),
    `export const requestModifier = (ctx: any) => { ctx.request().headers.set("X-Bench", "${variant + 1}"); };\n`,
  );
  const env = {};
  for (let n = 0; n < namespaces; n++) {
    const ns = `ns${String(n).padStart(3, '0')}`;
    const lines = [
      'version: v1',
      'namespaces:',
      `  - name: ${ns}`,
      `    tags: [bench, "shard:${n % 10}", "v${variant}"]`,
      '    services:',
    ];
    for (let i = 0; i < 25; i++)
      lines.push(
        `      - { name: svc${i}, urls: [http://127.0.0.1:${10000 + i}/], retries: ${3 + variant}, requestTimeout: 5s, tags: [svc] }`,
      );
    lines.push('    modules:');
    for (let i = 0; i < 10; i++) lines.push(`      - { name: mod${i}, file: modules/mod.ts }`);
    lines.push('    routes:');
    for (let i = 0; i < 25; i++)
      lines.push(
        `      - { name: rt${i}, paths: [/r${i}/*], methods: [${variant ? 'GET' : 'GET, POST'}], service: svc${i}, modules: [mod${i % 10}], stripPath: true }`,
      );
    lines.push('    domains:');
    for (let i = 0; i < 5; i++)
      lines.push(`      - { name: dom${i}, patterns: ["d${i}.${ns}.example.com"], priority: ${i + variant * 10} }`);
    lines.push('    collections:');
    for (let i = 0; i < 5; i++) {
      lines.push(
        `      - name: col${i}`,
        `        schema: { type: object, properties: { v: { type: integer }${variant ? ', w: { type: string }' : ''} } }`,
        '        documents:',
      );
      for (let d = 0; d < 4; d++) lines.push(`          - { id: doc${d}, data: { v: ${d + variant * 100} } }`);
    }
    lines.push('    secrets:');
    for (let i = 0; i < 10; i++) {
      lines.push(`      - { name: sec${i}, value: { fromEnv: BENCH_SECRET }, tags: [v${variant}] }`);
    }
    writeFileSync(path.join(dir, `${ns}.yaml`), `${lines.join('\n')}\n`);
  }
  env.BENCH_SECRET = 'bench-secret';
  return { namespaces, env };
}
