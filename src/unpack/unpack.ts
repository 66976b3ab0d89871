import { existsSync, mkdirSync } from 'node:fs';
import type { LocalImage } from '../image/local.js';
import type { Store } from '../store/store.js';
import type { IdMapping } from '../userns/idmap.js';
import { layerPath, layersDir } from './paths.js';

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
