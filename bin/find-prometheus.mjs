// Finds the prometheus binary the canary checks.prometheus tests run (test/harness/prometheus.ts
// finds it the same way): PROMETHEUS_BIN, else the Go bin directory, else PATH. Node built-ins
// only: bin/setup.mjs and bin/test.mjs use it before anything is installed.
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';

export const prometheusModule = 'github.com/prometheus/prometheus/cmd/prometheus@v0.316.0';

/** The Go bin directory (GOBIN, else GOPATH's first entry's bin), or undefined without go. */
export function goBinDir() {
  try {
    const [gobin, gopath] = execFileSync('go', ['env', 'GOBIN', 'GOPATH'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).split('\n');
    return gobin || (gopath ? path.join(gopath.split(path.delimiter)[0], 'bin') : undefined);
  } catch {
    return undefined;
  }
}

function isExecutable(file) {
  try {
    const st = statSync(file);
    return st.isFile() && (st.mode & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The prometheus binary's path, or undefined when there is none. */
export function findPrometheus() {
  if (process.env.PROMETHEUS_BIN)
    return isExecutable(process.env.PROMETHEUS_BIN) ? process.env.PROMETHEUS_BIN : undefined;
  return [goBinDir(), ...(process.env.PATH ?? '').split(path.delimiter)]
    .filter(Boolean)
    .map((dir) => path.join(dir, 'prometheus'))
    .find(isExecutable);
}
