import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { DgateError } from '../errors/dgate-error.js';

const run = promisify(execFile);

/** The dgate-server release dgate-cli is built and tested against. */
export const pinnedDgateVersion = 'v0.11.1';
const dgateServerModule = 'github.com/dgate-io/dgate/cmd/dgate-server';

export interface DgateServerBinary {
  path: string;
  /** What `dgate-server -v` reports: `v0.11.1` for a `go install`, `dev` for a local build. */
  version: string;
}

async function isExecutable(file: string): Promise<boolean> {
  return access(file, constants.X_OK).then(
    () => true,
    () => false,
  );
}

async function versionOf(file: string): Promise<string> {
  // dgate-server prints its version on stderr.
  // A generous timeout: the binary initialises its module runtime even for -v, which takes seconds on a busy machine.
  const { stderr, stdout } = await run(file, ['-v'], { timeout: 60_000 });
  return (stderr.trim() || stdout.trim()).split('\n').pop() ?? 'unknown';
}

async function goBinDir(): Promise<string | undefined> {
  try {
    const { stdout } = await run('go', ['env', 'GOBIN', 'GOPATH'], { timeout: 30_000 });
    const [gobin, gopath] = stdout.split('\n');
    if (gobin) return gobin;
    return gopath ? path.join(gopath.split(path.delimiter)[0]!, 'bin') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Finds dgate-server: `DGATE_SERVER_BIN`, else the Go bin directory, else `PATH`; when none is
 * there and `install` is set, installs the pinned release with `go install`. Throws a DgateError
 * carrying go's own error when it cannot.
 */
export async function resolveDgateServer(opts: {
  install: boolean;
  log?: (line: string) => void;
}): Promise<DgateServerBinary> {
  const fromEnv = process.env.DGATE_SERVER_BIN;
  if (fromEnv) {
    if (!(await isExecutable(fromEnv))) {
      throw new DgateError({
        code: 'DG0004',
        message: `DGATE_SERVER_BIN names '${fromEnv}', which is not an executable file`,
        hint: 'point DGATE_SERVER_BIN at a dgate-server binary, or unset it',
      });
    }
    return { path: fromEnv, version: await versionOf(fromEnv) };
  }
  const candidates: string[] = [];
  const binDir = await goBinDir();
  if (binDir) candidates.push(path.join(binDir, 'dgate-server'));
  for (const dir of (process.env.PATH ?? '').split(path.delimiter))
    if (dir) candidates.push(path.join(dir, 'dgate-server'));
  for (const candidate of candidates) {
    if (await isExecutable(candidate)) return { path: candidate, version: await versionOf(candidate) };
  }
  if (!opts.install) {
    throw new DgateError({
      code: 'DG0004',
      message: 'dgate-server is not installed',
      hint: `install it with 'go install ${dgateServerModule}@${pinnedDgateVersion}', or set DGATE_SERVER_BIN`,
    });
  }
  opts.log?.(`installing dgate-server ${pinnedDgateVersion} with go install ...`);
  try {
    await run('go', ['install', `${dgateServerModule}@${pinnedDgateVersion}`], { timeout: 15 * 60_000 });
  } catch (err) {
    throw new DgateError({
      code: 'DG0004',
      message: installFailure(err),
      hint: 'install it by another route and set DGATE_SERVER_BIN to the binary',
    });
  }
  const installed = binDir ? path.join(binDir, 'dgate-server') : 'dgate-server';
  return { path: installed, version: await versionOf(installed) };
}

/** Why `go install` did not give a binary, in one line: go missing, or go's own last error line. */
function installFailure(err: unknown): string {
  if ((err as { code?: unknown }).code === 'ENOENT')
    return 'no dgate-server in DGATE_SERVER_BIN, the Go bin directory or PATH, and go is not installed to install it';
  const lines = ((err as { stderr?: string }).stderr ?? String(err))
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  // go prints the failing lookup, and a proxy's refusal on the line after it ("server response: ...").
  const detail =
    lines
      .filter((l) => !l.startsWith('go: downloading'))
      .join('; ')
      .replace(/\.$/, '') || 'no output';
  return `go install ${dgateServerModule}@${pinnedDgateVersion} was refused: ${detail}`;
}

/** A free TCP port on loopback (the OS picks; the socket is closed before the server binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface DgateNode {
  id: string;
  adminUrl: string;
  proxyUrl: string;
  adminPort: number;
  proxyPort: number;
  dir: string;
  logFile: string;
  process: ChildProcess;
}

export interface NodeOptions {
  binary: DgateServerBinary;
  /** Extra top-level keys merged into the node's config. */
  extraConfig?: Record<string, unknown>;
  /** Extra keys merged into the node's `admin` section (e.g. auth for a test). */
  adminConfig?: Record<string, unknown>;
}

async function waitReady(node: DgateNode, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (node.process.exitCode !== null) break;
    try {
      const res = await request(`${node.adminUrl}/readyz`, { headersTimeout: 2000, bodyTimeout: 2000 });
      const body = await res.body.text();
      // 401: admin auth is on and /readyz is behind it too; the node is up and answering.
      if (res.statusCode === 200 || res.statusCode === 401) return;
      last = `${res.statusCode} ${body.trim()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const log = await readFile(node.logFile, 'utf8').catch(() => '');
  throw new Error(
    `dgate-server ${node.id} did not become ready at ${node.adminUrl} (last: ${last}; exit code ${node.process.exitCode})\n${log.slice(-2000)}`,
  );
}

async function spawnNode(
  id: string,
  dir: string,
  config: Record<string, unknown>,
  binary: DgateServerBinary,
  ports: { admin: number; proxy: number },
): Promise<DgateNode> {
  // dgate-server picks its config parser by file extension; JSON keeps this free of a YAML writer.
  const configFile = path.join(dir, 'config.json');
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const logFile = path.join(dir, 'server.log');
  const log = createWriteStream(logFile);
  const child = spawn(binary.path, ['-c', configFile], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, DG_DISABLE_BANNER: 'true', DGATE_NODE_ID: id },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  return {
    id,
    adminUrl: `http://127.0.0.1:${ports.admin}`,
    proxyUrl: `http://127.0.0.1:${ports.proxy}`,
    adminPort: ports.admin,
    proxyPort: ports.proxy,
    dir,
    logFile,
    process: child,
  };
}

/**
 * Starts one dgate-server on free loopback ports with memory storage, and waits for /readyz. A
 * port found free can be taken by another process before the server binds it (tests and benches
 * start nodes side by side): a node that exits on "address already in use" is started again on
 * other ports, up to three times.
 */
export async function startDgateNode(opts: NodeOptions): Promise<DgateNode> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startDgateNodeOnce(opts);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof PortTakenError)) throw err;
    }
  }
}

/** The node exited because a port it was given was taken before it could bind it. */
class PortTakenError extends Error {}

async function startDgateNodeOnce(opts: NodeOptions): Promise<DgateNode> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dgate-node-'));
  const ports = { admin: await freePort(), proxy: await freePort() };
  const config = {
    version: 'v1',
    log_level: 'warn',
    disable_metrics: true,
    storage: { type: 'memory' },
    proxy: { host: '127.0.0.1', port: ports.proxy },
    admin: { host: '127.0.0.1', port: ports.admin, ...opts.adminConfig },
    ...opts.extraConfig,
  };
  const node = await spawnNode('n1', dir, config, opts.binary, ports);
  try {
    await waitReady(node, 60_000);
  } catch (err) {
    await stopDgateNode(node);
    // waitReady's message ends with the node's log.
    if (/address already in use/.test((err as Error).message)) throw new PortTakenError((err as Error).message);
    throw err;
  }
  return node;
}

export interface DgateCluster {
  nodes: DgateNode[];
  /** The bootstrap node, which is the first leader. */
  leader: DgateNode;
  followers: DgateNode[];
}

/**
 * Starts a raft cluster of `size` nodes on loopback with file storage (raft needs it), short raft
 * timeouts, and every node joined through the first. Resolves when every node answers /readyz.
 */
export async function startDgateCluster(opts: NodeOptions & { size?: number }): Promise<DgateCluster> {
  const size = opts.size ?? 3;
  const nodes: DgateNode[] = [];
  const ports = [];
  for (let i = 0; i < size; i++) ports.push({ admin: await freePort(), proxy: await freePort() });
  const first = `127.0.0.1:${ports[0]!.admin}`;
  try {
    for (let i = 0; i < size; i++) {
      const id = `n${i + 1}`;
      const dir = await mkdtemp(path.join(os.tmpdir(), `dgate-${id}-`));
      const p = ports[i]!;
      const config = {
        version: 'v1',
        log_level: 'warn',
        disable_metrics: true,
        storage: { type: 'file', dir: path.join(dir, 'data') },
        proxy: { host: '127.0.0.1', port: p.proxy },
        admin: {
          host: '127.0.0.1',
          port: p.admin,
          replication: {
            id,
            bootstrap_cluster: i === 0,
            advert_address: `127.0.0.1:${p.admin}`,
            cluster_address: i === 0 ? [] : [first],
            raft_config: {
              heartbeat_timeout: '500ms',
              election_timeout: '500ms',
              leader_lease_timeout: '500ms',
              commit_timeout: '50ms',
            },
          },
        },
        ...opts.extraConfig,
      };
      const node = await spawnNode(id, dir, config, opts.binary, p);
      nodes.push(node);
      // Followers join through the leader, so the leader must be up first.
      if (i === 0) await waitReady(node, 30_000);
    }
    await Promise.all(nodes.slice(1).map((n) => waitReady(n, 60_000)));
  } catch (err) {
    await Promise.all(nodes.map(stopDgateNode));
    throw err;
  }
  return { nodes, leader: nodes[0]!, followers: nodes.slice(1) };
}

/**
 * Stops a node and removes its files: SIGTERM, then SIGKILL after 2 s, since a node wedged by a
 * failed write never finishes its shutdown (DGate's own watchdog would wait 7 s).
 */
export async function stopDgateNode(node: DgateNode): Promise<void> {
  const child = node.process;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }
  await rm(node.dir, { recursive: true, force: true });
}

export async function stopDgateCluster(cluster: DgateCluster): Promise<void> {
  await Promise.all(cluster.nodes.map(stopDgateNode));
}
