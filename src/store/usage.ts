import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { containerState } from '../container/state.js';
import { CONTAINER_ID, containerDir, readRecord, type ContainerRecord } from '../container/record.js';
import { listVolumes } from '../container/volumes.js';
import { loadLocalImage } from '../image/local.js';
import { treeSize } from '../util/tree-size.js';
import { imagesInUse, listBlobs } from './gc.js';
import { containerLayers, layerBytes, layerEntryPath, listLayerEntries } from './layers.js';
import type { Store } from './store.js';

/** Every container whose record reads whole (a damaged one is system check's to report, not df's to fail on). */
function containerRecords(store: Store): ContainerRecord[] {
  if (!existsSync(store.paths.containers)) return [];
  const records: ContainerRecord[] = [];
  for (const id of readdirSync(store.paths.containers)) {
    if (!CONTAINER_ID.test(id)) continue;
    try {
      const record = readRecord(store, id);
      if (record !== undefined && Array.isArray(record.plan.mounts)) records.push(record);
    } catch {
      // Damaged.
    }
  }
  return records;
}

export interface UsageRow {
  type: 'Images' | 'Containers' | 'Local Volumes' | 'Layers (unpacked)';
  total: number;
  active: number;
  size: number;
  reclaimable: number;
}

export interface DiskUsage {
  root: string;
  rows: UsageRow[];
}

/**
 * Images, as Docker counts them: every blob once however many images share it;
 * active = used by a container; reclaimable = what no container's image needs
 * (`system prune -a` removes it), including blobs no image names any more (left
 * by an `rmi` that ran beside a pull: the next prune removes them).
 */
function imagesRow(store: Store, inUse: Map<string, string[]>): UsageRow {
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
  const blobs = listBlobs(store);
  const sum = (list: typeof blobs): number => list.reduce((total, blob) => total + blob.size, 0);
  return { type: 'Images', total: ids.size, active: [...ids].filter((id) => inUse.has(id)).length, size: sum(blobs), reclaimable: sum(blobs.filter((blob) => !activeBlobs.has(blob.digest))) };
}

/**
 * A container's writable layer as Docker's `ps -s` and `system df` count it:
 * `upper/` for the overlays (the mounted `merged/` is an empty directory from
 * the host), `merged/` for the copy driver's own copy (all of it: that driver has
 * no layer of changes apart).
 */
export function writableLayerSize(store: Store, record: ContainerRecord): number {
  const dir = containerDir(store, record.id);
  return treeSize(join(dir, 'upper')) + treeSize(join(dir, 'merged'));
}

/**
 * Docker's `ps -s`: the writable layer (SizeRw) and the whole root file system
 * the container sees (SizeRootFs, "virtual"): that layer and the image's
 * unpacked layers under it (none once the copy driver has its own copy).
 */
export function containerSize(store: Store, record: ContainerRecord): { rw: number; rootFs: number } {
  const rw = writableLayerSize(store, record);
  const lowers = containerLayers(store, record.id)[0]?.layers ?? [];
  return { rw, rootFs: rw + lowers.reduce((total, hex) => total + layerBytes(store, hex), 0) };
}

/**
 * Containers, as Docker counts them: active = running; size = their writable
 * layers (`upper/` for the overlays, `merged/` for the copy driver's own copy),
 * as far as lstat sees them from the host; reclaimable = the size of those not
 * running (`burrow container prune`).
 */
function containersRow(store: Store, records: ContainerRecord[]): UsageRow {
  const row: UsageRow = { type: 'Containers', total: 0, active: 0, size: 0, reclaimable: 0 };
  for (const record of records) {
    const size = writableLayerSize(store, record);
    const running = containerState(store, record).status === 'running';
    row.total++;
    row.size += size;
    if (running) row.active++;
    else row.reclaimable += size;
  }
  return row;
}

/** Volumes, as Docker counts them: active = bound by some container; reclaimable = the size of the others (`volume prune`). */
function volumesRow(store: Store, records: ContainerRecord[]): UsageRow {
  const row: UsageRow = { type: 'Local Volumes', total: 0, active: 0, size: 0, reclaimable: 0 };
  const volumes = listVolumes(store);
  if (volumes.length === 0) return row;
  const bound = new Set(records.flatMap((record) => record.plan.mounts.filter((mount) => mount.kind === 'bind').map((mount) => mount.source)));
  for (const volume of volumes) {
    const size = treeSize(volume.Mountpoint);
    row.total++;
    row.size += size;
    if (bound.has(volume.Mountpoint)) row.active++;
    else row.reclaimable += size;
  }
  return row;
}

/**
 * burrow's own row: the unpacked layers (`layers/`), sized by their info files
 * (no walk, no process), else by what lstat sees. Active = a container's root
 * is made of it; reclaimable = the others (an image's layer goes with the
 * image, `system prune -a`), and the leftovers of killed unpacks and removals
 * (`system prune`).
 */
function layersRow(store: Store): UsageRow {
  const row: UsageRow = { type: 'Layers (unpacked)', total: 0, active: 0, size: 0, reclaimable: 0 };
  const entries = listLayerEntries(store);
  const active = new Set(containerLayers(store).flatMap((container) => container.layers));
  for (const hex of entries.layers) {
    const size = layerBytes(store, hex);
    row.total++;
    row.size += size;
    if (active.has(hex)) row.active++;
    else row.reclaimable += size;
  }
  for (const name of [...entries.scratch, ...entries.retired]) {
    const size = treeSize(layerEntryPath(store, name));
    row.size += size;
    row.reclaimable += size;
  }
  return row;
}

/** `system df`: Docker's rows (Images, Containers, Local Volumes) and burrow's unpacked layers. */
export function diskUsage(store: Store): DiskUsage {
  const records = containerRecords(store);
  return {
    root: store.root,
    rows: [imagesRow(store, imagesInUse(store)), containersRow(store, records), volumesRow(store, records), layersRow(store)],
  };
}
