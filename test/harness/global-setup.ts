import type { TestProject } from 'vitest/node';
import { resolveDgateServer, startDgateNode, stopDgateNode, type DgateNode } from '../../src/io/local-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dgateServerBin: string;
    dgateServerVersion: string;
    /** Admin URL of the dgate-server shared by the suite. */
    dgateAdminUrl: string;
    dgateProxyUrl: string;
  }
}

let node: DgateNode | undefined;

/**
 * Finds (or installs) dgate-server once and starts the one node the suite shares. If it cannot be
 * had, the suite fails here with go's own error: real-server tests are never skipped.
 */
export async function setup(project: TestProject): Promise<void> {
  const binary = await resolveDgateServer({ install: true, log: (l) => console.error(l) });
  if (binary.version !== 'v0.11.1') {
    console.error(`note: dgate-server at ${binary.path} reports version '${binary.version}'; dgate-cli pins v0.11.1`);
  }
  node = await startDgateNode({ binary });
  project.provide('dgateServerBin', binary.path);
  project.provide('dgateServerVersion', binary.version);
  project.provide('dgateAdminUrl', node.adminUrl);
  project.provide('dgateProxyUrl', node.proxyUrl);
}

export async function teardown(): Promise<void> {
  if (node) await stopDgateNode(node);
}
