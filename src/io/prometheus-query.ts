import { request } from 'undici';
import { type QueryAnswer, readInstantAnswer } from '../model/canary-prometheus.js';

/**
 * Asks a Prometheus server one instant query (GET <url>/api/v1/query?query=...), for a canary's
 * checks.prometheus. Never throws: no answer (refused, timed out) is an `error` with what
 * happened; what the answer comes to is model/canary-prometheus.ts.
 */
export async function queryPrometheus(url: string, query: string, timeoutMs = 10_000): Promise<QueryAnswer> {
  const target = `${url.replace(/\/+$/, '')}/api/v1/query?${new URLSearchParams({ query })}`;
  try {
    const res = await request(target, {
      method: 'GET',
      headers: { accept: 'application/json' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      signal: AbortSignal.timeout(timeoutMs),
    });
    return readInstantAnswer(res.statusCode, await res.body.text());
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { kind: 'error', problem: `did not answer (${e.code ?? e.name}: ${e.message})` };
  }
}
