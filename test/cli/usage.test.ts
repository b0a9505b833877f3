import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dgateCli, repoRoot } from '../harness/cli.js';

/** Every command's words, read from the build (clipanion loads under Node, not under vitest's resolver). */
const commandPaths: string[][] = JSON.parse(
  execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const { commandTable } = await import(${JSON.stringify(path.join(repoRoot, 'dist/main.js'))}); console.log(JSON.stringify(commandTable.map((c) => c.path)));`,
    ],
    { encoding: 'utf8' },
  ),
);

describe('usage lines', () => {
  it.concurrent.each(commandPaths.map((p) => [p.join(' '), p] as const))(
    '%s --help names every option value (no #0)',
    async (_, words) => {
      const result = await dgateCli([...words, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`$ dgate-cli ${words.join(' ')}`);
      expect(result.stdout).not.toMatch(/#\d/);
    },
  );

  it('shows the value names in help and in the usage an error lists', async () => {
    const help = await dgateCli(['plan', '--help']);
    expect(help.stdout).toMatch(/^ {2}--admin URL +Admin API URL/m);
    expect(help.stdout).toMatch(/^ {2}--out,-o FILE +Save the plan/m);
    // Too many arguments: clipanion lists the command's usage line.
    const mistake = await dgateCli(['plan', 'one', 'two']);
    expect(mistake.code).toBe(1);
    expect(mistake.stderr).toContain('[--admin URL] [--ca-file FILE] [--timeout DURATION]');
    expect(mistake.stderr).not.toMatch(/#\d/);
  });
});
