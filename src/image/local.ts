import { BurrowError } from '../errors.js';
import { familiarName, formatReference, parseReference } from '../reference/reference.js';
import type { ImageRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ImageConfig, ImageManifest } from './types.js';
import { parseJson } from './validate.js';

export interface LocalImage {
  record: ImageRecord;
  manifest: ImageManifest;
  config: ImageConfig;
  /** Image id, as Docker: the config digest. */
  id: string;
}

// Stored manifests and configs were validated against their schemas before they
// were written (copy.ts) and are named by their digest: reading them back checks
// only the fields burrow relies on, since loading the validators would cost every
// container start more than the rest of the image lookup.

function damaged(what: string, digest: string): BurrowError {
  return new BurrowError('INVALID_MANIFEST', `the stored ${what} ${digest} is damaged: remove the image (burrow rmi) and pull it again`);
}

export function readManifest(store: Store, digest: string): ImageManifest {
  const manifest = parseJson(store.readBlob(digest), `stored manifest ${digest}`) as Partial<ImageManifest> | null;
  if (typeof manifest?.config?.digest !== 'string' || !Array.isArray(manifest.layers)) throw damaged('manifest', digest);
  return manifest as ImageManifest;
}

export function loadLocalImage(store: Store, record: ImageRecord): LocalImage {
  const manifest = readManifest(store, record.manifest.digest);
  const digest = manifest.config.digest;
  const config = parseJson(store.readBlob(digest), `stored config ${digest}`) as Partial<ImageConfig> | null;
  if (!Array.isArray(config?.rootfs?.diff_ids) || config.rootfs.diff_ids.length !== manifest.layers.length) throw damaged('config', digest);
  return { record, manifest, config: config as ImageConfig, id: digest };
}

/** True when the manifest, its config and every layer are in the store. */
export function isComplete(store: Store, manifestDigest: string): boolean {
  if (!store.hasBlob(manifestDigest)) return false;
  try {
    const manifest = readManifest(store, manifestDigest);
    return store.hasBlob(manifest.config.digest) && manifest.layers.every((layer) => store.hasBlob(layer.digest));
  } catch {
    return false;
  }
}

/** Untagged images (loaded without a name) are recorded as `@sha256:…`. */
export function isDangling(record: ImageRecord): boolean {
  return record.name.startsWith('@');
}

export function splitName(record: ImageRecord): { repository: string; tag: string } {
  if (isDangling(record)) return { repository: '<none>', tag: '<none>' };
  const ref = parseReference(record.name);
  return { repository: familiarName(ref), tag: ref.tag ?? '<none>' };
}

/**
 * Finds the records a user means: a name (`busybox`, `busybox:1`, full form),
 * an image id or a unique prefix of one, or a manifest digest.
 */
export function findRecords(store: Store, query: string): ImageRecord[] {
  const byId = findRecordsById(store, query);
  if (byId.length > 0) return byId;
  let name: string;
  try {
    name = formatReference(parseReference(query));
  } catch {
    return [];
  }
  return store.records().filter((record) => record.name === name);
}

/**
 * The records of the image whose id (or manifest digest), or a unique prefix of it,
 * `query` is; none when it is not one. What `save` tells apart: an image named by
 * its id is saved without its tags, as Docker's save does.
 */
export function findRecordsById(store: Store, query: string): ImageRecord[] {
  const records = store.records();
  const hexQuery = query.replace(/^sha256:/, '');
  if (/^[a-f0-9]{4,64}$/.test(hexQuery)) {
    const byId = records.filter((record) => {
      try {
        const manifest = readManifest(store, record.manifest.digest);
        return manifest.config.digest.slice('sha256:'.length).startsWith(hexQuery) || record.manifest.digest.slice('sha256:'.length).startsWith(hexQuery);
      } catch {
        return false;
      }
    });
    const ids = new Set(byId.map((record) => readManifest(store, record.manifest.digest).config.digest));
    if (ids.size > 1) throw new BurrowError('INVALID_ARGUMENT', `"${query}" matches ${ids.size} images: give more of the id`);
    return byId;
  }
  return [];
}

export function requireImage(store: Store, query: string): LocalImage {
  const records = findRecords(store, query);
  const first = records[0];
  if (first === undefined) throw new BurrowError('NOT_FOUND', `no such image: ${query} (see "burrow images", or pull it)`);
  return loadLocalImage(store, first);
}
