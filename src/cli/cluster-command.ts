import { Option } from 'clipanion';
import { AdminClient, clientOptionsFrom } from '../cluster/client.js';
import { BaseCommand } from './base-command.js';
import { parseFlagDuration } from './flag-duration.js';

/** A command that talks to a DGate cluster: the connection options, and a client built from them. */
export abstract class ClusterCommand extends BaseCommand {
  admin = Option.String('--admin', {
    description: 'Admin API URL of any node (default: $DGATE_ADMIN_URL, else http://127.0.0.1:9080); credentials come from $DGATE_ADMIN_KEY or $DGATE_ADMIN_USER/$DGATE_ADMIN_PASSWORD',
  });
  caFile = Option.String('--ca-file', { description: 'PEM file of the CA that signed the admin API certificate (TLS is always verified)' });
  timeout = Option.String('--timeout', { description: 'Per-request timeout, e.g. 30s (default) or 500ms' });

  /**
   * The client an apply works through: the given node, or, when that is a raft follower, the
   * leader it names (reads there see every committed write at once).
   */
  protected async writerClient(client: AdminClient): Promise<AdminClient> {
    const leader = await client.leaderUrl();
    if (!leader || leader === client.baseUrl) return client;
    this.context.stdout.write(this.style.dim(`${client.baseUrl} is a raft follower; working through the leader at ${leader}\n`));
    return new AdminClient({ ...client.options, baseUrl: leader });
  }

  protected createClient(): AdminClient {
    const timeoutMs = this.timeout === undefined ? undefined : parseFlagDuration(this.timeout, '--timeout');
    return new AdminClient(clientOptionsFrom({ admin: this.admin, caFile: this.caFile, timeoutMs }, process.env));
  }
}
