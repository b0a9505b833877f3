import { Option } from 'clipanion';
import { AdminClient, clientOptionsFrom } from '../cluster/client.js';
import { BaseCommand } from './base-command.js';

/** A command that talks to a DGate cluster: the connection options, and a client built from them. */
export abstract class ClusterCommand extends BaseCommand {
  admin = Option.String('--admin', {
    description: 'Admin API URL of any node (default: $DGATE_ADMIN_URL, else http://127.0.0.1:9080); credentials come from $DGATE_ADMIN_KEY or $DGATE_ADMIN_USER/$DGATE_ADMIN_PASSWORD',
  });
  caFile = Option.String('--ca-file', { description: 'PEM file of the CA that signed the admin API certificate (TLS is always verified)' });
  timeout = Option.String('--timeout', { description: 'Per-request timeout, e.g. 30s (default) or 500ms' });

  protected createClient(): AdminClient {
    return new AdminClient(clientOptionsFrom({ admin: this.admin, caFile: this.caFile, timeout: this.timeout }, process.env));
  }
}
