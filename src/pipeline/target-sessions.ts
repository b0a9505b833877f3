import type { LiveRead } from '../model/api-types.js';
import type { AdminClient } from '../cluster/client.js';
import type { LoadedConfig } from '../load/assemble.js';
import type { Target } from '../select/targets.js';
import { startLiveRead } from './make-plan.js';
import { chooseTargets, connectionOf, connectTarget, type ConnectionFlags, type TargetFlags } from './target-choice.js';

interface Session {
  client: Promise<AdminClient>;
  liveRead: Promise<LiveRead>;
}

/**
 * Connections to the targets a command works on, opened (and their namespaces read) while the
 * config is still being checked. Nothing here throws early: a failure waits until the session is
 * used, so config errors are reported first. `close` closes whatever was opened.
 */
export class TargetSessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly flags: TargetFlags & ConnectionFlags,
    private readonly mode: 'read' | 'write',
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  /** Called with the loaded (not yet checked) config: start connecting and reading. */
  start(config: LoadedConfig, root: string): void {
    let targets: Target[];
    try {
      targets = chooseTargets(config, this.flags, this.mode);
    } catch {
      return;
    }
    for (const target of targets) this.open(target, config, root, targets.length);
  }

  private open(target: Target, config: LoadedConfig, root: string, chosenCount: number): Session {
    const client = (async () => connectTarget(target, connectionOf(target, this.flags, root, this.env, chosenCount)))();
    const liveRead = client.then((c) => startLiveRead(c, config));
    client.catch(() => undefined);
    liveRead.catch(() => undefined);
    const session = { client, liveRead };
    this.sessions.set(target.name, session);
    return session;
  }

  /** The session of a target, opened now if `start` did not (or opened it for a config since changed). */
  get(target: Target, config: LoadedConfig, root: string, chosenCount: number): Session {
    return this.sessions.get(target.name) ?? this.open(target, config, root, chosenCount);
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.client.then((c) => c.close()).catch(() => undefined)));
  }
}
