import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, inject } from 'vitest';
import {
  startDgateCluster,
  startDgateNode,
  type DgateCluster,
  type DgateNode,
  type DgateServerBinary,
  type NodeOptions,
} from '../../src/io/local-server.js';

export function suiteBinary(): DgateServerBinary {
  return { path: inject('dgateServerBin'), version: inject('dgateServerVersion') };
}

/**
 * How many nodes a test file starts at once. A start is seconds of CPU (DGate compiles the
 * TypeScript compiler when it starts): with more at once on a busy 2-core machine, one misses the
 * 30 s it is given to answer.
 */
const startsAtOnce = 2;
let starting = 0;
const waitingToStart: (() => void)[] = [];

/** Runs `start`, which starts `nodes` nodes, once no more than `startsAtOnce` would be starting. */
async function startInTurn<T>(nodes: number, start: () => Promise<T>): Promise<T> {
  const slots = Math.min(nodes, startsAtOnce);
  while (starting + slots > startsAtOnce) await new Promise<void>((resolve) => waitingToStart.push(resolve));
  starting += slots;
  try {
    return await start();
  } finally {
    starting -= slots;
    for (const wake of waitingToStart.splice(0)) wake();
  }
}

/** Starts a dgate-server of a test's own (in turn: see startsAtOnce); kill it with killDgateNode. */
export function startTestNode(opts: Omit<NodeOptions, 'binary'> = {}): Promise<DgateNode> {
  return startInTurn(1, () => startDgateNode({ binary: suiteBinary(), ...opts }));
}

/** Starts a 3-node raft cluster of a test's own (in turn: see startsAtOnce); kill it with killDgateCluster. */
export function startTestCluster(opts: Omit<NodeOptions, 'binary'> = {}): Promise<DgateCluster> {
  return startInTurn(3, () => startDgateCluster({ binary: suiteBinary(), ...opts }));
}

/**
 * The node global setup starts for the whole suite. Files run at the same time share it, so a
 * test may only read from it, or write what no other file reads (its own namespace); anything that
 * applies (the apply lock, the release history) needs a node of its own.
 */
export function suiteNode(): { adminUrl: string; proxyUrl: string } {
  return { adminUrl: inject('dgateAdminUrl'), proxyUrl: inject('dgateProxyUrl') };
}

/**
 * Stops a node at once (SIGKILL) and removes its files. Test nodes keep nothing worth a clean
 * shutdown, and DGate's own shutdown hangs on a node a failed write wedged: stopDgateNode would
 * wait 2 s for it before killing it.
 */
export async function killDgateNode(node: DgateNode): Promise<void> {
  const child = node.process;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
  await rm(node.dir, { recursive: true, force: true });
}

export async function killDgateCluster(cluster: DgateCluster): Promise<void> {
  await Promise.all(cluster.nodes.map(killDgateNode));
}

/**
 * A dgate-server of this test file's own, for suites that need a cluster in a known state
 * (the shared one holds whatever other files put there). Started once per call, before the
 * enclosing suite's tests; killed after them.
 */
export function useOwnDgateNode(opts: Omit<NodeOptions, 'binary'> = {}): () => DgateNode {
  let node: DgateNode | undefined;
  beforeAll(async () => {
    node = await startTestNode(opts);
  });
  afterAll(async () => {
    if (node) await killDgateNode(node);
  });
  return () => {
    if (!node) throw new Error('the node has not started');
    return node;
  };
}

/**
 * Nodes of the enclosing suite's own, one for each set of options given, started side by side (a
 * start is seconds of CPU) before its tests and killed after them.
 */
export function useOwnDgateNodes<T extends Omit<NodeOptions, 'binary'>[]>(
  ...opts: T
): { [K in keyof T]: () => DgateNode } {
  const nodes: (DgateNode | undefined)[] = [];
  beforeAll(async () => {
    await Promise.all(
      opts.map(async (o, i) => {
        nodes[i] = await startTestNode(o);
      }),
    );
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node && killDgateNode(node)));
  });
  return opts.map((_, i) => () => {
    const node = nodes[i];
    if (!node) throw new Error('the node has not started');
    return node;
  }) as { [K in keyof T]: () => DgateNode };
}

/** A 3-node raft cluster of the enclosing suite's own, started before its tests and killed after them. */
export function useOwnDgateCluster(opts: Omit<NodeOptions, 'binary'> = {}): () => DgateCluster {
  let cluster: DgateCluster | undefined;
  beforeAll(async () => {
    cluster = await startTestCluster(opts);
  });
  afterAll(async () => {
    if (cluster) await killDgateCluster(cluster);
  });
  return () => {
    if (!cluster) throw new Error('the cluster has not started');
    return cluster;
  };
}
