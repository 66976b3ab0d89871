import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalImage } from '../image/local.js';
import type { Store } from '../store/store.js';
import type { IdMapping } from '../userns/idmap.js';
import { formatIdentity, isGone, parseIdentity, selfIdentity } from '../util/process-identity.js';

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

export interface EnsureLayersOptions {
  /**
   * The most a layer may hold uncompressed (maxLayerSize of burrow's config): a
   * gzip bomb stops there. Default: read from burrow's config when a layer needs
   * unpacking.
   */
  maxLayerSize?: number | undefined;
}

/** Makes sure every layer of the image is unpacked; returns their directories, lowest first. */
export async function ensureLayers(store: Store, image: LocalImage, mapping: IdMapping, onNote: (note: string) => void = () => {}, options: EnsureLayersOptions = {}): Promise<string[]> {
  const paths = image.config.rootfs.diff_ids.map((diffId) => layerPath(store, diffId));
  // The common case, every start: all unpacked, and the unpacking code (hashing,
  // decompressors, streams, locks) and the config are never loaded.
  if (paths.every((path) => existsSync(path))) return paths;
  mkdirSync(layersDir(store), { recursive: true });
  const ceiling = options.maxLayerSize ?? (await import('../config/config.js')).loadConfig().maxLayerSize;
  const { unpackLayer } = await import('./layer.js');
  const notes: string[] = [];
  await Promise.all(image.manifest.layers.map((_layer, index) => unpackLayer(store, image, index, mapping, ceiling, notes)));
  for (const note of notes) onNote(note);
  return paths;
}
