import type { Declared, LoadedNamespace } from '../load/assemble.js';
import type { DomainSpec, RouteSpec, ServiceSpec } from '../schema/generated/config.js';
import { goUrlParts } from '../model/go-url.js';
import { type RouteCollision, routeCollisions } from '../model/route-patterns.js';
import type { FileTable } from './file-refs.js';

import { type Report, names, repeats, suggest } from './check-report.js';
import { checkFileRef } from './check-modules.js';
import { checkSecretSource, type SecretRules } from './check-secrets.js';

/** Routes, services and domains: what they name must exist, and what DGate refuses only when a write lands. */

export function checkRoute(ns: LoadedNamespace, route: Declared<RouteSpec>, report: Report): void {
  const spec = route.spec;
  const id = `route '${ns.name}/${spec.name}'`;
  if (spec.service !== undefined && !names(ns.resources.services).includes(spec.service)) {
    report(
      'DG1103',
      route.origin,
      ['service'],
      `${id} names service '${spec.service}', which namespace '${ns.name}' does not declare`,
      suggest(spec.service, names(ns.resources.services), 'service', ns.name),
    );
  }
  const moduleNames = names(ns.resources.modules);
  (spec.modules ?? []).forEach((m, i) => {
    if (!moduleNames.includes(m)) {
      report(
        'DG1104',
        route.origin,
        ['modules', i],
        `${id} names module '${m}', which namespace '${ns.name}' does not declare`,
        suggest(m, moduleNames, 'module', ns.name),
      );
    }
  });
  for (const { index, first } of repeats(spec.modules ?? [])) {
    report(
      'DG1010',
      route.origin,
      ['modules', index],
      `${id} lists module '${spec.modules![index]}' twice (items ${first + 1} and ${index + 1})`,
      'DGate stores each module of a route once; remove the repeated one',
      { warning: true },
    );
  }
  const mods = [...new Set(spec.modules ?? [])];
  const sorted = [...mods].sort();
  if (mods.length > 1 && mods.join('\0') !== sorted.join('\0')) {
    report(
      'DG1903',
      route.origin,
      ['modules'],
      `${id} lists modules as [${mods.join(', ')}], but DGate runs '${sorted[0]}' (the first in name order)`,
      `list them as [${sorted.join(', ')}] to say what runs, or rename the entry module so it sorts first`,
      { warning: true },
    );
  }
  const service = ns.resources.services.find((s) => s.spec.name === spec.service);
  const bareUrl = service?.spec.urls?.find(
    (u) => typeof u === 'string' && /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/]+$/.test(u),
  );
  const wildcard = spec.paths.find((p) => p.endsWith('*'));
  if (spec.stripPath && wildcard && bareUrl) {
    const example = `${wildcard.slice(0, -1)}x`;
    report(
      'DG1904',
      route.origin,
      ['stripPath'],
      `${id} strips its path, but service '${spec.service}' has the URL '${bareUrl}' with no path, so DGate v0.11 forwards '${example}' to the upstream as 'x', without a leading '/'`,
      `add a '/' to the service URL ('${bareUrl}/'): DGate joins the rest of the path onto it`,
      { key: true, warning: true },
    );
  }
  if (spec.methods.includes('*') && spec.methods.length > 1) {
    report(
      'DG1105',
      route.origin,
      ['methods'],
      `${id} combines '*' with other methods, which DGate rejects`,
      'use ["*"] alone for every method, or list the methods',
    );
  }
  if (spec.paths.length === 0) {
    report(
      'DG1011',
      route.origin,
      ['paths'],
      `${id} has no paths, so it matches no request`,
      'DGate accepts a route without paths; give it one, e.g. [/api/*], or remove the route',
      { key: true, warning: true },
    );
  } else if (spec.methods.length === 0) {
    report(
      'DG1011',
      route.origin,
      ['methods'],
      `${id} has paths but no methods, which DGate rejects`,
      'list the methods, e.g. [GET, POST], or ["*"] for every method',
      { key: true },
    );
  }
  spec.paths.forEach((p, i) => {
    const problem = pathProblem(p);
    if (problem?.refused)
      report(
        'DG1116',
        route.origin,
        ['paths', i],
        `${id} path '${p}' ${problem.text}`,
        'path patterns look like /exact, /users/{id} or /api/*',
      );
    else if (problem)
      report(
        'DG1116',
        route.origin,
        ['paths', i],
        `${id} path '${p}' ${problem.text}`,
        'DGate accepts it and matches one path segment there; name the parameter, e.g. /users/{id}, to say what it holds',
        { warning: true },
      );
  });
}

/**
 * The chi router rules DGate applies when it rebuilds a namespace's routes: a path it refuses
 * there (`refused`) wedges the node. An unnamed parameter `{}` it accepts.
 */
function pathProblem(p: string): { text: string; refused: boolean } | undefined {
  const star = p.indexOf('*');
  if (star !== -1 && star !== p.length - 1) return { text: "has a '*' that is not at the end", refused: true };
  let depth = 0;
  for (const ch of p) {
    if (ch === '{') depth++;
    if (ch === '}') depth--;
    if (depth < 0 || depth > 1) return { text: 'has unbalanced { } around a parameter', refused: true };
  }
  if (depth !== 0) return { text: 'has unbalanced { } around a parameter', refused: true };
  // '{}' and '{:regex}' are parameters named '': two of them repeat a name too.
  const params = [...p.matchAll(/\{([^}:]*)/g)].map((m) => m[1]);
  if (new Set(params).size !== params.length) return { text: 'repeats a parameter name', refused: true };
  if (params.includes('')) return { text: 'has a parameter without a name', refused: false };
  return undefined;
}

export function checkService(ns: LoadedNamespace, service: Declared<ServiceSpec>, report: Report): void {
  const id = `service '${ns.name}/${service.spec.name}'`;
  service.spec.urls.forEach((u, i) => {
    // DGate reads each URL with Go's url.Parse, not a browser's parser: Go takes some that a
    // browser refuses (a port past 65535, a host like 1.2.3.256, an IPv6 zone), and those work.
    const parsed = goUrlParts(u);
    if (!parsed?.host) {
      // DGate drops the connection on a URL it cannot parse, and then fails every list of services.
      report(
        'DG1106',
        service.origin,
        ['urls', i],
        `${id} has an upstream URL that cannot be parsed: '${u}'`,
        'write it as scheme://host[:port][/path], e.g. http://127.0.0.1:8080',
      );
      return;
    }
    if (!['http', 'https'].includes(parsed.scheme)) {
      report(
        'DG1106',
        service.origin,
        ['urls', i],
        `${id} has an upstream URL with scheme '${parsed.scheme}'`,
        'DGate accepts it, but proxies only to http:// and https:// upstreams',
        { warning: true },
      );
    }
    if (/\s/.test(u)) {
      report(
        'DG1106',
        service.origin,
        ['urls', i],
        `${id} has an upstream URL with white space in it: ${JSON.stringify(u)}`,
        'DGate stores it %-escaped, as Go writes URLs (a space as %20), and dgate-cli sends and compares it so: write it escaped to say what DGate keeps',
        { warning: true },
      );
    }
  });
  for (const { index, first } of repeats(service.spec.urls)) {
    report(
      'DG1010',
      service.origin,
      ['urls', index],
      `${id} lists the upstream URL '${service.spec.urls[index]}' twice (items ${first + 1} and ${index + 1})`,
      'DGate keeps both; remove the repeated one',
      { warning: true },
    );
  }
  if (service.spec.retries !== undefined && service.spec.retries > 1000) {
    report(
      'DG1009',
      service.origin,
      ['retries'],
      `${id} retries a failed upstream request ${service.spec.retries} times`,
      'DGate accepts it, but so many retries is usually a typo',
      { warning: true },
    );
  }
  for (const field of ['connectTimeout', 'requestTimeout'] as const) {
    const value = service.spec[field];
    if (value?.startsWith('-')) {
      report(
        'DG1007',
        service.origin,
        [field],
        `${id} has a negative ${field}: ${value}`,
        'DGate accepts it, but a timeout below zero is a mistake: write 0 for none',
        { warning: true },
      );
    }
  }
  for (const field of ['hideDGateHeaders', 'disableQueryParams'] as const) {
    if (service.spec[field] !== undefined) {
      report(
        'DG1902',
        service.origin,
        [field],
        `${id} sets '${field}', which DGate v0.11 accepts and then discards`,
        'remove it: it has no effect on the gateway',
        { key: true, warning: true },
      );
    }
  }
}

export function checkDomain(
  ns: LoadedNamespace,
  domain: Declared<DomainSpec>,
  files: FileTable,
  secrets: SecretRules,
  report: Report,
): void {
  const spec = domain.spec;
  const id = `domain '${ns.name}/${spec.name}'`;
  // DGate stores patterns without looking at them: every problem here is a warning.
  if (spec.patterns.length === 0) {
    report(
      'DG1011',
      domain.origin,
      ['patterns'],
      `${id} has no host patterns, so no request reaches the namespace through it`,
      'DGate accepts it; give it a pattern, e.g. [shop.example.com], or remove the domain',
      { key: true, warning: true },
    );
  }
  spec.patterns.forEach((p, i) => {
    if (p === '') {
      report(
        'DG1011',
        domain.origin,
        ['patterns', i],
        `${id} has an empty host pattern, which matches no host`,
        'DGate accepts it; remove it',
        { warning: true },
      );
    } else if (p.length >= 2 && p.startsWith('/') && p.endsWith('/')) {
      try {
        new RegExp(p.slice(1, -1));
      } catch (err) {
        report(
          'DG1107',
          domain.origin,
          ['patterns', i],
          `${id} has a regular expression that does not compile: ${(err as Error).message}`,
          'DGate accepts it and fails only when matching a request; it uses Go RE2 syntax between the slashes, e.g. /^(www\\.)?shop\\.example\\.com$/',
          { warning: true },
        );
      }
    } else if (/\s/.test(p)) {
      report(
        'DG1107',
        domain.origin,
        ['patterns', i],
        `${id} has a host pattern with white space: '${p}'`,
        'DGate accepts it, but no host name has white space; host patterns look like shop.example.com, *.example.com or *',
        { warning: true },
      );
    }
  });
  for (const { index, first } of repeats(spec.patterns)) {
    report(
      'DG1010',
      domain.origin,
      ['patterns', index],
      `${id} lists the host pattern '${spec.patterns[index]}' twice (items ${first + 1} and ${index + 1})`,
      'DGate keeps both; remove the repeated one',
      { warning: true },
    );
  }
  if ((spec.cert === undefined) !== (spec.key === undefined)) {
    const [has, lacks] = spec.cert !== undefined ? ['cert', 'key'] : ['key', 'cert'];
    report(
      'DG1013',
      domain.origin,
      [has],
      `${id} has a '${has}' but no '${lacks}'`,
      `DGate stores it, but serves TLS for a domain only with both: set both 'cert' and 'key', or neither`,
      { key: true, warning: true },
    );
  }
  if (spec.cert && typeof spec.cert === 'object')
    checkFileRef(domain.origin, ['cert', 'file'], spec.cert.file, files, id, report);
  if (spec.key) checkSecretSource(domain.origin, ['key'], spec.key, `${id} key`, secrets, report);
}

/** A secret that keeps versions owns the names NAME.v<k>: no other secret may use one. */

/**
 * Two routes of a namespace on one method and pattern (model/route-patterns.ts): DGate refuses
 * the second, and the node then takes no more writes. Routes with tag selectors are left to the
 * per-target check (select/check-targets.ts), since targets may get one or the other.
 */
export function checkRouteCollisions(
  ns: LoadedNamespace,
  routes: readonly Declared<RouteSpec>[],
  report: Report,
  target?: { name: string; pairs: (a: Declared<RouteSpec>, b: Declared<RouteSpec>) => boolean },
): void {
  const byName = new Map(routes.map((r) => [r.spec.name, r]));
  for (const c of routeCollisions(routes.map((r) => r.spec))) {
    const first = byName.get(c.first)!;
    const second = byName.get(c.second)!;
    if (target && !target.pairs(first, second)) continue;
    reportCollision(ns.name, c, second, report, target?.name);
  }
}

function reportCollision(
  ns: string,
  c: RouteCollision,
  second: Declared<RouteSpec>,
  report: Report,
  target: string | undefined,
): void {
  const on = target ? ` on target '${target}'` : '';
  const same =
    c.path === c.firstPath
      ? `'${c.path}'`
      : `'${c.path}' (the pattern of '${c.firstPath}': DGate's router tells parameters by position, not by name)`;
  if (c.kind === 'method') {
    report(
      'DG1130',
      second.origin,
      ['paths', c.pathIndex],
      `route '${ns}/${c.second}' serves ${c.method} ${same}, as route '${ns}/${c.first}' does${on}: DGate refuses the second route ("chi: multiple handlers"), and the node then takes no more writes`,
      'give one of them another path or method, or merge them into one route',
    );
  } else {
    report(
      'DG1906',
      second.origin,
      ['paths', c.pathIndex],
      `route '${ns}/${c.second}' and route '${ns}/${c.first}' share the pattern ${same}, and one serves every method (*)${on}: DGate accepts or refuses the pair depending on the order it builds them in`,
      'give one of them another path, or list the methods the * route serves',
      { warning: true },
    );
  }
}
