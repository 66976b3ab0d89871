import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fsError } from '../errors.js';
import { readManifest } from '../image/local.js';
import { removeAllInUserNamespace } from '../unpack/remove.js';
import { layerInfoPath, layerPath, layerScratchOwnerGone } from '../unpack/paths.js';
import { idMapping } from '../userns/idmap.js';
import { treeSize } from '../util/tree-size.js';
import { acquireLock } from './flock.js';
import { layerBytes, layerEntryPath, listLayerEntries, neededLayers, orphanContainerDirs, retiredContainerDirs, retireLayer, tryLockLayer } from './layers.js';
import { scratchOwnerGone } from './scratch.js';
import { CONTAINER_ID } from '../container/record.js';
import type { Store } from './store.js';

export interface GcResult {
  removedBlobs: number;
  /** Diff ids of the unpacked layers removed. */
  removedLayers: string[];
  /** Leftovers of processes that are gone: partial downloads, scratch directories, a layer's info file without its layer. */
  removedLeftovers: number;
  reclaimedBytes: number;
}

/** Every blob some image record still needs. */
export function reachableBlobs(store: Store): Set<string> {
  const reachable = new Set<string>();
  for (const record of store.records()) {
    reachable.add(record.manifest.digest);
    reachable.add(record.sourceDigest);
    try {
      const manifest = readManifest(store, record.manifest.digest);
      reachable.add(manifest.config.digest);
      for (const layer of manifest.layers) reachable.add(layer.digest);
    } catch {
      // A record whose manifest is gone keeps nothing alive.
    }
  }
  return reachable;
}

export interface BlobFile {
  digest: string;
  path: string;
  size: number;
}

export function listBlobs(store: Store): BlobFile[] {
  const result: BlobFile[] = [];
  const root = store.paths.blobs;
  if (!existsSync(root)) return result;
  for (const algorithm of readdirSync(root)) {
    for (const hex of readdirSync(join(root, algorithm))) {
      const path = join(root, algorithm, hex);
      result.push({ digest: `${algorithm}:${hex}`, path, size: statSync(path).size });
    }
  }
  return result;
}

/** Images that containers still use, by image id (`containers/<id>/container.json`). */
export function imagesInUse(store: Store): Map<string, string[]> {
  const users = new Map<string, string[]>();
  if (!existsSync(store.paths.containers)) return users;
  for (const id of readdirSync(store.paths.containers)) {
    if (!CONTAINER_ID.test(id)) continue;
    try {
      const container = JSON.parse(readFileSync(join(store.paths.containers, id, 'container.json'), 'utf8')) as { image?: { id?: string }; name?: string };
      const imageId = container.image?.id;
      if (imageId !== undefined) users.set(imageId, [...(users.get(imageId) ?? []), container.name ?? id.slice(0, 12)]);
    } catch {
      // Not a container directory (or one being written): not a user.
    }
  }
  return users;
}

/**
 * Unpacked layers no image record and no container needs, what killed unpacks
 * and removals left in `layers/`, and container directories a killed create
 * left. A layer an unpack holds the lock of is left alone (its directory may be
 * appearing now); a scratch directory goes only when the process that made it
 * is gone. Every tree goes in one `rm` inside the user namespace (their files
 * belong to subordinate ids).
 */
async function collectTrees(store: Store, result: GcResult): Promise<void> {
  const entries = listLayerEntries(store);
  const needed = neededLayers(store);
  const doomed: string[] = [];
  for (const hex of entries.layers) {
    if (needed.has(hex)) continue;
    const lock = await tryLockLayer(store, hex);
    if (lock === undefined) continue;
    try {
      result.reclaimedBytes += layerBytes(store, hex);
      doomed.push(retireLayer(store, hex));
      result.removedLayers.push(`sha256:${hex}`);
    } finally {
      lock.release();
    }
  }
  const layers = new Set(entries.layers);
  for (const hex of entries.infos) {
    if (layers.has(hex)) continue;
    // An unpack writes the info file before it renames the layer into place, under the layer's lock.
    const lock = await tryLockLayer(store, hex);
    if (lock === undefined) continue;
    try {
      if (existsSync(layerPath(store, `sha256:${hex}`))) continue;
      rmSync(layerInfoPath(store, `sha256:${hex}`), { force: true });
      result.removedLeftovers++;
    } finally {
      lock.release();
    }
  }
  // A removal cut short (.removing-…) is finished by whichever collection comes next: they hold the store lock in turn.
  for (const name of [...entries.scratch.filter((scratch) => layerScratchOwnerGone(scratch)), ...entries.retired]) {
    const path = layerEntryPath(store, name);
    result.reclaimedBytes += treeSize(path);
    doomed.push(path);
    result.removedLeftovers++;
  }
  for (const dir of [...orphanContainerDirs(store), ...retiredContainerDirs(store)]) {
    result.reclaimedBytes += treeSize(dir);
    doomed.push(dir);
    result.removedLeftovers++;
  }
  await removeAllInUserNamespace(doomed, idMapping());
}

/**
 * Deletes unreferenced blobs, unpacked layers nothing needs, and leftovers of
 * dead writers. Holds the store lock exclusively, so no pull is between
 * fetching blobs and naming them.
 */
export async function collectGarbage(store: Store, options: { wait?: boolean } = {}): Promise<GcResult | undefined> {
  const lock = options.wait === false ? await store.tryLockStoreExclusive() : await store.lockStore('exclusive');
  if (lock === undefined) return undefined;
  try {
    const reachable = reachableBlobs(store);
    const result: GcResult = { removedBlobs: 0, removedLayers: [], removedLeftovers: 0, reclaimedBytes: 0 };
    for (const blob of listBlobs(store)) {
      if (reachable.has(blob.digest)) continue;
      rmSync(blob.path, { force: true });
      result.removedBlobs++;
      result.reclaimedBytes += blob.size;
    }
    // Partial downloads are kept for resuming, unless their blob's lock is free,
    // which means no process is writing them: they go with the prune. Scratch
    // directories go when the process that made them is gone.
    if (existsSync(store.paths.tmp)) {
      for (const name of readdirSync(store.paths.tmp)) {
        const path = join(store.paths.tmp, name);
        // A scratch directory of a load or save still running is theirs, not garbage.
        if (!name.endsWith('.partial') && !scratchOwnerGone(name, statSync(path).mtimeMs)) continue;
        const lockName = name.endsWith('.partial') ? `blob-${name.slice(0, -'.partial'.length)}.lock` : undefined;
        let busy = false;
        const blobLock = lockName === undefined ? undefined : await acquireLock(join(store.paths.locks, lockName), { onWait: () => { busy = true; }, shouldStop: () => busy });
        if (lockName !== undefined && blobLock === undefined) continue;
        try {
          result.reclaimedBytes += name.endsWith('.partial') ? statSync(path).size : treeSize(path);
          rmSync(path, { recursive: true, force: true });
          result.removedLeftovers++;
        } finally {
          blobLock?.release();
        }
      }
    }
    await collectTrees(store, result);
    return result;
  } catch (error) {
    throw fsError(error, 'collecting garbage in the store');
  } finally {
    lock.release();
  }
}
