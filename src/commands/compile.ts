import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../cli/base-command.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { pklEnvOption, pklOptionsFrom, pklTimeoutOption } from '../cli/pkl-flags.js';
import { toolVersion } from '../cli/tool-version.js';
import { compileTarget } from '../compile/compile.js';
import { chooseTargets, evaluationInstant } from '../pipeline/target-choice.js';
import type { DesiredState } from '../schema/generated/desired-state.js';
import { DgateError } from '../errors/dgate-error.js';
import { plural } from '../errors/render.js';
import { readGitInfo } from '../io/git.js';
import { kindOrder } from '../model/registry.js';
import { canonicalJson } from '../state/canonical-json.js';
import { valueNamed } from '../cli/value-names.js';

export class CompileCommand extends BaseCommand {
  static override paths = [['compile']];
  static override usage = Command.Usage({
    description: 'Compile a config into its versioned desired state (canonical JSON)',
    details: `
      Validates the config, then writes every resource in the form the DGate admin API takes:
      module sources base64-encoded, durations in nanoseconds, server defaults filled in, sorted.
      \`version\` is a sha256 over the resources alone, so reordering or reformatting files does
      not change it; \`metadata\` records the git commit (and whether the config directory is
      dirty) and the dgate-cli version. Secret values never appear: only where they come from.
      Compiling the same input twice gives byte-identical output.

      When the config declares \`targets:\`, each target gets its own desired state: the resources
      whose tag selectors its server tags satisfy, at the instant \`--at\` (default now; recorded
      in the state when time tags make it matter). \`--target\` picks targets; with several, the
      states go to \`--out-dir\` as NAME.json, or to stdout as one JSON object keyed by target.
    `,
    examples: [
      ['Print the desired state of the current directory', '$0 compile'],
      ['Write it to a file', '$0 compile examples/shop --out state.json'],
      [
        'One target, as it will be on launch day',
        '$0 compile examples/regions --target eu-prod --at 2026-12-01T00:00:00Z',
      ],
      ['Every target, one file each', '$0 compile examples/regions --out-dir build/'],
    ],
  });

  configPath = Option.String({ required: false, name: 'path' });
  out = valueNamed(
    'FILE',
    Option.String('--out,-o', { description: 'Write the desired state to this file instead of stdout (one target)' }),
  );
  outDir = valueNamed(
    'DIR',
    Option.String('--out-dir', { description: 'Write one desired state per target to DIR/NAME.json' }),
  );
  target = valueNamed(
    'NAME',
    Option.Array('--target', [], {
      description: 'Compile for this target (repeatable; default: every declared target)',
    }),
  );
  allTargets = Option.Boolean('--all-targets', false, {
    description: 'Compile for every declared target (the default)',
  });
  at = valueNamed(
    'TIME',
    Option.String('--at', { description: 'Evaluate time-qualified tags at this RFC 3339 instant instead of now' }),
  );
  pklEnv = pklEnvOption();
  pklTimeout = pklTimeoutOption();

  protected async run(): Promise<number> {
    const target = this.configPath ?? '.';
    const checked = await readCheckedConfig(target, undefined, pklOptionsFrom(this.pklEnv, this.pklTimeout));
    if (this.reportDiagnostics(checked.diagnostics, target, 'compiled')) return ExitCode.ERROR;
    const at = evaluationInstant(this.at);
    const targets = chooseTargets(checked.config, { target: this.target, allTargets: this.allTargets }, 'read');
    if (this.out && this.outDir)
      throw new DgateError({
        code: 'DG0001',
        message: '--out and --out-dir exclude each other',
        hint: '--out for one target, --out-dir for several',
      });
    if (this.out && targets.length > 1) {
      throw new DgateError({
        code: 'DG1708',
        message: `--out takes one desired state, and ${targets.length} targets are chosen`,
        hint: 'use --out-dir DIR for one file per target, or pick one with --target NAME',
      });
    }
    const git = await readGitInfo(checked.input.root);
    const states: DesiredState[] = [];
    for (const t of targets) {
      const compiled = compileTarget(
        checked.config,
        checked.files,
        { tool: { name: 'dgate-cli', version: toolVersion() }, git },
        t,
        at,
        checked.bundles,
      );
      if (this.reportDiagnostics(compiled.diagnostics, target, 'compiled') || !compiled.state) return ExitCode.ERROR;
      states.push(compiled.state);
    }
    if (this.outDir) {
      await mkdir(this.outDir, { recursive: true }).catch(() => undefined);
      for (const state of states)
        await this.write(path.join(this.outDir, `${state.target?.name ?? 'default'}.json`), state, target);
      return ExitCode.OK;
    }
    if (this.out) {
      await this.write(this.out, states[0]!, target);
      return ExitCode.OK;
    }
    const single = states.length === 1 && targets.length === 1 && !this.allTargets;
    this.context.stdout.write(
      canonicalJson(single ? states[0] : Object.fromEntries(states.map((s) => [s.target?.name ?? 'default', s])), 2) +
        '\n',
    );
    return ExitCode.OK;
  }

  private async write(file: string, state: DesiredState, source: string): Promise<void> {
    try {
      await writeFile(file, `${canonicalJson(state, 2)}\n`);
    } catch (err) {
      throw new DgateError({
        code: 'DG0005',
        message: `cannot write '${file}': ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        hint: 'check that the directory exists and is writable',
        cause: err,
      });
    }
    const count = kindOrder.reduce((n, k) => n + state.resources[k].length, 0);
    const forTarget = state.target ? ` for target ${state.target.name}` : '';
    this.context.stderr.write(
      `${this.errStyle.green('✓')} compiled ${source}${forTarget} → ${file}: ${plural(count, 'resource')}, version ${state.version}\n`,
    );
  }
}
