import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fsError } from '../errors.js';
import { readManifest } from '../image/local.js';
import { acquireLock } from './flock.js';
import { scratchOwnerGone } from './scratch.js';
import type { Store } from './store.js';

export interface GcResult {
  removedBlobs: number;
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
 * Deletes unreferenced blobs and leftovers of dead writers. Holds the store lock
 * exclusively, so no pull is between fetching blobs and naming them.
 */
export async function collectGarbage(store: Store, options: { wait?: boolean } = {}): Promise<GcResult | undefined> {
  const lock = options.wait === false ? await store.tryLockStoreExclusive() : await store.lockStore('exclusive');
  if (lock === undefined) return undefined;
  try {
    const reachable = reachableBlobs(store);
    let removedBlobs = 0;
    let reclaimedBytes = 0;
    for (const blob of listBlobs(store)) {
      if (reachable.has(blob.digest)) continue;
      rmSync(blob.path, { force: true });
      removedBlobs++;
      reclaimedBytes += blob.size;
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
          reclaimedBytes += statSync(path).size;
          rmSync(path, { recursive: true, force: true });
        } finally {
          blobLock?.release();
        }
      }
    }
    return { removedBlobs, reclaimedBytes };
  } catch (error) {
    throw fsError(error, 'collecting garbage in the store');
  } finally {
    lock.release();
  }
}
