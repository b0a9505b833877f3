import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  url: string;
  requests: { method: string; url: string; headers: Record<string, unknown>; body: string }[];
  close: () => Promise<void>;
}

/** A small HTTP upstream on loopback that answers JSON describing each request it gets. */
export async function startUpstream(name: string): Promise<Upstream> {
  const requests: Upstream['requests'] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name, method: req.method, url: req.url }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    // DGate keeps its upstream connections alive: close them, or close() waits for their idle timeout.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * An upstream that answers `{"upstream": name}`, with 500 to every `failEvery`th request when
 * given (1: every request): a version of a service, for canary tests.
 */
export async function startVersion(name: string, failEvery?: number): Promise<Upstream> {
  let n = 0;
  const requests: Upstream['requests'] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      n++;
      res.statusCode = failEvery !== undefined && n % failEvery === 0 ? 500 : 200;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ upstream: name }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
