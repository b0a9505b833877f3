import { type Dispatcher, request } from 'undici';
import { expect } from 'vitest';
import type { CanaryRollout } from '../../src/model/canary-rollout.js';
import { dgateCli } from './cli.js';

/**
 * What the canary tests share: the config they write (namespace shop, a catch-all domain, the
 * versions as services, routes with a canary block), the traffic they keep flowing through the
 * gateway while a rollout runs, and the rollout records `canary status` shows.
 */

export interface CanaryRoute {
  name: string;
  /** The route's own (stable) service. */
  service: string;
  /** The canary block, as YAML: a flow mapping (`{ service: ..., weight: 10 }`) or block lines (indented 10). */
  canary?: string | undefined;
  /** More lines of the route (indented 8), e.g. `checks:`. */
  extra?: string;
}

/** A config of namespace shop: the services (name → URL of a version) and the routes, each on paths /<name>/*. */
export function shopConfig(opts: { services: Record<string, string>; routes: CanaryRoute[]; head?: string }): string {
  const services = Object.entries(opts.services)
    .map(([name, url]) => `      - { name: ${name}, urls: ['${url}/'] }\n`)
    .join('');
  const routes = opts.routes
    .map((r) => {
      const canary =
        r.canary === undefined
          ? ''
          : r.canary.startsWith('{')
            ? `        canary: ${r.canary}\n`
            : `        canary:\n${r.canary}`;
      return `      - name: ${r.name}
        paths: [/${r.name}/*]
        methods: [GET]
        service: ${r.service}
${r.extra ?? ''}${canary}`;
    })
    .join('');
  return `version: v1
${opts.head ?? ''}namespaces:
  - name: shop
    domains:
      - { name: all, patterns: ['*'] }
    services:
${services}    routes:
${routes}`;
}

/**
 * Requests kept flowing through the gateway by `workers` loops until stopped, each to the URL
 * `url(i)` gives for the request's number; counts the answers by who gave them and the status
 * (`good 200`, `bad 500`, `gateway 502`: versions answer `{"upstream": name}`).
 */
export function traffic(
  url: (n: number) => string,
  dispatcher: Dispatcher,
  workers = 8,
): { stop: () => Promise<Record<string, number>>; sent: () => number } {
  let running = true;
  let sent = 0;
  const counts: Record<string, number> = {};
  const loop = async () => {
    while (running) {
      const res = await request(url(sent++), { dispatcher });
      const text = await res.body.text();
      let who = 'gateway';
      try {
        const upstream = (JSON.parse(text) as { upstream?: unknown }).upstream;
        if (typeof upstream === 'string' && (res.statusCode === 200 || res.statusCode === 500)) who = upstream;
      } catch {
        // Not a version's answer: DGate's own.
      }
      const key = `${who} ${res.statusCode}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
  };
  const loops = Array.from({ length: workers }, loop);
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return counts;
    },
    sent: () => sent,
  };
}

/** The rollout records of the cluster `env` names, as `canary status --format json` shows them. */
export async function canaryRecords(env: Record<string, string>): Promise<CanaryRollout[]> {
  const res = await dgateCli(['canary', 'status', '--format', 'json'], { env });
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as CanaryRollout[];
}
