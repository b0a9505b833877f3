import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../../cli/base-command.js';
import { bundleDirOf } from '../../pipeline/bundle-input.js';
import { ExitCode } from '../../cli/exit-codes.js';
import {
  integrityOf,
  lockFormat,
  newestSatisfying,
  parseUse,
  satisfies,
  sourceOf,
  validRange,
  type LockEntry,
  type LockFile,
} from '../../bundles/lockfile.js';
import { readBundle } from '../../pipeline/bundle-input.js';
import { DgateError } from '../../errors/dgate-error.js';
import { renderDiagnosticsReport } from '../../report/diagnostics.js';
import { gitVersions, isGitSource, readLock, vendorGitTag, writeLock } from '../../io/bundle-store.js';
import { readConfigSources } from '../../io/files.js';
import { readPklDocuments } from '../../pipeline/pkl-input.js';
import { loadConfig, locationOf, type Declared } from '../../load/assemble.js';
import type { BundleUse } from '../../schema/generated/config.js';
import { valueNamed } from '../../cli/value-names.js';

/** Where git bundles are vendored, under the config root (hidden, so not read as config). */
export const vendorDir = '.bundles';

export class BundleUpdateCommand extends BaseCommand {
  static override paths = [['bundle', 'update']];
  static override usage = Command.Usage({
    category: 'Bundles',
    description: 'Resolve the bundles a config uses and write dgate-cli.lock',
    details: `
      For every \`bundles:\` entry (or the instances named), finds the newest version its range
      allows: the bundle shipped with dgate-cli, a local directory's bundle.yaml, or the newest
      semver tag of a git repository (whose tree is copied to .bundles/NAME@VERSION, to commit
      with the config). Records range, source, version, commit and a hash of the content in
      dgate-cli.lock. validate, compile, plan and apply read only the lock and the content it
      pins, never the network, and refuse content whose hash differs.
    `,
    examples: [
      ['Resolve every bundle of the current directory', '$0 bundle update'],
      ['Move one instance to the newest version its range allows', '$0 bundle update shop-auth --config config/'],
    ],
  });

  names = Option.Rest({ name: 'instance' });
  configPath = valueNamed(
    'PATH',
    Option.String('--config,-c', '.', { description: 'The config directory or file (default: .)' }),
  );

  protected async run(): Promise<number> {
    const input = await readConfigSources(this.configPath);
    // Bundle uses written in Pkl modules count too.
    const evaluated = await readPklDocuments(input);
    const loaded = loadConfig(input.sources, evaluated.parsed);
    const { config } = loaded;
    const diagnostics = [...input.diagnostics, ...evaluated.diagnostics, ...loaded.diagnostics];
    const errors = diagnostics.filter((d) => d.severity === 'error');
    if (errors.length > 0) {
      this.context.stderr.write(renderDiagnosticsReport({ diagnostics: errors }, this.errStyle));
      throw new DgateError({
        code: 'DG1809',
        message: `the config at '${this.configPath}' has errors; fix them before resolving its bundles`,
        hint: 'dgate-cli validate shows them',
      });
    }
    const uses = config.bundles.filter((b) => b.valid);
    const unknown = this.names.filter((n) => !uses.some((u) => u.spec.as === n));
    if (unknown.length > 0) {
      throw new DgateError({
        code: 'DG0001',
        message: `no bundle instance named ${unknown.join(', ')} in '${this.configPath}'`,
        hint: `instances: ${uses.map((u) => u.spec.as).join(', ') || '(none)'}`,
      });
    }
    const old = (await readLock(input.root)) ?? { format: lockFormat, bundles: {} };
    const lock: LockFile = { format: lockFormat, bundles: {} };
    for (const use of uses) {
      const keep = this.names.length > 0 && !this.names.includes(use.spec.as) ? old.bundles[use.spec.as] : undefined;
      const entry =
        keep && keep.use === use.spec.use && keep.source === sourceOf(use.spec)
          ? keep
          : await this.resolve(use, input.root);
      lock.bundles[use.spec.as] = entry;
      const was = old.bundles[use.spec.as];
      const change = !was
        ? 'added'
        : was.version !== entry.version
          ? `was ${was.version}`
          : was.integrity !== entry.integrity
            ? 'content changed'
            : 'unchanged';
      this.context.stdout.write(
        `${use.spec.as}: ${use.spec.use} → ${entry.version} from ${entry.source}${entry.commit ? ` (${entry.commit.slice(0, 12)})` : ''} · ${change}\n`,
      );
    }
    await writeLock(input.root, lock);
    await this.pruneVendored(input.root, lock);
    this.context.stdout.write(
      `${this.style.green('✓')} wrote ${path.join(path.relative(process.cwd(), input.root) || '.', 'dgate-cli.lock')}\n`,
    );
    return ExitCode.OK;
  }

  private async resolve(use: Declared<BundleUse>, root: string): Promise<LockEntry> {
    const { name, range } = parseUse(use.spec.use);
    const at = locationOf(use.origin);
    const fail = (code: 'DG1808' | 'DG1809', message: string, hint: string): never => {
      throw new DgateError({ code, message, hint, location: at });
    };
    if (!validRange(range))
      fail(
        'DG1809',
        `'${range}' in ${use.spec.use} is not a semver range`,
        'write a range such as ^1.2, ~1.2.3, >=1 <3 or an exact 1.2.3',
      );
    const source = sourceOf(use.spec);
    let dir: string;
    let commit: string | null = null;
    let vendored: string | undefined;
    let version: string;
    if (isGitSource(source)) {
      const versions = await gitVersions(source);
      const chosen = newestSatisfying([...versions.keys()], range);
      if (!chosen)
        fail(
          'DG1808',
          `${source} has no tag satisfying ${range} (versions: ${[...versions.keys()].join(', ') || 'none'})`,
          'tag a release (git tag v1.2.3) or widen the range',
        );
      version = chosen!;
      vendored = `${vendorDir}/${name}@${version}`;
      dir = path.join(root, vendored);
      commit = await vendorGitTag(source, versions.get(version)!, dir);
    } else {
      dir = bundleDirOf(use, {}, root);
      version = '';
    }
    const parsed = await readBundle(dir);
    const files = parsed.files;
    if (!parsed.content) {
      this.context.stderr.write(renderDiagnosticsReport({ diagnostics: parsed.diagnostics }, this.errStyle));
      fail('DG1809', `${dir} is not a valid bundle`, 'fix the problems above');
    }
    const manifest = parsed.content!.manifest;
    if (manifest.name !== name)
      fail(
        'DG1809',
        `${dir} holds bundle '${manifest.name}', and the config uses '${name}'`,
        'fix the name in `use:` or the source',
      );
    // A range that excludes this dgate-cli: resolving it is fine (another runner may use it), using it is refused.
    if (isGitSource(source) && manifest.version !== version)
      fail(
        'DG1809',
        `tag ${version} of ${source} holds a manifest of version ${manifest.version}`,
        'tags and manifest versions must agree: fix bundle.yaml (or bundle.pkl) and tag again',
      );
    if (!isGitSource(source)) {
      version = manifest.version;
      if (!satisfies(version, range))
        fail(
          'DG1808',
          `${source === 'builtin' ? 'dgate-cli ships' : `${source} holds`} ${name}@${version}, outside ${range}`,
          source === 'builtin'
            ? 'widen the range, or use a source that has the version you need'
            : 'widen the range, or update the directory',
        );
    }
    return {
      use: use.spec.use,
      source,
      version,
      commit,
      integrity: integrityOf(files),
      ...(vendored ? { vendored } : {}),
    };
  }

  /** Vendored copies no lock entry points at any more are removed. */
  private async pruneVendored(root: string, lock: LockFile): Promise<void> {
    const kept = new Set(
      Object.values(lock.bundles)
        .map((e) => e.vendored)
        .filter(Boolean),
    );
    const entries = await readdir(path.join(root, vendorDir)).catch(() => [] as string[]);
    for (const e of entries)
      if (!kept.has(`${vendorDir}/${e}`)) await rm(path.join(root, vendorDir, e), { recursive: true, force: true });
  }
}
