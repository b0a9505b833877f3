import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { createTwoFilesPatch } from 'diff';
import { load } from 'js-yaml';
import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { expandBundles, type BundleContent } from '../../bundles/expand.js';
import { BundleTrial, type TrialRequest } from '../../io/bundle-trial.js';
import { readBundle } from '../../cli/bundle-input.js';
import { checkConfig } from '../../compile/check.js';
import { armorDecoderFor } from '../../cli/config-input.js';
import { compileResources } from '../../compile/compile.js';
import { DgateError, errorsIn } from '../../errors/dgate-error.js';
import { renderDiagnostics } from '../../errors/render.js';
import { loadConfig } from '../../load/assemble.js';
import { canonicalJson } from '../../state/canonical-json.js';

export class BundleTestCommand extends BaseCommand {
  static override paths = [['bundle', 'test']];
  static override usage = Command.Usage({
    category: 'Bundles',
    description: "Compile a bundle's test cases and compare them with their golden output",
    details: `
      Each tests/CASE.yaml (\`with:\`, and optionally \`as:\` and \`namespace:\`, default test, and
      \`namespaces:\` for resources around the instance, as in a config) is
      expanded and compiled as an instance would be, and the resources are compared with
      tests/CASE.expected.json. \`--update\` writes the expected files from what compiles now
      (review the change before committing it).

      A case may also list \`requests:\` (method, path, headers, body, and \`expect:\` status,
      headers, json or body). Then the case is applied to a fresh local dgate-server and each
      request is sent through it. The string {{echo}} in \`with:\` and \`namespaces:\` stands for an upstream that
      answers every request with JSON describing it (method, url, headers, body).
      Request cases need a dgate-server (found as \`npm test\` finds one: DGATE_SERVER_BIN, the Go bin
      directory, PATH); \`--no-requests\` compares the golden output only, on a machine without one.
    `,
    examples: [
      ['Run the cases', '$0 bundle test bundles/cors'],
      ['Write the expected output after a change', '$0 bundle test bundles/cors --update'],
      ['Golden output only, where no dgate-server can run', '$0 bundle test bundles/cors --no-requests'],
    ],
  });

  dir = Option.String({ name: 'dir' });
  update = Option.Boolean('--update', false, { description: 'Write tests/CASE.expected.json from what compiles now' });
  requests = Option.Boolean('--requests', true, {
    description: "Send the cases' requests through a local dgate-server (--no-requests: golden output only)",
  });

  protected async run(): Promise<number> {
    const parsed = await readBundle(this.dir);
    const files = parsed.files;
    if (!parsed.content) {
      this.context.stderr.write(`${renderDiagnostics(parsed.diagnostics, this.errStyle)}\n`);
      throw new DgateError({
        code: 'DG1809',
        message: `${this.dir} is not a valid bundle`,
        hint: 'dgate-cli bundle lint shows what is wrong',
      });
    }
    const content = parsed.content;
    const cases = [...files.keys()].filter((rel) => /^tests\/[^/]+\.ya?ml$/.test(rel)).sort();
    if (cases.length === 0)
      throw new DgateError({
        code: 'DG0003',
        message: `${this.dir} has no test cases (tests/*.yaml)`,
        hint: 'add tests/basic.yaml with `with: { ... }`',
      });
    let failed = 0;
    for (const rel of cases) {
      const name = rel.replace(/^tests\//, '').replace(/\.ya?ml$/, '');
      const spec = (load(new TextDecoder().decode(files.get(rel)!)) ?? {}) as {
        with?: unknown;
        as?: string;
        namespace?: string;
        namespaces?: unknown;
        requests?: TrialRequest[];
      };
      const use = {
        use: `${content.manifest.name}@${content.manifest.version}`,
        as: spec.as ?? 'test',
        namespace: spec.namespace ?? 'test',
        with: withEcho(spec.with ?? {}, goldenEcho),
      };
      // A case may declare the resources around the instance (the service a route is given, say).
      const text = `version: v1\nbundles:\n  - ${JSON.stringify(use)}\n${spec.namespaces ? `namespaces: ${JSON.stringify(withEcho(spec.namespaces, goldenEcho))}\n` : ''}`;
      const loaded = loadConfig([{ path: path.join(this.dir, rel), rel, text }]);
      const expanded = expandBundles(loaded.config, [{ use: loaded.config.bundles[0]!, content }]);
      const diagnostics = [
        ...loaded.diagnostics,
        ...expanded.diagnostics,
        ...checkConfig(expanded.config, new Map(), await armorDecoderFor(expanded.config)),
      ];
      if (errorsIn(diagnostics).length > 0) {
        failed++;
        this.context.stdout.write(
          `${this.style.red('✗')} ${name}: does not compile\n${renderDiagnostics(diagnostics, this.style)}\n`,
        );
        continue;
      }
      const resources = compileResources(expanded.config, new Map());
      // Module sources as text, so that a change reads as a diff of code, not of base64.
      const readable = {
        ...resources,
        modules: resources.modules.map(({ payload, ...m }) => ({
          ...m,
          source: Buffer.from(payload, 'base64').toString('utf8'),
        })),
      };
      const actual = `${canonicalJson(readable, 2)}\n`;
      const expectedFile = path.join(this.dir, 'tests', `${name}.expected.json`);
      const sendRequests = Boolean(spec.requests?.length) && this.requests;
      const trial = sendRequests ? await this.runRequests(spec.requests!, use, content, text, rel) : [];
      if (trial.length > 0) {
        failed++;
        this.context.stdout.write(
          `${this.style.red('✗')} ${name}: against a real dgate-server\n${trial.map((p) => `    ${p}`).join('\n')}\n`,
        );
        continue;
      }
      const checked = sendRequests
        ? ` (${spec.requests!.length} requests answered as expected)`
        : spec.requests?.length
          ? ` (${spec.requests.length} requests not sent: --no-requests)`
          : '';
      if (this.update) {
        await writeFile(expectedFile, actual);
        this.context.stdout.write(`${this.style.green('✓')} ${name}: wrote tests/${name}.expected.json${checked}\n`);
        continue;
      }
      const expected = await readFile(expectedFile, 'utf8').catch(() => undefined);
      if (expected === actual) {
        this.context.stdout.write(`${this.style.green('✓')} ${name}${checked}\n`);
        continue;
      }
      failed++;
      const why =
        expected === undefined
          ? `tests/${name}.expected.json is missing (write it with --update)`
          : createTwoFilesPatch('expected', 'compiled', expected, actual, '', '', { context: 2 })
              .split('\n')
              .slice(2)
              .join('\n');
      this.context.stdout.write(`${this.style.red('✗')} ${name}: ${why}\n`);
    }
    if (failed > 0) {
      this.context.stderr.write(`${this.errStyle.red('✗')} ${failed} of ${cases.length} cases failed\n`);
      return ExitCode.ERROR;
    }
    return ExitCode.OK;
  }

  /**
   * Applies the case to a fresh dgate-server (with an echo upstream standing in for {{echo}}) and
   * sends its requests; returns what went wrong, one line each.
   */
  private async runRequests(
    requests: TrialRequest[],
    use: { as: string; namespace: string; with: unknown },
    content: BundleContent,
    goldenText: string,
    rel: string,
  ): Promise<string[]> {
    const trial = await BundleTrial.start((line) => this.context.stderr.write(`${line}\n`)).catch((err: unknown) => {
      if (err instanceof DgateError && err.code === 'DG0004') {
        throw new DgateError({
          code: 'DG0004',
          message: `${rel} sends requests, which need a dgate-server: ${err.message}`,
          hint: 'set DGATE_SERVER_BIN to a dgate-server binary, or run with --no-requests to compare the golden output only',
        });
      }
      throw err;
    });
    try {
      const text = goldenText.split(JSON.stringify(goldenEcho).slice(1, -1)).join(trial.echoUrl);
      const loaded = loadConfig([{ path: path.join(this.dir, rel), rel, text }]);
      const expanded = expandBundles(loaded.config, [{ use: loaded.config.bundles[0]!, content }]);
      const resources = compileResources(expanded.config, new Map());
      // The gateway answers only for a domain of the namespace: give the case one if it has none.
      if (!resources.domains.some((d) => d.namespace === use.namespace))
        resources.domains.push({ name: 'bundle-test', namespace: use.namespace, patterns: ['*'], priority: 0 });
      await trial.put(resources);
      const problems: string[] = [];
      for (const r of requests)
        for (const p of await trial.check(r)) problems.push(`${r.method ?? 'GET'} ${r.path}: ${p}`);
      return problems;
    } catch (err) {
      return [`could not run the case: ${(err as Error).message}`];
    } finally {
      await trial.stop();
    }
  }
}

/** What {{echo}} stands for in golden output: a fixed URL, so that the expected files are stable. */
const goldenEcho = 'http://echo.bundle-test';

/** Replaces {{echo}} in every string of a case's parameters and resources. */
function withEcho(value: unknown, url: string): unknown {
  if (typeof value === 'string') return value.split('{{echo}}').join(url);
  if (Array.isArray(value)) return value.map((v) => withEcho(v, url));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withEcho(v, url)]));
  return value;
}
