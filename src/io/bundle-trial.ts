import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { putRequest } from '../cluster/admin-api.js';
import { AdminClient } from '../cluster/client.js';
import { kindOrder, kinds, type AnyResource } from '../model/registry.js';
import type { Resources, SecretRef } from '../schema/generated/desired-state.js';
import { judgeResponse } from '../smoke/smoke-check.js';
import { resolveSecretRef } from './secret-source.js';
import { sendSmokeRequest } from './smoke-send.js';
import {
  type DgateNode,
  type DgateServerBinary,
  resolveDgateServer,
  startDgateNode,
  stopDgateNode,
} from './local-server.js';

/** One request of a `bundle test` case, and what its answer must be. */
export interface TrialRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  expect: { status?: number; headers?: Record<string, string>; json?: unknown; body?: string };
}

/**
 * A throwaway dgate-server, and an echo upstream that answers every request with JSON describing
 * it ({ method, url, headers, body }), for `bundle test` cases that send requests and for
 * `plan --try` / `apply --try` (pipeline/try-step.ts).
 */
export class BundleTrial {
  private constructor(
    private readonly node: DgateNode,
    private readonly echo: Server,
    readonly echoUrl: string,
    /** The dgate-server binary the node runs. */
    readonly binary: DgateServerBinary,
  ) {}

  /** Where requests through the gateway go. */
  get proxyUrl(): string {
    return this.node.proxyUrl;
  }

  /** `install`: when no dgate-server is found, install the pinned one with `go install` (default true). */
  static async start(log: (line: string) => void, opts: { install?: boolean } = {}): Promise<BundleTrial> {
    const binary = await resolveDgateServer({ install: opts.install ?? true, log });
    const echo = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            method: req.method,
            url: req.url,
            headers: req.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const node = await startDgateNode({ binary });
    return new BundleTrial(node, echo, `http://127.0.0.1:${(echo.address() as AddressInfo).port}`, binary);
  }

  /**
   * Puts the resources in dependency order (the node is fresh: nothing to diff or undo).
   * Sensitive fields are resolved by `sensitive` when given, else from where they say.
   */
  async put(resources: Resources, sensitive?: (ref: SecretRef) => string): Promise<void> {
    const client = new AdminClient({ baseUrl: this.node.adminUrl });
    try {
      for (const kind of kindOrder) {
        for (const r of resources[kind] as AnyResource[]) {
          const rec = { ...(r as unknown as Record<string, unknown>) };
          for (const field of kinds[kind].sensitive) {
            if (rec[field] !== undefined && sensitive) rec[field] = sensitive(rec[field] as SecretRef);
            else if (rec[field] !== undefined)
              rec[field] = await resolveSecretRef(rec[field] as SecretRef, {
                owner: `${kinds[kind].singular} ${String(rec.name)}`,
                root: process.cwd(),
                env: process.env,
              });
          }
          const req = putRequest(kind, rec as unknown as AnyResource);
          const res = await client.send('PUT', req.path, req.query, req.body);
          if (res.status >= 300) throw new Error(`PUT ${req.path} answered ${res.status}: ${res.text.slice(0, 200)}`);
        }
      }
    } finally {
      await client.close();
    }
  }

  /** Sends one request through the gateway and lists how its answer differs from what is expected. */
  async check(r: TrialRequest): Promise<string[]> {
    return judgeResponse(r.expect, await sendSmokeRequest(r, this.node.proxyUrl));
  }

  async stop(): Promise<void> {
    await stopDgateNode(this.node);
    await new Promise<void>((resolve) => this.echo.close(() => resolve()));
  }
}
