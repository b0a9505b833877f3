import { Command, Option } from 'clipanion';
import * as t from 'typanion';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { readBundle } from '../pipeline/bundle-input.js';
import { bundleManifestNames } from '../bundles/read.js';
import { errorsIn } from '../errors/dgate-error.js';
import { BaseCommand } from '../cli/base-command.js';
import { readCheckedConfig } from '../pipeline/read-config.js';
import { ExitCode } from '../cli/exit-codes.js';
import { pklEnvOption, pklOptionsFrom, pklTimeoutOption } from '../cli/pkl-flags.js';
import { renderConfigAsPkl } from '../convert/to-pkl.js';
import { renderConfigAsYaml } from '../convert/to-yaml.js';
import { plural } from '../errors/render.js';
import { assertNoConfigIn, copySupportFiles, listSupportFiles, writeFiles } from '../io/config-writer.js';
import { isPklSource } from '../load/parse-pkl.js';
import { valueNamed } from '../cli/value-names.js';

export class ConvertCommand extends BaseCommand {
  static override paths = [['convert']];
  static override usage = Command.Usage({
    description: 'Convert a config or a bundle from YAML to Pkl or from Pkl to YAML',
    details: `
      Checks the config, then writes each file in the other format to a new directory (default:
      SRC-pkl or SRC-yaml): every YAML document becomes a Pkl module that amends the dgate schema,
      every Pkl config module becomes the YAML it evaluates to. Files already in the target format
      and the files the config references (module sources, certificates, dgate-cli.lock) are
      copied. The result compiles to the same version. Comments and Pkl functions are not carried
      over: Pkl to YAML writes the values they produced.

      SRC may also be a bundle (a directory with bundle.yaml or bundle.pkl): its manifest and
      resource files are converted ({ param: NAME } and module.param("NAME") into each other), and
      its modules, test cases and README copied. The result passes the same \`bundle test\` cases.
    `,
    examples: [
      ['Convert examples/shop to Pkl in examples/shop-pkl', '$0 convert --to pkl examples/shop'],
      ['Convert a Pkl config to YAML in out/', '$0 convert --to yaml gateway --out out'],
      ['Convert a bundle to Pkl', '$0 convert --to pkl bundles/cors --out cors-pkl'],
    ],
  });

  to = valueNamed(
    'FORMAT',
    Option.String('--to', { required: true, description: 'pkl or yaml', validator: t.isEnum(['pkl', 'yaml']) }),
  );
  source = Option.String({ name: 'src' });
  out = valueNamed(
    'DIR',
    Option.String('--out,-o', {
      description: 'Directory to write (default: SRC-pkl or SRC-yaml); must not hold a config',
    }),
  );
  pklEnv = pklEnvOption();
  pklTimeout = pklTimeoutOption();

  protected async run(): Promise<number> {
    if (await isBundleDir(this.source)) return this.convertBundle();
    const checked = await readCheckedConfig(this.source, undefined, pklOptionsFrom(this.pklEnv, this.pklTimeout));
    if (this.reportDiagnostics(checked.diagnostics, this.source, 'converted')) return ExitCode.ERROR;
    const shownOut = this.out ?? `${this.source.replace(/\/+$/, '')}-${this.to}`;
    const outDir = path.resolve(shownOut);
    await assertNoConfigIn(outDir, shownOut);
    const files = new Map<string, string>();
    const sources = new Set(checked.input.sources);
    for (const source of checked.input.sources) {
      const isPkl = isPklSource(source);
      if (isPkl === (this.to === 'pkl')) {
        files.set(source.rel, source.text);
        continue;
      }
      const docs = checked.config.documents.filter((d) => d.source === source && sources.has(d.source));
      const base = source.rel.replace(/\.(ya?ml|pkl)$/i, '');
      docs.forEach((doc, i) => {
        const rel = `${base}${docs.length > 1 ? `-${i + 1}` : ''}.${this.to}`;
        const header = `Converted from ${source.rel} by dgate-cli convert.`;
        const value = doc.value as Record<string, unknown>;
        files.set(rel, this.to === 'pkl' ? renderConfigAsPkl(value, header) : renderConfigAsYaml(value, header));
      });
    }
    await writeFiles(outDir, files);
    const support = await listSupportFiles(checked.input.root);
    await copySupportFiles(checked.input.root, outDir, support);
    this.context.stdout.write(
      `${this.style.green('✓')} converted ${this.source} → ${shownOut} (${this.to}): ${plural(files.size, 'config file')}, ${plural(support.length, 'other file')} copied\n`,
    );
    return ExitCode.OK;
  }

  /** A bundle: manifest and resource files converted, everything else copied as it is. */
  private async convertBundle(): Promise<number> {
    const read = await readBundle(this.source);
    if (!read.content || errorsIn(read.diagnostics).length > 0) {
      this.reportDiagnostics(read.diagnostics, this.source, 'converted');
      return ExitCode.ERROR;
    }
    const { manifestDoc, resourceDocs } = read.content;
    const shownOut = this.out ?? `${this.source.replace(/\/+$/, '')}-${this.to}`;
    const outDir = path.resolve(shownOut);
    await assertNoConfigIn(outDir, shownOut);
    const files = new Map<string, string>();
    const converted = new Set<string>();
    for (const [doc, kind] of [
      [manifestDoc, 'bundle'],
      ...resourceDocs.map((d) => [d, 'bundleResources'] as const),
    ] as const) {
      const rel = doc.source.rel;
      converted.add(rel);
      const target = rel.replace(/\.(ya?ml|pkl)$/i, `.${this.to}`);
      const header = `Converted from ${rel} by dgate-cli convert.`;
      const value = doc.value as Record<string, unknown>;
      files.set(
        target,
        this.to === 'pkl' ? renderConfigAsPkl(value, header, kind) : renderConfigAsYaml(value, header, kind),
      );
    }
    // Pkl libraries the resource files imported are folded into the YAML; test cases stay YAML.
    const others = [...read.files.keys()]
      .filter(
        (rel) => !converted.has(rel) && !(this.to === 'yaml' && rel.endsWith('.pkl') && !rel.startsWith('tests/')),
      )
      .sort();
    await writeFiles(outDir, files);
    await copySupportFiles(path.resolve(this.source), outDir, others);
    this.context.stdout.write(
      `${this.style.green('✓')} converted bundle ${this.source} → ${shownOut} (${this.to}): ${plural(files.size, 'file')}, ${plural(others.length, 'other file')} copied\n`,
    );
    return ExitCode.OK;
  }
}

async function isBundleDir(dir: string): Promise<boolean> {
  const found = await Promise.all(
    bundleManifestNames.map((f) =>
      stat(path.join(dir, f)).then(
        (s) => s.isFile(),
        () => false,
      ),
    ),
  );
  return found.some(Boolean);
}
