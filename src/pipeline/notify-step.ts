import { currentActor } from '../cluster/releases.js';
import { heldSecrets } from '../io/held-secrets.js';
import { sendNotice, type SendPolicy } from '../io/notify-send.js';
import { resolveSecretRef } from '../io/secret-source.js';
import { type Notice, noticeBody, subscribersOf } from '../notify/notice.js';
import type { NotifyTarget } from '../schema/generated/config.js';

/** Tells the webhooks of `settings.notify` what happened; never throws, never waits past the send deadline. */
export type Notify = (notice: Omit<Notice, 'by' | 'at'>) => Promise<void>;

/**
 * A notifier for the webhooks a config (or a release) lists. URLs are resolved when first needed
 * and held (so no output of this process can print one); the body is built from the notice alone
 * and masked against every held value before it leaves. A webhook that cannot be resolved or
 * does not answer is a warning.
 */
export function createNotifier(
  targets: readonly NotifyTarget[] | undefined,
  opts: {
    root: string;
    identities: () => Promise<readonly string[]>;
    warn: (line: string) => void;
    policy?: SendPolicy;
  },
): Notify {
  const list = targets ?? [];
  const urls = new Map<NotifyTarget, Promise<string | undefined>>();
  const urlOf = (target: NotifyTarget) => {
    let url = urls.get(target);
    if (!url) {
      const index = list.indexOf(target) + 1;
      url = opts
        .identities()
        .then((identities) =>
          resolveSecretRef(target.url, {
            owner: `the URL of webhook ${index} of settings.notify`,
            root: opts.root,
            env: process.env,
            identities,
          }),
        )
        .then(
          (value) => {
            heldSecrets.add(value);
            return value;
          },
          (err: unknown) => {
            opts.warn(`no notice sent to webhook ${index} of settings.notify: ${(err as Error).message}`);
            return undefined;
          },
        );
      urls.set(target, url);
    }
    return url;
  };
  return async (partial) => {
    const wanted = subscribersOf(list, partial.event);
    if (wanted.length === 0) return;
    const notice: Notice = { ...partial, by: currentActor(process.env), at: new Date().toISOString() };
    const resolved = (await Promise.all(wanted.map(urlOf))).filter((u): u is string => u !== undefined);
    const payload = heldSecrets.redact(JSON.stringify(noticeBody(notice)));
    for (const problem of await sendNotice(resolved, payload, opts.policy)) opts.warn(problem);
  };
}
