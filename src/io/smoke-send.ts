import { request } from 'undici';
import {
  type RouteCheck,
  resultOf,
  resultOfError,
  type SmokeResponse,
  type SmokeResult,
} from '../smoke/smoke-check.js';
import type { SmokeCheck } from '../schema/generated/config.js';
import { heldSecrets } from './held-secrets.js';

export interface SmokeSendOptions {
  /** How long one request may take (default 10 s). */
  timeoutMs?: number;
}

/** Sends one smoke request through a gateway's proxy and returns its answer. Throws when there is none. */
export async function sendSmokeRequest(
  check: Pick<SmokeCheck, 'method' | 'path' | 'host' | 'headers' | 'body'>,
  proxyBaseUrl: string,
  opts: SmokeSendOptions = {},
): Promise<SmokeResponse> {
  const timeout = opts.timeoutMs ?? 10_000;
  const headers: Record<string, string> = { ...(check.headers ?? {}) };
  if (check.host !== undefined) headers.host = check.host;
  const res = await request(`${proxyBaseUrl.replace(/\/+$/, '')}${check.path}`, {
    method: (check.method ?? 'GET') as 'GET',
    headers,
    body: check.body,
    // A fresh connection each time: a kept-alive one to a node that was stopped answers nothing.
    reset: true,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
  const body = await res.body.text();
  return { status: res.statusCode, headers: res.headers, body };
}

/**
 * Sends each check through the proxy at `proxyBaseUrl`, one after another, and judges each answer
 * (src/smoke/smoke-check.ts). Answers are masked with every secret value this process holds
 * before they are kept. Never throws for a check: a request without an answer is an `error`
 * result. The runner `plan --try`, the convergence check after apply and canary probes share.
 */
export async function runSmokeChecks(
  checks: readonly RouteCheck[],
  proxyBaseUrl: string,
  opts: SmokeSendOptions = {},
): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  for (const rc of checks) {
    try {
      const res = await sendSmokeRequest(rc.check, proxyBaseUrl, opts);
      results.push(resultOf(rc, { ...res, body: heldSecrets.redact(res.body) }));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      results.push(resultOfError(rc, `${proxyBaseUrl}: ${e.code ?? e.message ?? String(err)}`));
    }
  }
  return results;
}
