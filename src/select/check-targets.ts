import { scheduledInstants } from './schedule.js';
import type { Code } from '../errors/codes.js';
import type { Diagnostic, Location } from '../errors/dgate-error.js';
import { locationOf, type Declared, type LoadedConfig, type Origin } from '../load/assemble.js';
import type { YamlPath } from '../load/parse-yaml.js';
import { hasCredentials } from '../model/admin-url.js';
import { specKinds } from '../model/registry.js';
import { isSelectorTag, parseSelector, parseServerTag } from './tags.js';
import { selectForTarget, tagsOf, where, targetsOf } from './targets.js';

/**
 * The checks of targets and tags that need no cluster: selector and server-tag syntax (located
 * at the character that is wrong), unique target names, canaries naming a module or route, and
 * (when those pass) that no target gets a route without its service or modules, now or at any
 * instant a time tag is scheduled for. Pass `now` null to skip that last check, which needs a
 * config free of other errors.
 */
export function checkTargets(config: LoadedConfig, now: number | null): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const report = (
    code: Code,
    origin: Origin,
    path: YamlPath,
    message: string,
    hint: string,
    opts: { offset?: number; warning?: boolean } = {},
  ) => {
    diagnostics.push({
      code,
      severity: opts.warning ? 'warning' : 'error',
      message,
      hint,
      location: tagLocation(origin, path, opts.offset),
    });
  };
  let selectorCount = 0;
  const checkTags = (tags: readonly string[] | undefined, origin: Origin) => {
    (tags ?? []).forEach((text, i) => {
      if (!isSelectorTag(text)) return;
      selectorCount++;
      const parsed = parseSelector(text);
      if (!parsed.ok) {
        report(
          'DG1701',
          origin,
          ['tags', i],
          `tag selector '${text}' is not valid: ${parsed.error.message}`,
          selectorHint,
          { offset: parsed.error.offset },
        );
      }
    });
  };
  for (const ns of config.namespaces) {
    for (const d of ns.declarations) if (d.valid) checkTags(d.spec.tags, d.origin);
    for (const kind of specKinds) {
      for (const d of ns.resources[kind] as Declared<unknown>[]) if (d.valid) checkTags(tagsOf(d), d.origin);
    }
  }
  const names = new Map<string, Origin>();
  const canaryTargets = new Set<string>();
  for (const t of config.targets) {
    if (!t.valid) continue;
    const first = names.get(t.spec.name);
    if (first) {
      report(
        'DG1702',
        t.origin,
        ['name'],
        `target '${t.spec.name}' is declared twice (first at ${where(first, ['name'])})`,
        'give each target its own name, or remove one',
      );
    } else {
      names.set(t.spec.name, t.origin);
    }
    t.spec.admin.forEach((url, i) => {
      // The URL itself is not shown: the point is that its password appears nowhere.
      if (hasCredentials(url))
        report(
          'DG1711',
          t.origin,
          ['admin', i],
          `admin URL ${i + 1} of target '${t.spec.name}' has credentials written into it, which dgate-cli does not send`,
          "write the URL without them, and name the environment variables that hold them in the target's auth: { userEnv, passwordEnv } or { keyEnv }",
        );
    });
    if (t.spec.proxy && t.spec.proxy.length !== t.spec.admin.length)
      report(
        'DG1712',
        t.origin,
        ['proxy'],
        `target '${t.spec.name}' lists ${t.spec.proxy.length} proxy URL${t.spec.proxy.length === 1 ? '' : 's'} and ${t.spec.admin.length} admin URL${t.spec.admin.length === 1 ? '' : 's'}: each node's proxy URL is paired with its admin URL by position`,
        'list one proxy URL per admin URL, in the same order (or leave out proxy:, and no checks are sent through the nodes after an apply)',
      );
    (t.spec.tags ?? []).forEach((text, i) => {
      const parsed = parseServerTag(text);
      if (!parsed.ok) {
        report(
          'DG1703',
          t.origin,
          ['tags', i],
          `server tag '${text}' of target '${t.spec.name}' is not valid: ${parsed.error.message}`,
          serverTagHint,
          { offset: parsed.error.offset },
        );
        return;
      }
      if (parsed.value.kind === 'canary') {
        const name = parsed.value.name;
        canaryTargets.add(name);
        const exists = config.namespaces.some(
          (ns) =>
            ns.resources.modules.some((m) => m.spec.name === name) ||
            ns.resources.routes.some((r) => r.spec.name === name),
        );
        // The canaries the tag sets the weight of on this target (compile/canary.ts withCanaryTagWeights).
        const canaries = config.namespaces.flatMap((ns) =>
          ns.resources.routes.filter((r) => r.spec.canary && (r.spec.name === name || r.spec.canary.module === name)),
        );
        if (!exists) {
          report(
            'DG1704',
            t.origin,
            ['tags', i],
            `canary tag '${text}' of target '${t.spec.name}' names '${name}', which is neither a module nor a route of this config`,
            'name a module or route the config declares, or remove the canary tag',
          );
        } else if (canaries.length === 0) {
          report(
            'DG1907',
            t.origin,
            ['tags', i],
            `canary tag '${text}' of target '${t.spec.name}' changes nothing: no route has a canary named '${name}' or running module '${name}'`,
            `declare the canary on the routes it is for, e.g. canary: { module: ${name}, weight: 0 } (the tag sets the weight on this target), or remove the tag`,
            { warning: true },
          );
        }
        for (const r of canaries.filter((r) => (r.spec.canary?.steps ?? []).length > 0)) {
          report(
            'DG1713',
            t.origin,
            ['tags', i],
            `canary tag '${text}' of target '${t.spec.name}' would set the weight of route '${r.spec.name}''s canary, which has steps: its rollout sets the weight`,
            'remove the tag, or give that canary a weight instead of steps',
          );
        }
      }
    });
  }
  if (now !== null && selectorCount > 0 && !diagnostics.some((d) => d.severity === 'error')) {
    const seen = new Set<string>();
    for (const target of targetsOf(config)) {
      for (const instant of [now, ...scheduledInstants(config, target, now)]) {
        for (const d of selectForTarget(config, target, instant).diagnostics) {
          const key = `${d.location?.file}:${d.location?.line}:${d.location?.col}:${target.name}`;
          if (seen.has(key)) continue;
          seen.add(key);
          diagnostics.push(
            instant === now ? d : { ...d, message: `from ${new Date(instant).toISOString()}, ${d.message}` },
          );
        }
      }
    }
  }
  if (selectorCount > 0 && config.targets.length === 0) {
    const first = firstSelector(config);
    if (first) {
      report(
        'DG1706',
        first.origin,
        first.path,
        `this config uses tag selectors but declares no targets: every selector is judged against a cluster without tags`,
        'declare the clusters under `targets:` with their server tags (see docs/targets.md)',
        { warning: true },
      );
    }
  }
  return diagnostics;
}

function firstSelector(config: LoadedConfig): { origin: Origin; path: YamlPath } | undefined {
  for (const ns of config.namespaces) {
    for (const d of [...ns.declarations, ...specKinds.flatMap((k) => ns.resources[k] as Declared<unknown>[])]) {
      const i = (tagsOf(d) ?? []).findIndex(isSelectorTag);
      if (i >= 0) return { origin: d.origin, path: ['tags', i] };
    }
  }
  return undefined;
}

const selectorHint =
  "selectors are #name:value (must have), !name:value (must not have), ?name:a,b (any of), ?*name:a,b (exactly one of), optionally after @(2026-12-01T00:00:00Z); names and values use letters, digits, '_', '-' and '.'";
const serverTagHint =
  "server tags are name:value or value, canary@5%:NAME, or @(2026-12-01T00:00:00Z)#name:value; names and values use letters, digits, '_', '-' and '.'";

/** The location of a character inside a tag: the tag's own location, moved past an opening quote. */
function tagLocation(origin: Origin, path: YamlPath, offset: number | undefined): Location {
  const loc = locationOf(origin, path);
  if (offset === undefined) return loc;
  const line = origin.doc.source.text.split('\n')[loc.line - 1] ?? '';
  const quoted = line[loc.col - 1] === '"' || line[loc.col - 1] === "'" ? 1 : 0;
  return { ...loc, col: loc.col + quoted + offset };
}
