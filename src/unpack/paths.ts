import { join } from 'node:path';
import type { Store } from '../store/store.js';
import { formatIdentity, isGone, parseIdentity, selfIdentity } from '../util/process-identity.js';

/** Where unpacked layers, their info files and their scratch directories live (`layers/` of the store). */
export function layersDir(store: Store): string {
  return join(store.root, 'layers');
}

/** A layer's directory is named by its uncompressed digest (the config's diff_id). */
export function layerPath(store: Store, diffId: string): string {
  return join(layersDir(store), diffId.slice(diffId.indexOf(':') + 1));
}

const SCRATCH_PREFIX = '.unpacking-';

/**
 * Where a layer is unpacked before it is renamed into place:
 * `layers/.unpacking-<12 hex of the diff_id>.<PID.STARTTIME.BOOTID>`, named after
 * the process that unpacks it, so that garbage collection removes one only
 * when that process is provably gone (a kill mid-unpack leaves one behind).
 */
export function layerScratchPath(store: Store, diffId: string): string {
  const hex = diffId.slice(diffId.indexOf(':') + 1, diffId.indexOf(':') + 13);
  return join(layersDir(store), `${SCRATCH_PREFIX}${hex}.${formatIdentity(selfIdentity())}`);
}

/** Is `name` (an entry of `layers/`) an unpacking scratch directory? */
export function isLayerScratch(name: string): boolean {
  return name.startsWith(SCRATCH_PREFIX);
}

/**
 * May the layer scratch directory `name` be removed? Yes when the process that
 * made it is gone, or when its name does not say who made it (burrow before
 * scratch names carried an identity: `.unpacking-HEX-PID`).
 */
export function layerScratchOwnerGone(name: string): boolean {
  const owned = /^\.unpacking-[0-9a-f]{12}\.(.+)$/.exec(name);
  const owner = owned === null ? undefined : parseIdentity(owned[1]!);
  return owner === undefined || isGone(owner);
}

/**
 * `layers/<hex>.json`, next to `layers/<hex>`: written before the directory is
 * renamed into place, so a complete layer always has one (a `.json` without
 * its directory is the leftover of a killed unpack, rewritten by the next).
 */
export function layerInfoPath(store: Store, diffId: string): string {
  return join(layersDir(store), `${diffId.slice(diffId.indexOf(':') + 1)}.json`);
}
