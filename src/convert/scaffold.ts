/**
 * What `dgate-cli init` writes: one namespace with a service, a module and a route that uses
 * both, in YAML or Pkl. Both validate and compile as they are, to the same version.
 */
export type ScaffoldFormat = 'yaml' | 'pkl';

const moduleSource = `// Tags every request with the gateway's name before it reaches the upstream.
export const requestModifier = (ctx: any) => {
  ctx.request().headers.set('X-Gateway', 'dgate');
};
`;

const yamlConfig = `# A dgate-cli config: \`dgate-cli validate\` checks it, \`dgate-cli compile\` compiles it,
# \`dgate-cli plan\` / \`apply\` deploy it (README.md of dgate-cli).
version: v1
namespaces:
  - name: app
    services:
      - name: backend
        urls: [http://127.0.0.1:8080/]
        retries: 3
        requestTimeout: 10s
    modules:
      - name: tag-request
        file: modules/tag-request.ts
    routes:
      - name: api
        paths: [/api/*]
        methods: [GET, POST]
        service: backend
        modules: [tag-request]
        stripPath: true
`;

const pklConfig = `// A dgate-cli config in Pkl: \`dgate-cli validate\` checks it, \`dgate-cli compile\` compiles it,
// \`dgate-cli plan\` / \`apply\` deploy it. The schema, with a doc comment on every property, is
// modulepath:/dgate/Config.pkl: dgate-cli puts it on the module path (docs/pkl.md).
amends "modulepath:/dgate/Config.pkl"

namespaces {
  new {
    name = "app"
    services {
      new {
        name = "backend"
        urls { "http://127.0.0.1:8080/" }
        retries = 3
        requestTimeout = "10s"
      }
    }
    modules {
      new { name = "tag-request"; file = "modules/tag-request.ts" }
    }
    routes {
      new {
        name = "api"
        paths { "/api/*" }
        methods { "GET"; "POST" }
        service = "backend"
        modules { "tag-request" }
        stripPath = true
      }
    }
  }
}
`;

/** The files to write, relative to the directory. */
export function scaffoldFiles(format: ScaffoldFormat): Map<string, string> {
  return new Map([
    [format === 'pkl' ? 'main.pkl' : 'config.yaml', format === 'pkl' ? pklConfig : yamlConfig],
    ['modules/tag-request.ts', moduleSource],
  ]);
}
