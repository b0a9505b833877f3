import { Option } from 'clipanion';
import { defaultReleasesKept } from '../cluster/releases.js';
import { valueNamed } from './value-names.js';

/** The flags of every command that applies (apply, reconcile): one definition, so they never drift apart. */
export const selectTagOption = () =>
  valueNamed(
    'TAG',
    Option.Array('--select-tag', [], { description: 'Manage only resources carrying this tag (repeatable)' }),
  );

export const lockTimeoutOption = () =>
  valueNamed(
    'DURATION',
    Option.String('--lock-timeout', '0s', {
      description: 'How long to wait for another apply to this cluster to finish (default 0s: fail at once)',
    }),
  );

export const keepReleasesOption = () =>
  valueNamed(
    'N',
    Option.String('--keep-releases', String(defaultReleasesKept), {
      description: `How many releases the cluster keeps in its history (default ${defaultReleasesKept})`,
    }),
  );

export const targetOption = () =>
  valueNamed('NAME', Option.Array('--target', [], { description: 'Apply to this declared target (repeatable)' }));

export const allTargetsOption = () =>
  Option.Boolean('--all-targets', false, {
    description: 'Apply to every declared target, one after another',
  });

export const atOption = () =>
  valueNamed(
    'TIME',
    Option.String('--at', { description: 'Evaluate time-qualified tags at this RFC 3339 instant instead of now' }),
  );

export const refreshSecretsOption = () =>
  Option.Boolean('--refresh-secrets', false, {
    description: 'Send secret values that cannot be compared (no $DGATE_CLI_HASH_KEY) again',
  });

export const refreshOption = () =>
  Option.Boolean('--refresh', false, {
    description:
      'Write again what cannot be compared: secret values, and documents of private collections (which DGate never returns)',
  });

export const allowProtectedOption = () =>
  Option.Boolean('--allow-protected', false, {
    description:
      'Let this run delete or recreate protected resources (protect: true, settings.protect); the release records it',
  });

export const allowMassDeleteOption = () =>
  Option.Boolean('--allow-mass-delete', false, {
    description: 'Let this run delete more than settings.maxDeletes (default 25%); the release records it',
  });

export const overrideWindowOption = () =>
  valueNamed(
    'REASON',
    Option.String('--override-window', {
      description: 'Apply outside settings.windows this once, for this reason (recorded in the release)',
    }),
  );
