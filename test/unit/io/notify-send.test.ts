import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { sendNotice } from '../../../src/io/notify-send.js';

/** A webhook receiver on loopback (a real HTTP server: the stand-in for Slack), answering as `answer` says. */
async function receiver(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void) {
  const bodies: string[] = [];
  let n = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      bodies.push(body);
      answer(++n, req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  servers.push(server);
  return { url, bodies };
}
const servers: ReturnType<typeof createServer>[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

const policy = { attempts: 3, backoffMs: 50, attemptTimeoutMs: 300, deadlineMs: 1500 };

describe('sending a notice', () => {
  it('retries a 5xx with backoff, and stops at the first success', async () => {
    const hook = await receiver((n, _req, res) => res.writeHead(n < 3 ? 503 : 200).end());
    expect(await sendNotice([hook.url], '{"text":"hi"}', policy)).toEqual([]);
    expect(hook.bodies).toEqual(['{"text":"hi"}', '{"text":"hi"}', '{"text":"hi"}']);
  });

  it('does not retry a 4xx; reports the webhook by position, never its URL', async () => {
    const hook = await receiver((_n, _req, res) => res.writeHead(404).end());
    const problems = await sendNotice([hook.url], '{}', policy);
    expect(problems).toEqual(['webhook 1 of settings.notify did not take the notice (HTTP 404)']);
    expect(hook.bodies).toHaveLength(1);
  });

  it('a dead or hanging webhook costs at most the deadline, and the others still get the notice', async () => {
    const dead = await receiver(() => undefined);
    servers.pop()!.close();
    const hanging = await receiver(() => undefined);
    const good = await receiver((_n, _req, res) => res.writeHead(200).end());
    const started = Date.now();
    const problems = await sendNotice([dead.url, hanging.url, good.url], '{}', policy);
    expect(Date.now() - started).toBeLessThan(policy.deadlineMs + 500);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^webhook 1 of settings.notify did not take the notice \(ECONNREFUSED\)$/);
    expect(problems[1]).toMatch(/^webhook 2 of settings.notify did not take the notice/);
    expect(good.bodies).toEqual(['{}']);
  });
});
