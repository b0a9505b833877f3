import type { Location } from '../errors/dgate-error.js';
import { locationOf, type Declared, type LoadedNamespace } from '../load/assemble.js';
import { evaluateSelectors, type Verdict } from './evaluate.js';
import { namespaceSelectors, selectorsIn, tagsOf, type Target } from './targets.js';

export interface Explanation {
  target: string;
  selected: boolean;
  /** The namespace's selectors, then the resource's own, each with its verdict and where it was written. */
  verdicts: (Verdict & { scope: 'namespace' | 'resource'; location: Location })[];
}

/** Why a resource is or is not selected for a target, selector by selector. */
export function explainSelection(
  ns: LoadedNamespace,
  resource: Declared<unknown> | null,
  target: Target,
  at: number,
): Explanation {
  const placed = [
    ...namespaceSelectors(ns).map((p) => ({ p, scope: 'namespace' as const })),
    ...(resource ? selectorsIn(tagsOf(resource), resource.origin).map((p) => ({ p, scope: 'resource' as const })) : []),
  ];
  const { selected, verdicts } = evaluateSelectors(
    placed.map((x) => x.p.selector),
    target.tags,
    at,
  );
  return {
    target: target.name,
    selected,
    verdicts: verdicts.map((v, i) => ({
      ...v,
      scope: placed[i]!.scope,
      location: locationOf(placed[i]!.p.origin, placed[i]!.p.path),
    })),
  };
}
