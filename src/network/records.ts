import type { Store } from '../store/store.js';
import type { NetworkAttachment } from './types.js';

/**
 * User-defined networks' records (`<store>/networks/<id>.json`) and the addresses
 * given to their members. (Interface fixed for issue 11's helpers; net-user implements it.)
 */
export interface NetworkRecord {
  id: string;
  name: string;
  subnet: string;
  gateway?: string | undefined;
  internal: boolean;
  created: string;
  labels: Record<string, string>;
}

/** The network by name or id (unique prefix), if there is one. */
export function findNetwork(_store: Store, _nameOrId: string): NetworkRecord | undefined {
  return undefined;
}

/** Gives a container an address on the network (under its lock), for create and `network connect`. */
export function joinNetwork(_store: Store, network: NetworkRecord, _containerId: string, _aliases: string[], _mac?: string): NetworkAttachment {
  throw new Error(`user-defined networks are not implemented yet: ${network.name}`);
}
