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
 * The server project's setup: finds dgate-server once (bin/test.mjs passes the one it chose in
 * DGATE_SERVER_BIN) and starts the node the suite shares. If none can be had, the project fails
 * here with the reason; `npm test` decides beforehand whether to run this project at all.
 * `vitest list` (which bin/test.mjs uses to count the tests it skips) collects without a server.
 */
export async function setup(project: TestProject): Promise<void> {
  if (process.env.DGATE_TEST_LIST_ONLY === '1') return;
  const binary = await resolveDgateServer({ install: true, log: (l) => console.error(l) });
  node = await startDgateNode({ binary });
  project.provide('dgateServerBin', binary.path);
  project.provide('dgateServerVersion', binary.version);
  project.provide('dgateAdminUrl', node.adminUrl);
  project.provide('dgateProxyUrl', node.proxyUrl);
}

export async function teardown(): Promise<void> {
  if (node) await stopDgateNode(node);
}
