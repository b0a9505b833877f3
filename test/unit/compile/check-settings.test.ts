import { describe, expect, it } from 'vitest';
import { checkMemory } from './build.js';

const withZone = (zone: string) =>
  `version: v1\nsettings:\n  windows:\n    timeZone: ${zone}\n    allow: [{ from: "09:00", to: "17:00" }]\nnamespaces:\n  - name: shop\n`;

describe('settings checks', () => {
  it('refuses a time zone Intl does not know, at its line (DG1123)', () => {
    expect(checkMemory({ 'gw.yaml': withZone('Europe/Pariss') })).toEqual([
      {
        code: 'DG1123',
        severity: 'error',
        message:
          "settings.windows names the time zone 'Europe/Pariss', which is not an IANA time zone this Node.js knows",
        hint: 'use an IANA name such as Europe/Paris, America/New_York or UTC',
        location: { file: 'gw.yaml', line: 4, col: 15 },
      },
    ]);
  });

  it('takes IANA names and UTC', () => {
    expect(checkMemory({ 'gw.yaml': withZone('America/New_York') })).toEqual([]);
    expect(checkMemory({ 'gw.yaml': withZone('UTC') })).toEqual([]);
  });
});
