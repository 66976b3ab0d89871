import { loadLocalImage } from '../image/local.js';
import { imagesInUse, listBlobs, reachableBlobs } from './gc.js';
import type { Store } from './store.js';

export interface UsageRow {
  type: 'Images' | 'Containers' | 'Unreferenced blobs';
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

export interface DiskUsage {
  root: string;
  rows: UsageRow[];
}

/** `system df`: blobs shared by several images are counted once. */
export function diskUsage(store: Store): DiskUsage {
  const blobs = listBlobs(store);
  const reachable = reachableBlobs(store);
  const inUse = imagesInUse(store);
  const ids = new Set<string>();
  const activeBlobs = new Set<string>();
  for (const record of store.records()) {
    try {
      const image = loadLocalImage(store, record);
      ids.add(image.id);
      if (inUse.has(image.id)) {
        for (const digest of [record.manifest.digest, record.sourceDigest, image.id, ...image.manifest.layers.map((layer) => layer.digest)]) activeBlobs.add(digest);
      }
    } catch {
      // An incomplete record counts for nothing.
    }
  }
  const sum = (list: typeof blobs): number => list.reduce((total, blob) => total + blob.size, 0);
  const referenced = blobs.filter((blob) => reachable.has(blob.digest));
  const unreferenced = blobs.filter((blob) => !reachable.has(blob.digest));
  return {
    root: store.root,
    rows: [
      { type: 'Images', total: ids.size, active: [...ids].filter((id) => inUse.has(id)).length, size: sum(referenced), reclaimable: sum(referenced.filter((blob) => !activeBlobs.has(blob.digest))) },
      { type: 'Containers', total: [...inUse.values()].reduce((total, names) => total + names.length, 0), active: 0, size: 0, reclaimable: 0 },
      { type: 'Unreferenced blobs', total: unreferenced.length, active: 0, size: sum(unreferenced), reclaimable: sum(unreferenced) },
    ],
  };
}
