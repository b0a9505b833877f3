#!/usr/bin/env node
// Benchmarks, run by `npm run bench`. Every figure is measured in the same run, against the same
// local dgate-server, and reported as a ratio to a floor measured alongside it.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { request, Agent } from 'undici';
import { generateConfig } from './generate.mjs';
import { resolveDgateServer, startDgateNode, stopDgateNode } from '../dist/io/local-server.js';
import { readCheckedConfig } from '../dist/pipeline/read-config.js';
import { compileTarget } from '../dist/compile/compile.js';
import { targetsOf } from '../dist/select/targets.js';
import { makePlan, sourcesOfConfig, startLiveRead } from '../dist/pipeline/make-plan.js';
import { AdminClient } from '../dist/cluster/client.js';
import { kindOrder } from '../dist/model/registry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);
/** Rounds of plan against its floor: more than `repeats`, since each round is one pair. */
const planRepeats = Number(process.env.BENCH_PLAN_REPEATS ?? 7);
const concurrency = 16;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(fn) {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, result };
}

/** Compile in a fresh process, so its peak memory is its own: prints { ms, maxRssMb }. */
function compileInChild(dir) {
  const script = `
    const { readCheckedConfig } = await import(${JSON.stringify(path.join(root, 'dist/pipeline/read-config.js'))});
    const { compileTarget } = await import(${JSON.stringify(path.join(root, 'dist/compile/compile.js'))});
    const { targetsOf } = await import(${JSON.stringify(path.join(root, 'dist/select/targets.js'))});
    const t = process.hrtime.bigint();
    const checked = await readCheckedConfig(${JSON.stringify(dir)});
    if (checked.diagnostics.some((d) => d.severity === 'error')) throw new Error('invalid bench config');
    compileTarget(checked.config, checked.files, { tool: { name: 'dgate-cli', version: 'bench' }, git: null }, targetsOf(checked.config)[0], Date.now(), checked.bundles).state;
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    console.log(JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024 }));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

/** The desired state of a checked bench config, for its one target, compiled as plan and apply compile it. */
function desiredOf(checked) {
  return compileTarget(
    checked.config,
    checked.files,
    { tool: { name: 'dgate-cli', version: 'bench' }, git: null },
    targetsOf(checked.config)[0],
    Date.now(),
    checked.bundles,
  ).state;
}

/** The floor for plan: the minimum reads it needs, with nothing done to the answers. */
async function readFloor(adminUrl, namespaces) {
  const agent = new Agent({ connections: concurrency });
  const get = async (p) => {
    const res = await request(`${adminUrl}/api/v1${p}`, { dispatcher: agent });
    return res.body.json();
  };
  const pool = async (items, work) => {
    let next = 0;
    const out = [];
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < items.length) {
          const i = next++;
          out[i] = await work(items[i]);
        }
      }),
    );
    return out;
  };
  await get('/namespace');
  const lists = await pool(
    namespaces.flatMap((ns) => ['service', 'module', 'route', 'domain', 'collection', 'secret'].map((k) => [ns, k])),
    ([ns, k]) => get(`/${k}?namespace=${ns}`).then((b) => [k, b.data]),
  );
  const domains = lists.filter(([k]) => k === 'domain').flatMap(([, d]) => d);
  const collections = lists.filter(([k]) => k === 'collection').flatMap(([, c]) => c);
  await Promise.all([
    pool(domains, (d) => get(`/domain/${d.name}?namespace=${d.namespace}`)),
    pool(collections, (c) => get(`/document?namespace=${c.namespace}&collection=${c.name}&limit=0&offset=2147483647`)),
  ]);
  await agent.close();
}

/** The same path as `dgate-cli plan`: the cluster read starts as soon as the files are parsed. */
async function planInProcess(dir, adminUrl) {
  const client = new AdminClient({ baseUrl: adminUrl, connections: concurrency });
  try {
    let liveRead;
    const checked = await readCheckedConfig(dir, (config) => (liveRead = startLiveRead(client, config)));
    const desired = desiredOf(checked);
    return (await makePlan({ sources: sourcesOfConfig(checked, []), desired, client, selectTags: [], liveRead })).plan;
  } finally {
    await client.close();
  }
}

const binary = await resolveDgateServer({ install: true, log: console.error });
const rows = [];
for (const size of process.env.BENCH_PLAN === '0' ? [] : sizes) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `dgate-bench-${size}-`));
  const { namespaces, env } = generateConfig(dir, size);
  Object.assign(process.env, env);
  const nsNames = Array.from({ length: namespaces }, (_, n) => `ns${String(n).padStart(3, '0')}`);
  const node = await startDgateNode({ binary });
  try {
    const compiles = Array.from({ length: repeats }, () => compileInChild(dir));
    const compileMs = median(compiles.map((c) => c.ms));
    const compileRss = Math.max(...compiles.map((c) => c.maxRssMb));
    const checked = await readCheckedConfig(dir);
    const state = desiredOf(checked);
    const count = kindOrder.reduce((n, k) => n + state.resources[k].length, 0);
    const load = await time(() => writeFloor(node.adminUrl, state, env.BENCH_SECRET, concurrency));
    // The node has just taken every resource: one read first, so no round pays for what follows a load.
    await readFloor(node.adminUrl, nsNames);
    // Floor and plan interleaved, a pair per round, and the ratio taken per round: the floor alone
    // moved 2× from one read to the next on this machine (473 ms to 1,061 ms at 10k), so a ratio
    // of medians measured apart says more about when each ran than about plan.
    const pairs = async (planOnce) => {
      const rounds = [];
      for (let i = 0; i < planRepeats; i++) {
        const floor = (await time(() => readFloor(node.adminUrl, nsNames))).ms;
        const plan = (await time(planOnce)).ms;
        rounds.push({ floor, plan, ratio: plan / floor });
      }
      return {
        floor: median(rounds.map((r) => r.floor)),
        plan: median(rounds.map((r) => r.plan)),
        ratio: median(rounds.map((r) => r.ratio)),
        ratios: rounds.map((r) => r.ratio),
      };
    };
    const clean = await pairs(async () => {
      const plan = await planInProcess(dir, node.adminUrl);
      if (plan.changes.length !== 0) throw new Error(`expected no changes, got ${plan.changes.length}`);
    });
    // 10% changed: every tenth service gets another retry count on the desired side.
    for (const f of checked.input.sources) {
      const file = path.join(dir, f.rel);
      writeFileSync(file, readFileSync(file, 'utf8').replace(/(name: svc\d*0, [^}]*retries: )3/g, '$15'));
    }
    const changed = await pairs(async () => {
      const plan = await planInProcess(dir, node.adminUrl);
      if (plan.changes.length === 0) throw new Error('expected changes');
    });
    rows.push({ size: count, compileMs, compileRss, loadMs: load.ms, floor: clean.floor, clean, changed });
  } finally {
    await stopDgateNode(node);
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);
if (rows.length > 0) {
  console.log(
    `\ndgate-cli benchmarks (dgate-server ${binary.version}, ${os.cpus().length} cores; plan: ${planRepeats} rounds of a floor read then a plan, ratio = median of the rounds' ratios; compile: median of ${repeats})\n`,
  );
  console.log(
    '| resources | floor: bare reads | plan, no changes | plan, 10% changed | compile | compile peak RSS | initial load (bare PUTs) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.size} | ${fmt(r.floor)} (1.00×) | ${fmt(r.clean.plan)} (${r.clean.ratio.toFixed(2)}×) | ${fmt(r.changed.plan)} (${r.changed.ratio.toFixed(2)}×) | ${fmt(r.compileMs)} (${(r.compileMs / r.floor).toFixed(2)}×) | ${r.compileRss.toFixed(0)} MB | ${fmt(r.loadMs)} |`,
    );
  }
  for (const r of rows)
    console.log(
      `\nper round at ${r.size}, plan / floor: no changes ${r.clean.ratios.map((x) => x.toFixed(2)).join(', ')}; 10% changed ${r.changed.ratios.map((x) => x.toFixed(2)).join(', ')}`,
    );
  console.log(
    '\nplan figures include reading the config, compiling, reading the cluster, normalizing and diffing; the floor is only the reads.',
  );
}

// ---- apply: 1,000 creates and 1,000 updates, against fresh nodes in this same run ----------
const { createApplyContext } = await import('../dist/pipeline/apply-context.js');
const { applyPlan } = await import('../dist/apply/execute.js');
const { JournalStore } = await import('../dist/io/journal-store.js');
const { ensureSystemStore } = await import('../dist/cluster/system-store.js');

async function applyInProcess(dir, adminUrl, stateDir, journal) {
  const client = new AdminClient({ baseUrl: adminUrl, connections: concurrency });
  try {
    const checked = await readCheckedConfig(dir);
    const desired = desiredOf(checked);
    const sources = sourcesOfConfig(checked, []);
    // Where the apply marks itself running; `apply` makes it when it takes the lock, before planning.
    await ensureSystemStore(client);
    const made = await makePlan({ sources, desired, client, selectTags: [] });
    const store = new JournalStore(stateDir, adminUrl);
    const ctx = createApplyContext({
      client,
      journal: store,
      namespaces: made.plan.scope.namespaces,
      sources,
      onEvent: () => {},
    });
    if (!journal) ctx.commitJournal = async () => {};
    // The time the apply spent with a journal write under way (the union over concurrent ones).
    const waited = { ms: 0, pending: 0, since: 0n };
    const write = ctx.commitJournal;
    ctx.commitJournal = async (...args) => {
      if (waited.pending++ === 0) waited.since = process.hrtime.bigint();
      try {
        return await write(...args);
      } finally {
        if (--waited.pending === 0) waited.ms += Number(process.hrtime.bigint() - waited.since) / 1e6;
      }
    };
    const { ms, result } = await time(() => applyPlan(made, ctx));
    if (result.outcome !== 'applied') throw new Error(`bench apply failed: ${result.failure}`);
    return { ms, journalMs: waited.ms, changes: made.plan.changes.length, state: desired };
  } finally {
    await client.close();
  }
}

/** Every resource put in by a bare undici loop: the floor for apply (at its concurrency, 8), and the initial load. */
async function writeFloor(adminUrl, state, secret, width = 8) {
  const agent = new Agent({ connections: width });
  const start = process.hrtime.bigint();
  for (const kind of kindOrder) {
    const items = state.resources[kind];
    let next = 0;
    await Promise.all(
      Array.from({ length: width }, async () => {
        while (next < items.length) {
          const r = items[next++];
          let url = `${adminUrl}/api/v1/${kind.slice(0, -1)}`;
          let body = { ...r };
          if (kind === 'documents') {
            url = `${adminUrl}/api/v1/document/${r.id}?namespace=${r.namespace}&collection=${r.collection}`;
            body = r.data;
          }
          if (kind === 'secrets') body.data = secret;
          const res = await request(url, {
            method: 'PUT',
            body: JSON.stringify(body),
            dispatcher: agent,
            headersTimeout: 60_000,
            bodyTimeout: 60_000,
          });
          await res.body.dump();
          if (res.statusCode >= 300) throw new Error(`PUT ${url}: ${res.statusCode}`);
        }
      }),
    );
  }
  await agent.close();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** DGate's own Go dgate-cli, once per resource, as its users script it today (documents skipped: its document create is broken in v0.11.1). */
function goCliCreates(bin, adminUrl, state, secret) {
  const start = process.hrtime.bigint();
  let count = 0;
  const kindName = {
    namespaces: 'namespace',
    secrets: 'secret',
    modules: 'module',
    services: 'service',
    collections: 'collection',
    domains: 'domain',
    routes: 'route',
  };
  for (const kind of Object.keys(kindName)) {
    for (const r of state.resources[kind]) {
      const args = ['--admin', adminUrl, kindName[kind], 'create'];
      for (const [k, v] of Object.entries(r)) {
        const value = kind === 'secrets' && k === 'data' ? secret : v;
        args.push(typeof value === 'string' ? `${k}=${value}` : `${k}:=${JSON.stringify(value)}`);
      }
      execFileSync(bin, args, { stdio: 'ignore' });
      count++;
    }
  }
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, count };
}

if (process.env.BENCH_APPLY !== '0') {
  const dirA = mkdtempSync(path.join(os.tmpdir(), 'dgate-bench-apply-'));
  const dirB = mkdtempSync(path.join(os.tmpdir(), 'dgate-bench-apply-v1-'));
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'dgate-bench-state-'));
  const { env } = generateConfig(dirA, 1000, 0);
  generateConfig(dirB, 1000, 1);
  Object.assign(process.env, env);
  // Rounds on fresh nodes, each measuring all three one after another, in an order rotated from
  // round to round: a ratio is taken within a round, so the three share the machine's load.
  const variants = ['floor', 'journal', 'bare'];
  const rounds = { creates: [], updates: [] };
  let createdState;
  const changes = {};
  const nodes = [];
  try {
    for (let round = 0; round < repeats; round++) {
      const started = await Promise.all(variants.map(() => startDgateNode({ binary })));
      nodes.push(...started);
      const nodeOf = Object.fromEntries(variants.map((v, i) => [v, started[i]]));
      const order = variants.map((_, i) => variants[(i + round) % variants.length]);
      const phases = [
        ['creates', dirA],
        ['updates', dirB],
      ];
      for (const [phase, dir] of process.env.BENCH_APPLY_UPDATES === '0' ? phases.slice(0, 1) : phases) {
        const ms = {};
        for (const v of order) {
          if (v === 'floor') {
            // The same resources, compiled as the apply compiles them.
            const checked = await readCheckedConfig(dir);
            const state = desiredOf(checked);
            ms.floor = await writeFloor(nodeOf.floor.adminUrl, state, env.BENCH_SECRET);
          } else {
            const run = await applyInProcess(dir, nodeOf[v].adminUrl, stateDir, v === 'journal');
            ms[v] = run.ms;
            if (v === 'journal') ms.journalWait = run.journalMs;
            changes[phase] = run.changes;
            if (phase === 'creates') createdState = run.state;
          }
        }
        rounds[phase].push(ms);
      }
      await Promise.all(started.map(stopDgateNode));
      nodes.length = 0;
    }
    console.log(
      `\napply (in-process: writes, journal, read-back verification; median of ${repeats} rounds on fresh nodes, ratios within a round), 1,000-resource config\n`,
    );
    console.log(
      '| | floor: bare PUTs (8 at a time) | dgate-cli apply | apply without journal | journal adds | journal writes under way |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const phase of ['creates', 'updates']) {
      const rs = rounds[phase];
      if (rs.length === 0) continue;
      const m = (v) => median(rs.map((r) => r[v]));
      const ratio = (v) => median(rs.map((r) => r[v] / r.floor)).toFixed(2);
      const adds = median(rs.map((r) => ((r.journal - r.bare) / r.bare) * 100)).toFixed(0);
      console.log(
        `| ${changes[phase]} ${phase} | ${fmt(m('floor'))} (1.00×) | ${fmt(m('journal'))} (${ratio('journal')}×) | ${fmt(m('bare'))} (${ratio('bare')}×) | ${adds}% | ${fmt(m('journalWait'))} (${median(rs.map((r) => (r.journalWait / r.floor) * 100)).toFixed(1)}% of the floor) |`,
      );
    }
    if (repeats > 1)
      console.log(
        `\nper round, creates (journal / floor): ${rounds.creates.map((r) => (r.journal / r.floor).toFixed(2)).join(', ')}; updates: ${rounds.updates.map((r) => (r.journal / r.floor).toFixed(2)).join(', ')}`,
      );
    const goBin = process.env.DGATE_GO_CLI_BIN;
    if (goBin) {
      const goNode = await startDgateNode({ binary });
      nodes.push(goNode);
      const go = goCliCreates(goBin, goNode.adminUrl, createdState, env.BENCH_SECRET);
      const perGo = go.ms / go.count;
      const perFloor = median(rounds.creates.map((r) => r.floor)) / changes.creates;
      const perApply = median(rounds.creates.map((r) => r.journal)) / changes.creates;
      console.log(
        `\nDGate's Go dgate-cli, one process per resource: ${go.count} creates in ${fmt(go.ms)}, ${perGo.toFixed(1)} ms each: ${(perGo / perFloor).toFixed(1)}× the floor per write, ${(perGo / perApply).toFixed(1)}× dgate-cli apply.`,
      );
    } else {
      console.log(
        "\nDGate's Go dgate-cli: not measured (`go install github.com/dgate-io/dgate/cmd/dgate-cli@v0.11.1`, then set DGATE_GO_CLI_BIN to its path).",
      );
    }
  } finally {
    await Promise.all(nodes.map(stopDgateNode));
    for (const d of [dirA, dirB, stateDir]) rmSync(d, { recursive: true, force: true });
  }
}

// ---- Pkl authoring: the same config loaded as YAML and as Pkl (bench/pkl.mjs) ----------------
if (process.env.BENCH_PKL !== '0') await (await import('./pkl.mjs')).benchPkl();

// ---- canary split: what the generated module adds to a request (bench/canary.mjs) -----------
if (process.env.BENCH_CANARY !== '0') await (await import('./canary.mjs')).benchCanary();

// ---- start-up: a whole dgate-cli process, against a bare `node` in this same run -------------
if (process.env.BENCH_STARTUP !== '0') {
  const cli = path.join(root, 'bin', 'dgate-cli');
  const runs = Math.max(5, repeats);
  const wall = (args) => {
    const times = [];
    for (let i = 0; i < runs; i++) {
      const start = process.hrtime.bigint();
      execFileSync(process.execPath, args, { cwd: root, stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return median(times);
  };
  const bare = wall(['-e', '0']);
  const rowsStart = [
    ['node -e 0 (baseline)', bare],
    ['dgate-cli --version', wall([cli, '--version'])],
    ['dgate-cli validate examples/shop', wall([cli, 'validate', 'examples/shop'])],
    ['dgate-cli compile examples/shop', wall([cli, 'compile', 'examples/shop'])],
  ];
  console.log(`\nstart-up (whole processes, median of ${runs})\n`);
  console.log('| command | time | of the baseline |');
  console.log('|---|---|---|');
  for (const [name, ms] of rowsStart) console.log(`| ${name} | ${fmt(ms)} | ${(ms / bare).toFixed(2)}× |`);
}
