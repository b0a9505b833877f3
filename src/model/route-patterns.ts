/**
 * When two routes of one namespace collide in DGate's router. DGate v0.11 builds each namespace's
 * routes into one chi router, and chi refuses a second handler for a method on a pattern it
 * already has ("chi: multiple handlers for method 'GET' at '/a/{y}'"): the write that brings the
 * second route is refused, and the node takes no more writes (test/server/dgate-acceptance.test.ts).
 * chi treats parameters by position, not name: `/a/{x}` and `/a/{y}` are one pattern, as are
 * `/a/{x:[0-9]+}` and `/a/{y:[0-9]+}`; `/a/{x}` and `/a/{x:[0-9]+}` are not. Pure.
 */

/** A pattern as chi files it: parameter names dropped, their regular expressions kept. */
export function chiPatternKey(path: string): string {
  return path.replace(/\{([^{}:]*)(:[^{}]*)?\}/g, (_m, _name: string, re: string | undefined) => `{${re ?? ''}}`);
}

export interface RoutePaths {
  name: string;
  paths?: readonly string[];
  methods?: readonly string[];
}

/** A pair of routes that collide: the later one's path (by index) and the method they share. */
export interface RouteCollision {
  first: string;
  second: string;
  /** Index of the colliding path in the second route's paths. */
  pathIndex: number;
  path: string;
  firstPath: string;
  method: string;
  /**
   * 'method': the same method on one pattern (refused). 'any': one of them has `*` (every
   * method), which DGate accepts or refuses depending on the order it builds the routes in.
   */
  kind: 'method' | 'any';
}

/** Every collision among the routes of one namespace, each pair once, in the order given. */
export function routeCollisions(routes: readonly RoutePaths[]): RouteCollision[] {
  const seen = new Map<string, { route: string; path: string; methods: readonly string[] }[]>();
  const out: RouteCollision[] = [];
  const reported = new Set<string>();
  for (const r of routes) {
    const methods = r.methods ?? [];
    (r.paths ?? []).forEach((path, pathIndex) => {
      const key = chiPatternKey(path);
      const earlier = seen.get(key) ?? [];
      for (const e of earlier) {
        if (e.route === r.name) continue;
        const pair = `${e.route}\0${r.name}`;
        if (reported.has(pair)) continue;
        const shared = methods.find((m) => m !== '*' && e.methods.includes(m));
        const any =
          !shared && (methods.includes('*') || e.methods.includes('*')) && methods.length > 0 && e.methods.length > 0;
        if (!shared && !any) continue;
        reported.add(pair);
        out.push({
          first: e.route,
          second: r.name,
          pathIndex,
          path,
          firstPath: e.path,
          method: shared ?? '*',
          kind: shared ? 'method' : 'any',
        });
      }
      seen.set(key, [...earlier, { route: r.name, path, methods }]);
    });
  }
  return out;
}
