import type { LiveRead } from '../../src/model/api-types.js';
import { emptyResources } from '../../src/model/registry.js';
import type { LiveResources } from '../../src/state/live-state.js';

/** In-memory builders the unit tests share: no disk, no cluster. */

/** A read of a single node with nothing in it, but what `parts` says. */
export function liveReadOf(parts: Partial<LiveRead> = {}): LiveRead {
  return {
    adminUrl: 'http://127.0.0.1:9080',
    allNamespaces: [],
    namespaces: [],
    services: [],
    modules: [],
    routes: [],
    domains: [],
    collections: [],
    secrets: [],
    documents: [],
    unreadableDocumentCollections: [],
    raft: false,
    ...parts,
  };
}

/** A normalized live state with nothing in it, but what `parts` says. */
export function liveStateOf(parts: Partial<LiveResources> = {}): LiveResources {
  return { ...(emptyResources() as unknown as LiveResources), ...parts };
}
