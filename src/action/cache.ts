/**
 * The `cache` input: the store's compressed blobs (issue 9's `system cache
 * export/import`: files of the runner user, never unpacked layers, which belong to
 * subordinate ids) carried between runs by @actions/cache.
 *
 * Keys: `burrow-blobs-<os>-<arch>-<images>-<digests>-<run>`, where <images> hashes the
 * references the step runs, <digests> the manifest digests they resolved to, and <run>
 * names the workflow run and attempt that saved it. Restore cannot know the digests
 * before the pull, so it asks for the newest cache of the same images (a prefix match);
 * after the pull the content is known, and a cache is saved only when the one restored
 * holds other content (a tag that moved) or could not be used (damaged, or cut short):
 * an unchanged image set saves nothing.
 *
 * Why <run>: the service's entries are immutable (a second save of a key is refused),
 * and a prefix match restores the newest. With the run in the key, the save after a
 * damaged restore, or after a tag moved back to content cached long ago, is a new
 * entry, and the newest: the next run restores it. Without it, a damaged entry of the
 * same content would be restored, fail, and be kept, on every run. (Jobs of one run
 * share the key: the first saves, the others' saves are refused, and nothing is lost.)
 */
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import * as cache from '@actions/cache';
import { exportCache, importCache, type CacheImportResult } from '../store/cache.js';
import type { Store } from '../store/store.js';
import { findRecords } from '../image/local.js';
import { hostPlatform } from '../image/platform.js';
import { randomBytes } from '../util/random.js';

const short = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.RUNNER_TEMP ?? tmpdir(), 'burrow-blob-cache');
}

export function keyPrefix(images: readonly string[]): string {
  const { os, architecture } = hostPlatform();
  return `burrow-blobs-${os}-${architecture}-${short([...images].sort().join('\n'))}-`;
}

/** What a cache of these images holds: the prefix and the manifest digests. */
export function contentKey(images: readonly string[], manifestDigests: readonly string[]): string {
  return `${keyPrefix(images)}${short([...manifestDigests].sort().join('\n'))}`;
}

/** The key a save uses: the content, then the run and attempt (outside a workflow run: a random name). */
export function saveKey(images: readonly string[], manifestDigests: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const run = env.GITHUB_RUN_ID === undefined || env.GITHUB_RUN_ID === '' ? `local${randomBytes(4).toString('hex')}` : `${env.GITHUB_RUN_ID}.${env.GITHUB_RUN_ATTEMPT ?? '1'}`;
  return `${contentKey(images, manifestDigests)}-${run}`;
}

/** Does the entry `key` hold exactly this content? (A key of the content alone: an entry saved before <run> was in keys.) */
export function holdsContent(key: string, images: readonly string[], manifestDigests: readonly string[]): boolean {
  const content = contentKey(images, manifestDigests);
  return key === content || key.startsWith(`${content}-`);
}

/** The manifest digests of the store's records of `images`; an image the store lacks (a job that stopped before pulling it) is left out. */
export function manifestDigestsOf(store: Store, images: readonly string[]): string[] {
  return images.flatMap((image) => findRecords(store, image).slice(0, 1).map((record) => record.manifest.digest));
}

export interface Restored {
  /** The key of the entry found; undefined: none (a miss, or no cache service). */
  key: string | undefined;
  images: number;
  /** An entry was found but could not be used whole (a broken download or archive, a damaged blob): save a new one. */
  damaged: boolean;
}

const MISS: Restored = { key: undefined, images: 0, damaged: false };

export async function restoreBlobs(store: Store, images: readonly string[], log: (line: string) => void): Promise<Restored> {
  if (!cache.isFeatureAvailable()) {
    log('cache: the runner offers no cache service here: the images are pulled');
    return MISS;
  }
  const dir = cacheDir();
  // Empty first: what an earlier job left here (a self-hosted runner's temp) or half an
  // archive must not mix into this one, and the directory of a save holds hard links
  // to the store's blobs, which an archive unpacked over them would rewrite in place.
  rmSync(dir, { recursive: true, force: true });
  const prefix = keyPrefix(images);
  const primary = `${prefix}none`;
  try {
    // @actions/cache reports a failed download or unpack as a warning, and returns no key.
    const key = await cache.restoreCache([dir], primary, [prefix]);
    if (key === undefined) {
      // A miss, or an entry that could not be restored: only a lookup tells them apart.
      const found = await cache.restoreCache([dir], primary, [prefix], { lookupOnly: true });
      if (found === undefined) {
        log(`cache: no cache for these images yet (${prefix}…)`);
        return MISS;
      }
      log(`cache: ${found} could not be restored (see the warning above): the images are pulled, and a new cache saved`);
      return { key: found, images: 0, damaged: true };
    }
    let result: CacheImportResult;
    try {
      result = await importCache(store, dir);
    } catch (error) {
      // A cache is an optimisation: one that cannot be read costs a pull, never the job.
      log(`cache: ${key} is unusable (${(error as Error).message}): the images are pulled, and a new cache saved`);
      return { key, images: 0, damaged: true };
    }
    for (const skipped of result.skipped) log(`cache: ${skipped.name} left out: ${skipped.why}`);
    log(`cache: restored ${key}: ${result.images.length} image(s), ${result.imported} blob(s) taken into the store`);
    return { key, images: result.images.length, damaged: !result.found || result.skipped.length > 0 || result.images.length === 0 };
  } finally {
    // What was taken is in the store now (copied, checked); the rest is of no use.
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function saveBlobs(store: Store, images: readonly string[], manifestDigests: readonly string[], restored: Restored | undefined, log: (line: string) => void): Promise<void> {
  if (!cache.isFeatureAvailable()) return;
  if (restored?.key !== undefined && !restored.damaged && holdsContent(restored.key, images, manifestDigests)) {
    log(`cache: ${restored.key} is up to date`);
    return;
  }
  const key = saveKey(images, manifestDigests);
  const dir = cacheDir();
  // A fresh export: nothing of a restore that failed half way is carried into the new cache.
  rmSync(dir, { recursive: true, force: true });
  try {
    // The key names every image of the step (the prefix a restore asks for); the cache holds those pulled.
    const present = images.filter((image) => findRecords(store, image).length > 0);
    const exported = await exportCache(store, dir, { images: present });
    for (const skipped of exported.skipped) log(`cache: ${skipped.name} left out: ${skipped.why}`);
    if (present.length === 0 || exported.images.length === 0) {
      log('cache: nothing whole to save');
      return;
    }
    // -1: the service refused the key (another job of this run saved it first) or the
    // upload failed; @actions/cache has said which.
    const id = await cache.saveCache([dir], key);
    if (id === -1) log(`cache: ${key} not saved (see above)`);
    else log(`cache: saved ${key}: ${exported.images.length} image(s), ${exported.blobs} blob(s)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
