import { BurrowError } from '../errors.js';
import { collectGarbage, imagesInUse, type GcResult } from '../store/gc.js';
import type { ImageRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { findRecords, isDangling, readManifest } from './local.js';

export interface RemoveResult {
  untagged: string[];
  /** Image ids no record names any more. */
  deleted: string[];
  gc: GcResult | undefined;
}

function imageIdOf(store: Store, record: ImageRecord): string | undefined {
  try {
    return readManifest(store, record.manifest.digest).config.digest;
  } catch {
    return undefined;
  }
}

/**
 * `burrow rmi`: removes names, and the content no name needs any more. An image a
 * container uses stays unless forced; an id with several names needs force too.
 */
export async function removeImages(store: Store, queries: string[], options: { force?: boolean } = {}): Promise<RemoveResult> {
  const doomed = new Set<string>();
  for (const query of queries) {
    const matches = findRecords(store, query);
    if (matches.length === 0) {
      // Docker's rmi -f: an image that is not there is already removed (cleanup scripts rely on it).
      if (options.force === true) continue;
      throw new BurrowError('NOT_FOUND', `no such image: ${query}`);
    }
    const byId = /^(sha256:)?[a-f0-9]{4,64}$/.test(query) && !matches.some((record) => record.name.endsWith(`:${query}`));
    if (byId && matches.length > 1 && options.force !== true) {
      throw new BurrowError('IN_USE', `image ${query} has ${matches.length} names (${matches.map((record) => record.name).join(', ')}): remove them by name, or use --force`);
    }
    for (const record of matches) doomed.add(record.name);
  }
  const users = imagesInUse(store);
  const remaining = store.records().filter((record) => !doomed.has(record.name));
  const remainingIds = new Set(remaining.map((record) => imageIdOf(store, record)));
  const deleted = new Set<string>();
  for (const record of store.records().filter((candidate) => doomed.has(candidate.name))) {
    const id = imageIdOf(store, record);
    if (id === undefined || remainingIds.has(id)) continue;
    const containers = users.get(id);
    if (containers !== undefined && options.force !== true) {
      throw new BurrowError('IN_USE', `image ${record.name} is used by container ${containers.join(', ')}: remove the container first, or use --force`);
    }
    deleted.add(id);
  }
  await store.updateRecords((records) => {
    for (let at = records.length - 1; at >= 0; at--) if (doomed.has(records[at]!.name)) records.splice(at, 1);
  });
  // A pull in progress holds the store: its blobs wait for the next prune.
  const gc = await collectGarbage(store, { wait: false });
  return { untagged: [...doomed].filter((name) => !name.startsWith('@')), deleted: [...deleted], gc };
}

/** `system prune`: dangling images (all unused ones with `all`), then unreferenced blobs. */
export async function pruneImages(store: Store, options: { all?: boolean } = {}): Promise<RemoveResult> {
  const users = imagesInUse(store);
  const doomed = store.records().filter((record) => {
    if (isDangling(record)) return true;
    if (options.all !== true) return false;
    const id = imageIdOf(store, record);
    return id === undefined || !users.has(id);
  });
  const result: RemoveResult = { untagged: [], deleted: [], gc: undefined };
  if (doomed.length > 0) {
    const ids = doomed.map((record) => imageIdOf(store, record)).filter((id): id is string => id !== undefined);
    await store.updateRecords((records) => {
      for (let at = records.length - 1; at >= 0; at--) if (doomed.some((record) => record.name === records[at]!.name)) records.splice(at, 1);
    });
    const stillNamed = new Set(store.records().map((record) => imageIdOf(store, record)));
    result.untagged = doomed.map((record) => record.name).filter((name) => !name.startsWith('@'));
    result.deleted = [...new Set(ids)].filter((id) => !stillNamed.has(id));
  }
  result.gc = await collectGarbage(store);
  return result;
}

