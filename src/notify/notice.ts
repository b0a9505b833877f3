import type { LoadedConfig } from '../load/assemble.js';
import type { ConfigFile, NotifyTarget } from '../schema/generated/config.js';

/** The webhooks every file of a config lists under `settings.notify`, in file order. */
export function notifyTargets(config: LoadedConfig): NotifyTarget[] {
  return config.documents.flatMap((doc) => {
    const list = (doc.value as Partial<ConfigFile> | null)?.settings?.notify;
    return Array.isArray(list) ? list.filter((t) => t && typeof t === 'object' && t.url) : [];
  });
}

/** What a webhook can be told about, as `settings.notify[].events` names it. */
export type NotifyEvent = NonNullable<NotifyTarget['events']>[number];

/**
 * One thing that happened, as data: what is sent is built from this alone (names, counts,
 * versions, commits), never from a resource's fields, so no secret value can be in it.
 */
export interface Notice {
  event: NotifyEvent;
  /** The cluster's admin URL. */
  cluster: string;
  target?: string;
  release?: number;
  /** For a rollback: the release returned to. */
  rolledBackTo?: number;
  desiredVersion?: string;
  commit?: string | null;
  summary?: { create: number; update: number; delete: number };
  by: string;
  at: string;
  /** A code and message, for failures and holds (already free of held values). */
  error?: { code: string; message: string };
  /** For canary-step, promoted and aborted: which canary, and where its rollout stands. */
  canary?: {
    route: string;
    /** The canary's service, module or both, as people read it (model/canary.ts canaryVersion). */
    service: string;
    step: number;
    steps: number;
    weight: number;
    reason?: string;
  };
}

/** Which of the configured webhooks want an event: those listing it, or listing no events. */
export function subscribersOf<T extends Pick<NotifyTarget, 'events'>>(targets: readonly T[], event: NotifyEvent): T[] {
  return targets.filter((t) => !t.events || t.events.includes(event));
}

const counts = (s: NonNullable<Notice['summary']>) => `${s.create} created, ${s.update} updated, ${s.delete} deleted`;

/** The one line a person reads (Slack's `text`). */
export function noticeText(n: Notice): string {
  const where = `${n.cluster}${n.target ? ` (target ${n.target})` : ''}`;
  const version = n.desiredVersion ? ` ${n.desiredVersion.slice(0, 19)}` : '';
  const commit = n.commit ? ` from commit ${n.commit.slice(0, 7)}` : '';
  const release = n.release !== undefined ? ` (release ${n.release})` : '';
  const changes = n.summary ? `: ${counts(n.summary)}` : '';
  const error = n.error ? `: ${n.error.code} ${n.error.message.split('\n')[0]}` : '';
  switch (n.event) {
    case 'applied':
      return `dgate-cli applied${version}${commit} to ${where}${release}${changes}, by ${n.by}`;
    case 'failed':
      return `dgate-cli apply to ${where} failed and was rolled back${error}, by ${n.by}`;
    case 'rolled-back':
      return `dgate-cli rolled ${where} back to release ${n.rolledBackTo}${release}${changes}, by ${n.by}`;
    case 'drift-found':
      return `dgate-cli found drift on ${where}${n.summary ? `: ${n.summary.create + n.summary.update + n.summary.delete} changes to put back` : ''}`;
    case 'drift-healed':
      return `dgate-cli healed drift on ${where}${release}${changes}`;
    case 'reconcile-held':
      return `dgate-cli reconcile holds ${where}${error}`;
    case 'canary-step':
      return n.canary
        ? `dgate-cli canary ${n.canary.route} → ${n.canary.service} on ${where}: step ${n.canary.step} of ${n.canary.steps}, weight ${n.canary.weight}%${release}`
        : `dgate-cli canary-step on ${where}${release}`;
    case 'promoted':
      return n.canary
        ? `dgate-cli promoted canary ${n.canary.route} → ${n.canary.service} on ${where}: 100% of requests${release}`
        : `dgate-cli promoted a canary on ${where}${release}`;
    case 'aborted':
      return n.canary
        ? `dgate-cli aborted canary ${n.canary.route} → ${n.canary.service} on ${where}${n.canary.reason ? `: ${n.canary.reason}` : ''}${n.rolledBackTo !== undefined ? `; back at release ${n.rolledBackTo}` : ''}`
        : `dgate-cli aborted a canary on ${where}${error}`;
    default:
      return `dgate-cli ${n.event} on ${where}${release}${changes}${error}`;
  }
}

/** The JSON body: Slack's `text`, and the notice's fields beside it for anything that parses it. */
export function noticeBody(n: Notice): Record<string, unknown> {
  return { text: noticeText(n), source: 'dgate-cli', ...n };
}
