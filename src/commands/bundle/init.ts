import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command, Option } from 'clipanion';
import { BaseCommand } from '../../cli/base-command.js';
import { ExitCode } from '../../cli/exit-codes.js';
import { DgateError } from '../../errors/dgate-error.js';
import { valueNamed } from '../../cli/value-names.js';

export class BundleInitCommand extends BaseCommand {
  static override paths = [['bundle', 'init']];
  static override usage = Command.Usage({
    category: 'Bundles',
    description: 'Scaffold a new bundle: manifest, resources, a module, a test case and a README',
    details: `
      Creates DIR (default: NAME) with bundle.yaml (version 0.1.0, one parameter), resources.yaml
      (a route and a module), modules/hello.ts, tests/basic.yaml (a case for \`bundle test\`) and a
      README. With \`--format pkl\`, the manifest and resources are bundle.pkl and resources.pkl.
      It lints clean straight away. Refuses to write into a directory that exists.
    `,
    examples: [
      ['A new bundle', '$0 bundle init greeting'],
      ['A new bundle written in Pkl', '$0 bundle init greeting --format pkl'],
    ],
  });

  name = Option.String({ name: 'name' });
  dir = Option.String({ required: false, name: 'dir' });
  format = valueNamed(
    'FORMAT',
    Option.String('--format', 'yaml', {
      description: 'yaml (default) or pkl: the language of the manifest and resource files',
    }),
  );

  protected async run(): Promise<number> {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(this.name)) {
      throw new DgateError({
        code: 'DG0001',
        message: `'${this.name}' is not a bundle name`,
        hint: 'use lower-case letters, digits and -, e.g. rate-limit',
      });
    }
    if (this.format !== 'yaml' && this.format !== 'pkl') {
      throw new DgateError({
        code: 'DG0001',
        message: `--format '${this.format}' is not a bundle format`,
        hint: 'use --format yaml or --format pkl',
      });
    }
    const dir = this.dir ?? this.name;
    try {
      await mkdir(dir);
    } catch (err) {
      throw new DgateError({
        code: 'DG0005',
        message: `cannot create '${dir}': ${(err as NodeJS.ErrnoException).code}`,
        hint: 'choose a directory that does not exist yet',
      });
    }
    const files: Record<string, string> = {
      'bundle.yaml': `name: ${this.name}\nversion: 0.1.0\ndescription: What ${this.name} adds to a gateway, in one line.\ndgateCli: ">=0.1.0"\nparameters:\n  type: object\n  additionalProperties: false\n  required: [path]\n  properties:\n    path:\n      description: The path the route answers on.\n      type: string\n      pattern: "^/"\n    greeting:\n      description: What the module answers.\n      type: string\n      default: hello\n`,
      'resources.yaml': `# The resources of one instance, without a namespace name: the instance decides it, and every\n# name here becomes <as>-<name>. { param: NAME } stands for a parameter's value.\nversion: v1\nmodules:\n  - name: hello\n    file: modules/hello.ts\nroutes:\n  - name: hello\n    paths: [{ param: path }]\n    methods: [GET]\n    modules: [hello]\n`,
      'modules/hello.ts': `// PARAMS (the instance's parameters) and NAMES (its resource names) are defined by dgate-cli\n// in the line above this file's first line.\nexport const requestHandler = (ctx: any) => {\n  ctx.response().status(200).json({ greeting: PARAMS.greeting });\n};\n`,
      'tests/basic.yaml': `# A case for \`dgate-cli bundle test\`: these parameters compile to tests/basic.expected.json\n# (write it with --update, then review it).\nwith: { path: /hello }\n`,
      'README.md': `# ${this.name}\n\nWhat the bundle does. \`dgate-cli bundle docs .\` prints the parameter table.\n`,
    };
    if (this.format === 'pkl') {
      delete files['bundle.yaml'];
      delete files['resources.yaml'];
      files['bundle.pkl'] =
        `amends "modulepath:/dgate/Bundle.pkl"\n\nname = "${this.name}"\nversion = "0.1.0"\ndescription = "What ${this.name} adds to a gateway, in one line."\ndgateCli = ">=0.1.0"\n// A JSON Schema for the instance's \`with:\`. Write the keyword default as ["default"]: in Pkl,\n// a bare \`default\` is the object's own template member and would be dropped.\nparameters {\n  type = "object"\n  additionalProperties = false\n  required { "path" }\n  properties {\n    path {\n      description = "The path the route answers on."\n      type = "string"\n      pattern = "^/"\n    }\n    greeting {\n      description = "What the module answers."\n      type = "string"\n      ["default"] = "hello"\n    }\n  }\n}\n`;
      files['resources.pkl'] =
        `// The resources of one instance, without a namespace name: the instance decides it, and every\n// name here becomes <as>-<name>. module.param("NAME") stands for a parameter's value.\namends "modulepath:/dgate/BundleResources.pkl"\n\nmodules {\n  new { name = "hello"; file = "modules/hello.ts" }\n}\nroutes {\n  new {\n    name = "hello"\n    paths { module.param("path") }\n    methods { "GET" }\n    modules { "hello" }\n  }\n}\n`;
    }
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
      await writeFile(path.join(dir, rel), text);
    }
    this.context.stdout.write(
      `${this.style.green('✓')} created ${dir}/: ${Object.keys(files).join(', ')}\nNext: dgate-cli bundle lint ${dir} && dgate-cli bundle test ${dir} --update\n`,
    );
    return ExitCode.OK;
  }
}
