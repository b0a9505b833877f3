import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { createTwoFilesPatch } from 'diff';
import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { expandBundles, type BundleContent } from '../../bundles/expand.js';
import {
  goldenEcho,
  parseTestCase,
  testCaseConfig,
  testCaseUse,
  type ParsedTestCase,
} from '../../bundles/test-case.js';
import { BundleTrial, type TrialRequest } from '../../io/bundle-trial.js';
import { readBundle } from '../../pipeline/bundle-input.js';
import { checkConfig } from '../../compile/check.js';
import { expandModuleCanaries } from '../../compile/module-canaries.js';
import { armorDecoderFor } from '../../pipeline/read-config.js';
import { compileResources } from '../../compile/compile.js';
import { type Diagnostic, DgateError, errorsIn } from '../../errors/dgate-error.js';
import { type LoadedConfig, loadConfig } from '../../load/assemble.js';
import type { ParsedDocument } from '../../load/parse-yaml.js';
import { renderDiagnosticsReport } from '../../report/diagnostics.js';
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
      this.context.stderr.write(renderDiagnosticsReport({ diagnostics: parsed.diagnostics }, this.errStyle));
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
      const read = parseTestCase({
        path: path.join(this.dir, rel),
        rel,
        text: new TextDecoder().decode(files.get(rel)!),
      });
      if (!read.testCase) {
        failed++;
        this.context.stdout.write(
          `${this.style.red('✗')} ${name}: is not a valid test case\n${renderDiagnosticsReport({ diagnostics: read.diagnostics }, this.style)}`,
        );
        continue;
      }
      const testCase = read.testCase;
      const spec = testCase.spec;
      // A case may declare the resources around the instance (the service a route is given, say).
      const loaded = loadCase(testCase, testCaseConfig(testCase, content.manifest, goldenEcho));
      const expanded = expandCase(loaded.config, content);
      const diagnostics = [
        ...loaded.diagnostics,
        ...expanded.diagnostics,
        ...checkConfig(expanded.config, new Map(), await armorDecoderFor(expanded.config)),
      ];
      if (errorsIn(diagnostics).length > 0) {
        failed++;
        this.context.stdout.write(
          `${this.style.red('✗')} ${name}: does not compile\n${renderDiagnosticsReport({ diagnostics }, this.style)}`,
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
      const trial = sendRequests ? await this.runRequests(spec.requests!, testCase, content) : [];
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
    testCase: ParsedTestCase,
    content: BundleContent,
  ): Promise<string[]> {
    const rel = testCase.source.rel;
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
      const loaded = loadCase(testCase, testCaseConfig(testCase, content.manifest, trial.echoUrl));
      const resources = compileResources(expandCase(loaded.config, content).config, new Map());
      // The gateway answers only for a domain of the namespace: give the case one if it has none.
      const { namespace } = testCaseUse(testCase, content.manifest, trial.echoUrl);
      if (!resources.domains.some((d) => d.namespace === namespace))
        resources.domains.push({ name: 'bundle-test', namespace, patterns: ['*'], priority: 0 });
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

/** Loads the config a case stands for, made by testCaseConfig, as the case's file. */
/** A case's config with its bundle instance expanded, and module canaries on their routes, as read-config does. */
function expandCase(config: LoadedConfig, content: BundleContent): { config: LoadedConfig; diagnostics: Diagnostic[] } {
  const expanded = expandBundles(config, [{ use: config.bundles[0]!, content }]);
  const canaries = expandModuleCanaries(expanded.config);
  return { config: canaries.config, diagnostics: [...expanded.diagnostics, ...canaries.diagnostics] };
}

function loadCase(testCase: ParsedTestCase, config: ParsedDocument) {
  return loadConfig([testCase.source], new Map([[testCase.source.rel, { documents: [config], diagnostics: [] }]]));
}
