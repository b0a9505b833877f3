import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';

/** How hard one notice is tried: attempts, the wait before each retry, and one attempt's time limit. */
export interface SendPolicy {
  attempts: number;
  backoffMs: number;
  attemptTimeoutMs: number;
  /** All webhooks of one notice, retries included, end by then: an apply is never held up longer. */
  deadlineMs: number;
}

export const defaultSendPolicy: SendPolicy = { attempts: 3, backoffMs: 250, attemptTimeoutMs: 2000, deadlineMs: 4000 };

/**
 * Posts `payload` (JSON) to each URL, retrying a failure (no answer, a 5xx, a 429) with doubling
 * waits, all within the deadline. Never throws: each webhook that did not take the notice is
 * returned as a problem (its position in the list, never its URL, which is a credential).
 */
export async function sendNotice(
  urls: readonly string[],
  payload: string,
  policy: SendPolicy = defaultSendPolicy,
): Promise<string[]> {
  const deadline = AbortSignal.timeout(policy.deadlineMs);
  const one = async (url: string, index: number): Promise<string | undefined> => {
    let last = '';
    for (let attempt = 0; attempt < policy.attempts; attempt++) {
      if (attempt > 0) {
        const wait = await sleep(policy.backoffMs * 2 ** (attempt - 1), true, { signal: deadline }).catch(() => false);
        if (!wait) break;
      }
      try {
        const res = await request(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: payload,
          signal: AbortSignal.any([deadline, AbortSignal.timeout(policy.attemptTimeoutMs)]),
        });
        await res.body.dump();
        if (res.statusCode < 300) return undefined;
        last = `HTTP ${res.statusCode}`;
        // A 4xx other than 429 will not change on a retry.
        if (res.statusCode < 500 && res.statusCode !== 429) break;
      } catch (err) {
        last = (err as { code?: string }).code ?? (err as Error).name;
        if (deadline.aborted) break;
      }
    }
    return `webhook ${index + 1} of settings.notify did not take the notice (${last || 'out of time'})`;
  };
  const results = await Promise.all(urls.map(one));
  return results.filter((r): r is string => r !== undefined);
}
