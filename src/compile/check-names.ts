import type { Declared, LoadedNamespace, Origin } from '../load/assemble.js';
import type { YamlPath } from '../load/parse-yaml.js';
import { secretHashTagPrefix } from '../model/kinds/secrets.js';
import { labelOf } from '../model/kinds/shared.js';
import type { KindKey } from '../model/kind.js';
import { kinds, specKinds } from '../model/registry.js';
import { tombstoneTag } from '../model/tombstones.js';
import { canaryTagPrefix } from '../model/canary.js';
import { isSelectorTag } from '../select/tags.js';

import { type Report, repeats, where } from './check-report.js';

/** Duplicates, names, document ids and tags: what DGate keys resources by, and what it stores verbatim. */

export function checkDuplicates(ns: LoadedNamespace, report: Report): void {
  for (const kind of specKinds) {
    const first = new Map<string, Declared<unknown>>();
    for (const item of ns.resources[kind] as Declared<{ name?: unknown }>[]) {
      if (typeof item.spec.name !== 'string') continue;
      const earlier = first.get(item.spec.name);
      if (earlier) {
        report(
          'DG1101',
          item.origin,
          ['name'],
          `${kinds[kind].singular} '${item.spec.name}' is defined twice in namespace '${ns.name}' (first at ${where(earlier.origin)})`,
          'remove one definition or rename one of them',
        );
      } else {
        first.set(item.spec.name, item);
      }
    }
  }
  for (const collection of ns.resources.collections) {
    const ids = new Map<string, Origin>();
    (collection.spec.documents ?? []).forEach((doc, i) => {
      if (!doc || typeof doc.id !== 'string') return;
      const origin: Origin = { doc: collection.origin.doc, path: [...collection.origin.path, 'documents', i] };
      const earlier = ids.get(doc.id);
      if (earlier) {
        report(
          'DG1101',
          origin,
          ['id'],
          `document '${doc.id}' is defined twice in collection '${ns.name}/${collection.spec.name}' (first at ${where(earlier)})`,
          'give each document its own id',
        );
      } else {
        ids.set(doc.id, origin);
      }
    });
  }
}

export function checkNamespaceTags(ns: LoadedNamespace, report: Report): void {
  const tagged = ns.declarations.filter((d) => d.valid && d.spec.tags !== undefined);
  const first = tagged[0];
  for (const other of tagged.slice(1)) {
    if (JSON.stringify(other.spec.tags) !== JSON.stringify(first!.spec.tags)) {
      report(
        'DG1102',
        other.origin,
        ['tags'],
        `namespace '${ns.name}' has different tags here than at ${where(first!.origin)}`,
        'set the namespace tags in one file only, or make them identical',
        { key: true },
      );
    }
  }
}

/**
 * DGate takes any name, and refuses only an empty one for a namespace, route, domain or collection
 * ("name is required") and a document id with a '/' (the id is a path segment); those are errors.
 * Everything else it stores, so the rest are warnings: a dump of a running cluster must validate.
 * test/server/dgate-acceptance.test.ts shows both sides on a real server.
 */
const kindsThatNeedAName = new Set<string>(['namespaces', 'routes', 'domains', 'collections']);

/** Letters, digits, '.', '_' and '-': what every tool and file system takes as a name. */
const safeName = /^[A-Za-z0-9._-]+$/;

/** `label` says what the name is ('route name', 'document id'), `place` where (" in namespace 'shop'"). */
export function checkName(
  origin: Origin,
  sub: YamlPath,
  name: string,
  label: string,
  place: string,
  needsOne: boolean,
  report: Report,
): void {
  if (name === '') {
    report(
      'DG1011',
      origin,
      sub,
      `${label}${place} is empty`,
      needsOne
        ? 'DGate refuses it ("name is required"): give it a name'
        : 'DGate stores it, but a resource without a name is hard to tell apart or refer to: give it one',
      { warning: !needsOne },
    );
    return;
  }
  if (!safeName.test(name)) {
    report(
      'DG1006',
      origin,
      sub,
      `${label} ${JSON.stringify(name)}${place} is not a safe name: DGate accepts it, but names are safest as letters, digits, '.', '_' and '-'`,
      name.includes('/')
        ? `DGate keys resources as name/namespace, so a '/' can make two resources one (route 'a/b' in 'c' is route 'a' in 'b/c'); rename it, e.g. replace slashes with "-"`
        : 'rename it, e.g. replace spaces and slashes with "-"',
      { warning: true },
    );
  }
  if (name.length > 253) {
    report(
      'DG1009',
      origin,
      sub,
      `${label}${place} is ${name.length} characters long`,
      'DGate accepts it, but other tools (and file names, such as dump writes) may not: keep names to 253 characters',
      { warning: true },
    );
  }
}

/** A document id is a path segment of the admin API (PUT /document/{id}): DGate cannot store one with a '/'. */
export function checkDocumentId(origin: Origin, id: string, place: string, report: Report): void {
  if (id === '') {
    report(
      'DG1011',
      origin,
      ['id'],
      `document id${place} is empty`,
      'DGate cannot store it (PUT /document/ has no id): give it an id',
    );
  } else if (id.includes('/')) {
    report(
      'DG1006',
      origin,
      ['id'],
      `document id ${JSON.stringify(id)}${place} has a '/'`,
      'DGate cannot store it: the id is one segment of the admin API\'s path; replace the slash, e.g. with "-"',
    );
  } else {
    checkName(origin, ['id'], id, 'document id', place, true, report);
  }
}

/**
 * Plain tags DGate stores as given, duplicates and white space included: warnings only. Selectors
 * are checked elsewhere. Each label is checked as it is sent (`\#x` is the label `#x`). The tags
 * dgate-cli writes for itself are refused where dgate-cli would misread them (reservedTagProblem).
 */
export function checkTags(
  origin: Origin,
  tags: readonly string[] | undefined,
  kind: KindKey,
  what: string,
  report: Report,
): void {
  const written = tags ?? [];
  const labels = written.map(labelOf);
  written.forEach((tag, i) => {
    if (isSelectorTag(tag)) return;
    const label = labels[i]!;
    const reserved = reservedTagProblem(kind, label);
    if (reserved) {
      report(
        'DG1122',
        origin,
        ['tags', i],
        `${what} has the tag ${JSON.stringify(label)}, ${reserved.message}`,
        reserved.hint,
        {
          warning: reserved.warning,
        },
      );
    }
    if (label === '') {
      report('DG1011', origin, ['tags', i], `${what} has an empty tag`, 'DGate stores it as given; remove it', {
        warning: true,
      });
    } else if (/\s/.test(label)) {
      report(
        'DG1012',
        origin,
        ['tags', i],
        `${what} has the tag ${JSON.stringify(label)}, with white space in it`,
        'DGate stores it as given, but tags are easier to select and search without white space, e.g. team:checkout',
        { warning: true },
      );
    }
  });
  for (const { index, first } of repeats(labels)) {
    if (isSelectorTag(written[index]!)) continue;
    report(
      'DG1010',
      origin,
      ['tags', index],
      `${what} lists the tag ${JSON.stringify(labels[index])} twice (items ${first + 1} and ${index + 1})`,
      'DGate stores it twice; remove the repeated tag',
      { warning: true },
    );
  }
}

/**
 * The tags dgate-cli writes for itself. DGate stores them like any other, so a user's resource
 * carrying one would be taken for dgate-cli's: refused where dgate-cli would then misbehave, a
 * warning where nothing reads it (the value-hash prefix on a kind that is not a secret).
 */
function reservedTagProblem(
  kind: KindKey,
  label: string,
): { message: string; hint: string; warning: boolean } | undefined {
  if (label === tombstoneTag) {
    return {
      message: 'which dgate-cli reserves for the tombstones a failed apply leaves on raft',
      hint: `dgate-cli would take this ${kinds[kind].singular} for a tombstone a failed apply left: get marks it, dump leaves it out, and a plan whose config does not declare it deletes it on a single node (lists it apart on raft), even outside --select-tag; use another tag`,
      warning: false,
    };
  }
  if (label.startsWith(canaryTagPrefix)) {
    return {
      message: `which starts with '${canaryTagPrefix}', the prefix dgate-cli reserves for the modules a route's canary compiles into`,
      hint: `plan would show this ${kinds[kind].singular}'s changes as a canary's weight instead of its fields; use another tag (a route's canary: block generates the module that carries it)`,
      warning: false,
    };
  }
  if (label.startsWith(secretHashTagPrefix)) {
    return kind === 'secrets'
      ? {
          message: `which starts with '${secretHashTagPrefix}', the prefix dgate-cli reserves for the keyed hash of a secret's value`,
          hint: 'dgate-cli would read it as the hash of the value it applied last and leave it out of the tags it compares, so plan would show a change after every apply; remove it (dgate-cli adds its own when DGATE_CLI_HASH_KEY is set)',
          warning: false,
        }
      : {
          message: `which starts with '${secretHashTagPrefix}', the prefix dgate-cli reserves for the keyed hash of a secret's value`,
          hint: `on a ${kinds[kind].singular} nothing reads it and DGate stores it as given, but on a secret it would be refused; use another tag`,
          warning: true,
        };
  }
  return undefined;
}

export function checkNamesAndTags(ns: LoadedNamespace, report: Report): void {
  const declaration = ns.declarations.find((d) => d.valid);
  if (declaration) checkName(declaration.origin, ['name'], ns.name, 'namespace name', '', true, report);
  // Tags may be set in several files (checkNamespaceTags makes them equal): each place is checked.
  for (const d of ns.declarations)
    if (d.valid) checkTags(d.origin, d.spec.tags, 'namespaces', `namespace '${ns.name}'`, report);
  for (const kind of specKinds) {
    for (const item of ns.resources[kind] as Declared<{ name: string; tags?: string[] }>[]) {
      if (!item.valid) continue;
      const what = `${kinds[kind].singular} '${ns.name}/${item.spec.name}'`;
      checkName(
        item.origin,
        ['name'],
        item.spec.name,
        `${kinds[kind].singular} name`,
        ` in namespace '${ns.name}'`,
        kindsThatNeedAName.has(kind),
        report,
      );
      checkTags(item.origin, item.spec.tags, kind, what, report);
    }
  }
  for (const collection of ns.resources.collections) {
    if (!collection.valid) continue;
    (collection.spec.documents ?? []).forEach((doc, i) => {
      const origin: Origin = { doc: collection.origin.doc, path: [...collection.origin.path, 'documents', i] };
      checkDocumentId(origin, doc.id, ` in collection '${ns.name}/${collection.spec.name}'`, report);
    });
  }
}

/** The index of each item listed before (DGate keeps such repeats, or drops them, but never refuses them). */
