import { afterAll, beforeAll, inject } from 'vitest';
import {
  startDgateNode,
  stopDgateNode,
  type DgateNode,
  type DgateServerBinary,
  type NodeOptions,
} from '../../src/io/local-server.js';

export function suiteBinary(): DgateServerBinary {
  return { path: inject('dgateServerBin'), version: inject('dgateServerVersion') };
}

/**
 * A dgate-server of this test file's own, for suites that need a cluster in a known state
 * (the shared one holds whatever other files put there). Started once per file.
 */
export function useOwnDgateNode(opts: Omit<NodeOptions, 'binary'> = {}): () => DgateNode {
  let node: DgateNode | undefined;
  beforeAll(async () => {
    node = await startDgateNode({ binary: suiteBinary(), ...opts });
  });
  afterAll(async () => {
    if (node) await stopDgateNode(node);
  });
  return () => {
    if (!node) throw new Error('the node has not started');
    return node;
  };
}
