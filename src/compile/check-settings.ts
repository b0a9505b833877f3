import type { LoadedConfig } from '../load/assemble.js';
import type { ConfigFile } from '../schema/generated/config.js';
import type { Report } from './check-report.js';

/** Whether Intl (Node's ICU data) knows a time zone: an IANA name such as Europe/Paris, or UTC. */
export function isKnownTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** The settings the schema cannot judge: the change windows' time zone. */
export function checkSettings(config: LoadedConfig, report: Report): void {
  for (const doc of config.documents) {
    const zone = (doc.value as Partial<ConfigFile> | null)?.settings?.windows?.timeZone;
    if (typeof zone === 'string' && zone !== '' && !isKnownTimeZone(zone))
      report(
        'DG1123',
        { doc, path: ['settings', 'windows'] },
        ['timeZone'],
        `settings.windows names the time zone '${zone}', which is not an IANA time zone this Node.js knows`,
        'use an IANA name such as Europe/Paris, America/New_York or UTC',
      );
  }
}
