import type { Collection, Domain, Module, Resources, Secret } from '../schema/generated/desired-state.js';

/** A sensitive value as it is compared: a sha256 of it, held in memory only and never rendered. */
export interface SensitiveDigest {
  digest: string;
}

/**
 * The live cluster in the canonical form, minus what DGate cannot give back: module types,
 * collection types and secret values are never returned, and domain keys are reduced to a digest
 * the moment they are read.
 */
export interface LiveResources extends Omit<Resources, 'modules' | 'collections' | 'secrets' | 'domains'> {
  modules: Omit<Module, 'moduleType'>[];
  collections: Omit<Collection, 'type'>[];
  /** `data` holds the keyed hash from the secret's dgate-cli tag, when it has one. */
  secrets: (Omit<Secret, 'data'> & { data?: SensitiveDigest })[];
  domains: (Omit<Domain, 'key'> & { key?: SensitiveDigest })[];
}
