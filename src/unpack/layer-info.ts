import { readFileSync } from 'node:fs';
import type { Store } from '../store/store.js';
import { layerInfoPath } from './paths.js';

/**
 * What an unpacked layer directory holds, as the extractor counted it once the
 * layer was complete (`native/burrow-unpack.c`, summarize): `system check`
 * walks the directory again and compares, so a layer damaged or cut short
 * after the fact is found. The directory itself cannot hold this (it is an
 * overlay lower directory: every file in it is in the container).
 */
export interface LayerSummary {
  /** Every inode under the layer's root (the root not counted): files, directories, links, whiteouts. */
  entries: number;
  /** The sum of regular files' sizes. */
  bytes: number;
  /** An order-independent hash (hex) of every entry's path, type, mode, owner, size and link target. */
  digest: string;
}

export interface LayerInfo {
  diffId: string;
  summary: LayerSummary;
}

export function readLayerInfo(store: Store, diffId: string): LayerInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(layerInfoPath(store, diffId), 'utf8')) as Partial<LayerInfo>;
    const summary = info.summary;
    if (info.diffId !== diffId || summary === undefined || typeof summary.entries !== 'number' || typeof summary.bytes !== 'number' || typeof summary.digest !== 'string') return undefined;
    return { diffId, summary: { entries: summary.entries, bytes: summary.bytes, digest: summary.digest } };
  } catch {
    return undefined;
  }
}
