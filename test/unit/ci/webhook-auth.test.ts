import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  isLoopbackAddress,
  judgeHook,
  verifyGithubSignature,
  verifyGitlabToken,
} from '../../../src/ci/webhook-auth.js';

const secret = 'hook-secret-value';
const sign = (body: string, key = secret) => `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
const push = (ref: string) => JSON.stringify({ ref, after: 'abc' });
const req = (headers: Record<string, string>, body = '') => ({ headers, body: Buffer.from(body) });
const policy = { secret, loopback: false, branch: 'main' };

describe('push webhooks', () => {
  it("verifies GitHub's X-Hub-Signature-256 with the example GitHub documents", () => {
    // GitHub docs, "Validating webhook deliveries": this secret and payload give this signature.
    const body = Buffer.from('Hello, World!');
    const documented = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifyGithubSignature(body, documented, "It's a Secret to Everybody")).toBe(true);
    expect(verifyGithubSignature(body, documented, 'another secret')).toBe(false);
    expect(verifyGithubSignature(Buffer.from('Hello, World?'), documented, "It's a Secret to Everybody")).toBe(false);
    expect(verifyGithubSignature(body, documented.slice(0, -1), "It's a Secret to Everybody")).toBe(false);
    expect(verifyGithubSignature(body, documented.replace('sha256=', 'sha1='), "It's a Secret to Everybody")).toBe(
      false,
    );
  });

  it("verifies GitLab's X-Gitlab-Token", () => {
    expect(verifyGitlabToken(secret, secret)).toBe(true);
    expect(verifyGitlabToken(`${secret}x`, secret)).toBe(false);
    expect(verifyGitlabToken('', secret)).toBe(false);
  });

  it('a signed GitHub push to the followed branch starts a cycle; to another branch it is ignored', () => {
    const body = push('refs/heads/main');
    expect(judgeHook(req({ 'x-github-event': 'push', 'x-hub-signature-256': sign(body) }, body), policy)).toEqual({
      status: 202,
      body: { cycle: 'started' },
      cycle: true,
    });
    const other = push('refs/heads/feature');
    expect(judgeHook(req({ 'x-github-event': 'push', 'x-hub-signature-256': sign(other) }, other), policy)).toEqual({
      status: 200,
      body: { ignored: 'a push to refs/heads/feature; following refs/heads/main' },
      cycle: false,
    });
    const tag = push('refs/tags/main');
    expect(judgeHook(req({ 'x-github-event': 'push', 'x-hub-signature-256': sign(tag) }, tag), policy).cycle).toBe(
      false,
    );
  });

  it('GitHub form-encoded deliveries are read from their payload field, the signature over the raw body', () => {
    const body = `payload=${encodeURIComponent(push('refs/heads/main'))}`;
    const headers = {
      'x-github-event': 'push',
      'content-type': 'application/x-www-form-urlencoded',
      'x-hub-signature-256': sign(body),
    };
    expect(judgeHook(req(headers, body), policy).status).toBe(202);
  });

  it('a bad or missing signature is 401, and so is a signature made with another secret', () => {
    const body = push('refs/heads/main');
    expect(
      judgeHook(req({ 'x-github-event': 'push', 'x-hub-signature-256': sign(body, 'nope') }, body), policy),
    ).toEqual({ status: 401, body: { error: 'X-Hub-Signature-256 does not match the body' }, cycle: false });
    expect(
      judgeHook(req({ 'x-github-event': 'push', 'x-hub-signature-256': sign(body) }, `${body} `), policy).status,
    ).toBe(401);
    expect(judgeHook(req({ 'x-github-event': 'push' }, body), policy).status).toBe(401);
  });

  it("GitHub's ping and other events never start a cycle", () => {
    const body = '{"zen":"Keep it logically awesome."}';
    expect(judgeHook(req({ 'x-github-event': 'ping', 'x-hub-signature-256': sign(body) }, body), policy)).toEqual({
      status: 200,
      body: { pong: 'the hook is set up' },
      cycle: false,
    });
    expect(
      judgeHook(req({ 'x-github-event': 'issues', 'x-hub-signature-256': sign(body) }, body), policy).body,
    ).toEqual({ ignored: "GitHub event 'issues' is not a push" });
  });

  it('GitLab: the token, the Push Hook event, and its ref', () => {
    const body = push('refs/heads/main');
    expect(judgeHook(req({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret }, body), policy).status).toBe(202);
    expect(judgeHook(req({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': 'wrong' }, body), policy)).toEqual({
      status: 401,
      body: { error: 'X-Gitlab-Token is not the secret' },
      cycle: false,
    });
    const other = push('refs/heads/dev');
    expect(judgeHook(req({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret }, other), policy).cycle).toBe(
      false,
    );
    expect(
      judgeHook(req({ 'x-gitlab-event': 'Merge Request Hook', 'x-gitlab-token': secret }, body), policy).body,
    ).toEqual({ ignored: "GitLab event 'Merge Request Hook' is not a push" });
    expect(judgeHook(req({ 'x-gitlab-event': 'Push Hook', 'x-gitlab-token': secret }, 'not json'), policy).status).toBe(
      400,
    );
  });

  it('a bearer token equal to the secret still works, with or without a body', () => {
    expect(judgeHook(req({ authorization: `Bearer ${secret}` }), policy).status).toBe(202);
    expect(judgeHook(req({ authorization: 'Bearer nope' }), policy).status).toBe(401);
  });

  it('without a secret, /hook is refused unless the listener is on loopback', () => {
    expect(judgeHook(req({}), { branch: 'main', loopback: false })).toEqual({
      status: 403,
      body: {
        error:
          'POST /hook needs a secret when the listener is not on loopback: set $DGATE_CLI_HOOK_SECRET, and the same secret in the webhook',
      },
      cycle: false,
    });
    expect(judgeHook(req({}), { branch: 'main', loopback: true, secret: '' }).status).toBe(202);
    // Branches are still told apart on loopback.
    const body = push('refs/heads/other');
    expect(judgeHook(req({ 'x-github-event': 'push' }, body), { branch: 'main', loopback: true }).cycle).toBe(false);
  });

  it('loopback addresses', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(a)).toBe(true);
    for (const a of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::ffff:10.0.0.1'])
      expect(isLoopbackAddress(a)).toBe(false);
  });
});
