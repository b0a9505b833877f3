import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** A request to `POST /hook`: its headers (names lower-case, as node:http gives them) and raw body. */
export interface HookRequest {
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

/** What the listener accepts: the shared secret (if any), where it listens, and the branch it follows. */
export interface HookPolicy {
  secret?: string | undefined;
  /** The listener is bound to a loopback address: only this host can reach it. */
  loopback: boolean;
  branch: string;
}

/** The answer to a hook request, and whether it starts a cycle. */
export interface HookVerdict {
  status: number;
  body: Record<string, string>;
  cycle: boolean;
}

/** The name of the environment variable that holds the hook secret. */
export const hookSecretEnv = 'DGATE_CLI_HOOK_SECRET';

function header(req: HookRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Equal, judged in time that does not depend on where they differ or how long the secret is. */
function sameSecret(given: string, secret: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/**
 * GitHub's `X-Hub-Signature-256`: `sha256=` and the hex HMAC-SHA256 of the raw body under the
 * webhook's secret (GitHub docs, "Validating webhook deliveries"), compared in constant time.
 */
export function verifyGithubSignature(body: Buffer, signature: string, secret: string): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`, 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** GitLab's `X-Gitlab-Token`: the secret token itself, compared in constant time. */
export function verifyGitlabToken(token: string, secret: string): boolean {
  return sameSecret(token, secret);
}

/** Whether an address a server is bound to is reachable only from this host. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.replace(/^\[|\]$/g, '').toLowerCase();
  return /^127\.\d+\.\d+\.\d+$/.test(a) || a === '::1' || /^::ffff:127\.\d+\.\d+\.\d+$/.test(a);
}

/** Who sent the request, by the headers forges set; and whether it is authentic. */
function authenticate(req: HookRequest, policy: HookPolicy): HookVerdict | undefined {
  if (policy.secret === undefined || policy.secret === '') {
    if (policy.loopback) return undefined;
    return {
      status: 403,
      body: {
        error: `POST /hook needs a secret when the listener is not on loopback: set $${hookSecretEnv}, and the same secret in the webhook`,
      },
      cycle: false,
    };
  }
  const unauthorized = (error: string): HookVerdict => ({ status: 401, body: { error }, cycle: false });
  const signature = header(req, 'x-hub-signature-256');
  if (signature !== undefined)
    return verifyGithubSignature(req.body, signature, policy.secret)
      ? undefined
      : unauthorized('X-Hub-Signature-256 does not match the body');
  const gitlab = header(req, 'x-gitlab-token');
  if (gitlab !== undefined)
    return verifyGitlabToken(gitlab, policy.secret) ? undefined : unauthorized('X-Gitlab-Token is not the secret');
  const authorization = header(req, 'authorization');
  if (authorization !== undefined)
    return sameSecret(authorization, `Bearer ${policy.secret}`)
      ? undefined
      : unauthorized('the Authorization: Bearer token is not the secret');
  return unauthorized(
    'sign the request: X-Hub-Signature-256 (GitHub), X-Gitlab-Token (GitLab) or Authorization: Bearer',
  );
}

/** The JSON payload of a push event: the body, or its `payload` field when GitHub sends it form-encoded. */
function payloadOf(req: HookRequest): unknown {
  const text = req.body.toString('utf8');
  if (text.trim() === '') return undefined;
  const type = header(req, 'content-type') ?? '';
  const json = type.startsWith('application/x-www-form-urlencoded') ? new URLSearchParams(text).get('payload') : text;
  try {
    return JSON.parse(json ?? '');
  } catch {
    return null;
  }
}

/**
 * The answer to `POST /hook`, as GitHub and GitLab push webhooks send it:
 * - authentic: signed by GitHub (`X-Hub-Signature-256`), carrying GitLab's `X-Gitlab-Token`, or
 *   `Authorization: Bearer` the secret; without a secret, only a listener on loopback takes hooks;
 * - a push to another branch (its `ref`), a GitHub or GitLab event that is not a push, and
 *   GitHub's `ping` are answered without starting a cycle;
 * - anything else authentic starts one (202).
 */
export function judgeHook(req: HookRequest, policy: HookPolicy): HookVerdict {
  const refused = authenticate(req, policy);
  if (refused) return refused;
  const ignored = (why: string): HookVerdict => ({ status: 200, body: { ignored: why }, cycle: false });
  const githubEvent = header(req, 'x-github-event');
  const gitlabEvent = header(req, 'x-gitlab-event');
  if (githubEvent === 'ping') return { status: 200, body: { pong: 'the hook is set up' }, cycle: false };
  if (githubEvent !== undefined && githubEvent !== 'push')
    return ignored(`GitHub event '${githubEvent}' is not a push`);
  if (gitlabEvent !== undefined && gitlabEvent !== 'Push Hook')
    return ignored(`GitLab event '${gitlabEvent}' is not a push`);
  const fromForge = githubEvent !== undefined || gitlabEvent !== undefined;
  const payload = payloadOf(req);
  const ref = (payload as { ref?: unknown } | null | undefined)?.ref;
  // A forge's push names its branch; a bare trigger (curl, a script) may carry no body at all.
  if (fromForge && typeof ref !== 'string')
    return { status: 400, body: { error: 'a push event whose JSON body has no ref' }, cycle: false };
  const followed = `refs/heads/${policy.branch}`;
  if (typeof ref === 'string' && ref !== followed) return ignored(`a push to ${ref}; following ${followed}`);
  return { status: 202, body: { cycle: 'started' }, cycle: true };
}
