/**
 * The `cache` input: the store's compressed blobs (issue 9's `system cache
 * export/import`: files of the runner user, never unpacked layers, which belong to
 * subordinate ids) carried between runs by @actions/cache.
 *
 * Keys: `burrow-blobs-<os>-<arch>-<images>-<digests>`, where <images> hashes the
 * references the step runs and <digests> the manifest digests they resolved to. Restore
 * cannot know the digests before the pull, so it asks for the newest cache of the same
 * images (a prefix match); after the pull the exact key is known, and the cache is saved
 * under it only when it differs from the one restored: a tag that moved makes a new
 * entry, an unchanged image set saves nothing.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as cache from '@actions/cache';
import { exportCache, importCache } from '../store/cache.js';
import type { Store } from '../store/store.js';
import { hostPlatform } from '../image/platform.js';

const short = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.RUNNER_TEMP ?? tmpdir(), 'burrow-blob-cache');
}

export function keyPrefix(images: readonly string[]): string {
  const { os, architecture } = hostPlatform();
  return `burrow-blobs-${os}-${architecture}-${short([...images].sort().join('\n'))}-`;
}

export function exactKey(images: readonly string[], manifestDigests: readonly string[]): string {
  return `${keyPrefix(images)}${short([...manifestDigests].sort().join('\n'))}`;
}

export interface Restored {
  /** The key of the cache restored; undefined: none (a miss, or no cache service). */
  key: string | undefined;
  images: number;
}

export async function restoreBlobs(store: Store, images: readonly string[], log: (line: string) => void): Promise<Restored> {
  if (!cache.isFeatureAvailable()) {
    log('cache: the runner offers no cache service here: the images are pulled');
    return { key: undefined, images: 0 };
  }
  const dir = cacheDir();
  const prefix = keyPrefix(images);
  const key = await cache.restoreCache([dir], `${prefix}none`, [prefix]);
  if (key === undefined) {
    log(`cache: no cache for these images yet (${prefix}…)`);
    return { key: undefined, images: 0 };
  }
  const result = await importCache(store, dir);
  for (const skipped of result.skipped) log(`cache: ${skipped.name} left out: ${skipped.why}`);
  log(`cache: restored ${key}: ${result.images.length} image(s), ${result.imported} blob(s) taken into the store`);
  return { key, images: result.images.length };
}

export async function saveBlobs(store: Store, images: readonly string[], manifestDigests: readonly string[], restoredKey: string | undefined, log: (line: string) => void): Promise<void> {
  if (!cache.isFeatureAvailable()) return;
  const key = exactKey(images, manifestDigests);
  if (key === restoredKey) {
    log(`cache: ${key} is up to date`);
    return;
  }
  const dir = cacheDir();
  const exported = await exportCache(store, dir, { images: [...images] });
  await cache.saveCache([dir], key);
  log(`cache: saved ${key}: ${exported.images.length} image(s), ${exported.blobs} blob(s)`);
}
