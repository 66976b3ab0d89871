import { closeSync, copyFileSync, createReadStream, createWriteStream, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BurrowError, errnoOf, fsError, type ErrorCode } from '../errors.js';
import { findRecords, isComplete, isDangling, readManifest } from '../image/local.js';
import { parseJson, validateConfig, validateIndex, validateManifest } from '../image/validate.js';
import { formatReference, parseReference } from '../reference/reference.js';
import { parseDigest } from '../util/digest.js';
import { hasherFor } from '../util/hash.js';
import { randomBytes } from '../util/random.js';
import { writeFileAtomic } from './atomic.js';
import { blobPath, storePaths } from './layout.js';
import { readRecords, recordsFile, upsertRecord, type ImageRecord } from './records.js';
import type { Store } from './store.js';

/**
 * A cache CI can carry between runs (`burrow system cache export|import DIR`).
 *
 * The store itself cannot be cached as it is: its unpacked layers and
 * containers hold files of subordinate ids, which the user (and actions/cache)
 * cannot read, and restoring `blobs/` and `index.json` over a store would
 * neither check the content nor merge the names. So a cache is its own
 * directory, an OCI image layout (skopeo and umoci read it too):
 *
 *     DIR/burrow-cache.json    marks DIR as a cache export may rewrite
 *     DIR/oci-layout
 *     DIR/index.json           the image records, as the store's index.json
 *     DIR/blobs/sha256/<hex>   compressed layers, manifests, configs
 *
 * Only the user's files, never an unpacked layer. Export is incremental: a
 * blob already in DIR is not written again, a new one is hard-linked from the
 * store when DIR is on the same file system (else copied), and blobs no
 * exported image needs any more are removed, so the cache does not grow
 * without bound. Import hashes every blob before it enters the store (copied
 * to the store's tmp/, checked, renamed: atomic per blob), validates manifests
 * and configs as a pull does, and then merges the names: as with `docker load`,
 * an imported name wins over the store's, and the result says which it replaced.
 */

const MARKER = 'burrow-cache.json';
/** Manifests, configs and indexes are read whole to validate them: no larger than a registry or a pull would accept. */
const MAX_JSON_BLOB = 8 * 1024 * 1024;

export interface CacheExportResult {
  dir: string;
  /** Names of the images written. */
  images: string[];
  /** Images left out: their content is not whole in the store. */
  skipped: Array<{ name: string; why: string }>;
  blobs: number;
  /** Blobs already in DIR (same digest and size). */
  present: number;
  linked: number;
  copied: number;
  /** Bytes of the blobs copied (hard links cost none). */
  copiedBytes: number;
  /** Blobs DIR held that no exported image needs. */
  removed: number;
}

export interface CacheImportResult {
  dir: string;
  /** False when DIR does not exist: a cache miss, nothing to import. */
  found: boolean;
  images: Array<{ name: string; id: string; replaced?: string | undefined }>;
  skipped: Array<{ name: string; why: string }>;
  /** Blobs taken into the store. */
  imported: number;
  importedBytes: number;
  /** Blobs the store already had. */
  present: number;
}

function isInside(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}${sep}`);
}

/** DIR may be written as a cache: new, empty, or a cache export made. */
function prepareCacheDir(store: Store, dir: string): void {
  const root = resolve(store.root);
  if (isInside(dir, root) || isInside(root, dir)) {
    throw new BurrowError('INVALID_ARGUMENT', `the cache ${dir} and the store ${root} overlap: export to a directory outside the store`);
  }
  try {
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new BurrowError('INVALID_ARGUMENT', `${dir} is not a directory: export the cache to a directory`);
      if (readdirSync(dir).length > 0 && !existsSync(join(dir, MARKER))) {
        throw new BurrowError('INVALID_ARGUMENT', `${dir} is not empty and holds no burrow cache (no ${MARKER}): export to a new or empty directory`);
      }
    }
    mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fsError(error, `preparing the cache ${dir}`);
  }
}

/** The blobs an image record needs, manifest first; the index it was chosen from too, when the store has it. */
function recordBlobs(store: Store, record: ImageRecord): string[] {
  const manifest = readManifest(store, record.manifest.digest);
  const digests = [record.manifest.digest, manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)];
  if (record.sourceDigest !== record.manifest.digest && store.hasBlob(record.sourceDigest)) digests.push(record.sourceDigest);
  return digests;
}

/** Puts `source` at `target` (new): a hard link when the two are on one file system, else a copy; renamed into place, so a name in DIR is always whole. */
function placeBlob(source: string, target: string): 'linked' | 'copied' {
  const temp = join(dirname(target), `.${randomBytes(6).toString('hex')}.tmp`);
  let how: 'linked' | 'copied' = 'linked';
  try {
    linkSync(source, temp);
  } catch (error) {
    // EXDEV: another file system; EPERM: fs.protected_hardlinks or a file system without links; EMLINK: too many links.
    if (!['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes(errnoOf(error) ?? '')) throw error;
    copyFileSync(source, temp);
    how = 'copied';
  }
  try {
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  return how;
}

/**
 * Writes the images (all, or those `images` names) to the cache DIR. Holds the
 * store lock shared, so no garbage collection removes a blob under it.
 */
export async function exportCache(store: Store, target: string, options: { images?: string[]; signal?: AbortSignal | undefined } = {}): Promise<CacheExportResult> {
  const dir = resolve(target);
  const records = options.images === undefined || options.images.length === 0
    ? store.records()
    : [...new Map(options.images.flatMap((query) => {
      const found = findRecords(store, query);
      if (found.length === 0) throw new BurrowError('NOT_FOUND', `no such image: ${query} (see "burrow images")`);
      return found.map((record): [string, ImageRecord] => [record.name, record]);
    })).values()];
  prepareCacheDir(store, dir);
  const result: CacheExportResult = { dir, images: [], skipped: [], blobs: 0, present: 0, linked: 0, copied: 0, copiedBytes: 0, removed: 0 };
  const lock = await store.lockStore('shared', options.signal);
  try {
    const exported: ImageRecord[] = [];
    const wanted = new Set<string>();
    for (const record of records) {
      if (!isComplete(store, record.manifest.digest)) {
        result.skipped.push({ name: record.name, why: 'its content is not whole in the store (see burrow system check)' });
        continue;
      }
      for (const digest of recordBlobs(store, record)) wanted.add(digest);
      exported.push(record);
    }
    for (const digest of wanted) {
      options.signal?.throwIfAborted();
      const { algorithm, hex } = parseDigest(digest);
      const source = store.blobPath(digest);
      const destination = join(dir, 'blobs', algorithm, hex);
      const size = statSync(source).size;
      result.blobs++;
      if (existsSync(destination) && statSync(destination).size === size) {
        result.present++;
        continue;
      }
      mkdirSync(dirname(destination), { recursive: true, mode: 0o700 });
      if (placeBlob(source, destination) === 'linked') result.linked++;
      else {
        result.copied++;
        result.copiedBytes += size;
      }
    }
    // The names last: a cache cut short names nothing it lacks.
    writeFileAtomic(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    writeFileAtomic(join(dir, 'index.json'), recordsFile(exported));
    writeFileAtomic(join(dir, MARKER), `${JSON.stringify({ format: 1, exported: new Date().toISOString() })}\n`);
    for (const algorithm of readdirSync(join(dir, 'blobs'))) {
      for (const name of readdirSync(join(dir, 'blobs', algorithm))) {
        if (wanted.has(`${algorithm}:${name}`)) continue;
        rmSync(join(dir, 'blobs', algorithm, name), { recursive: true, force: true });
        if (!name.startsWith('.')) result.removed++;
      }
    }
    result.images = exported.map((record) => record.name);
    return result;
  } catch (error) {
    throw fsError(error, `exporting the cache to ${dir}`);
  } finally {
    lock.release();
  }
}

/** A cache's blob file, or undefined when DIR lacks it. */
function cacheBlob(dir: string, digest: string): string | undefined {
  const { algorithm, hex } = parseDigest(digest);
  const path = join(dir, 'blobs', algorithm, hex);
  return existsSync(path) ? path : undefined;
}

/** What makes import skip one image rather than stop. */
const SKIPS: ErrorCode[] = ['INVALID_MANIFEST', 'INVALID_REFERENCE', 'DIGEST_MISMATCH', 'NOT_FOUND'];

class Importer {
  private scratch: string | undefined;
  /** Blobs taken or found already (images share layers). */
  private readonly seen = new Set<string>();
  imported = 0;
  importedBytes = 0;
  present = 0;

  constructor(private readonly store: Store, private readonly dir: string, private readonly signal: AbortSignal | undefined) {}

  private scratchDir(): string {
    this.scratch ??= this.store.scratchDir('import');
    return this.scratch;
  }

  /**
   * Takes the cache's blob into the store: copied into the store's tmp/ while
   * hashed, fsynced, renamed into blobs/ only if it hashes to its name. Throws
   * a one-line reason when DIR lacks it or it does not match.
   */
  async take(digest: string): Promise<void> {
    if (this.seen.has(digest)) return;
    if (this.store.hasBlob(digest)) {
      this.seen.add(digest);
      this.present++;
      return;
    }
    const source = cacheBlob(this.dir, digest);
    if (source === undefined) throw new BurrowError('NOT_FOUND', `the cache lacks blob ${digest}`);
    const temp = join(this.scratchDir(), parseDigest(digest).hex);
    const hash = hasherFor(digest);
    let bytes = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        hash.update(chunk);
        bytes += chunk.length;
        callback(null, chunk);
      },
    });
    await pipeline(createReadStream(source), hashing, createWriteStream(temp, { mode: 0o644 }), { signal: this.signal });
    const actual = `${parseDigest(digest).algorithm}:${hash.digest('hex')}`;
    if (actual !== digest) {
      rmSync(temp, { force: true });
      throw new BurrowError('DIGEST_MISMATCH', `the cache's blob ${digest} hashes to ${actual} (damaged)`);
    }
    const fd = openSync(temp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const target = blobPath(this.store.paths, digest);
    mkdirSync(dirname(target), { recursive: true });
    renameSync(temp, target);
    this.seen.add(digest);
    this.imported++;
    this.importedBytes += bytes;
  }

  /** A JSON blob (manifest, config, index) of the cache, checked against its digest before it is parsed. */
  async takeJson(digest: string): Promise<unknown> {
    const source = cacheBlob(this.dir, digest);
    if (source !== undefined && statSync(source).size > MAX_JSON_BLOB) throw new BurrowError('INVALID_MANIFEST', `the cache's blob ${digest} is over ${MAX_JSON_BLOB} bytes: not a manifest or config`);
    await this.take(digest);
    return parseJson(readFileSync(this.store.blobPath(digest)), `blob ${digest}`);
  }

  /** Takes everything `record` needs; returns its image id. Throws the first reason it cannot. */
  async record(record: ImageRecord): Promise<string> {
    if (!isDangling(record) && formatReference(parseReference(record.name)) !== record.name) throw new BurrowError('INVALID_REFERENCE', `"${record.name}" is not a full image name`);
    const manifest = validateManifest(await this.takeJson(record.manifest.digest), `manifest ${record.manifest.digest}`);
    const config = validateConfig(await this.takeJson(manifest.config.digest), `config ${manifest.config.digest}`);
    if (config.rootfs.diff_ids.length !== manifest.layers.length) throw new BurrowError('INVALID_MANIFEST', `config ${manifest.config.digest} lists ${config.rootfs.diff_ids.length} layers, its manifest ${manifest.layers.length}`);
    for (const layer of manifest.layers) {
      this.signal?.throwIfAborted();
      await this.take(layer.digest);
    }
    // The index the image was chosen from (multi-platform tags): kept when the cache has it, as a pull keeps it.
    if (record.sourceDigest !== record.manifest.digest && cacheBlob(this.dir, record.sourceDigest) !== undefined) {
      validateIndex(await this.takeJson(record.sourceDigest), `index ${record.sourceDigest}`);
    }
    return manifest.config.digest;
  }

  close(): void {
    if (this.scratch !== undefined) rmSync(this.scratch, { recursive: true, force: true });
  }
}

/**
 * Takes a cache made by `exportCache` into the store. A DIR that does not
 * exist is a cache miss (nothing to import, not an error: a CI job's first
 * run). Holds the store lock shared, as a pull does: its blobs are named
 * before any garbage collection can see them unnamed.
 */
export async function importCache(store: Store, source: string, options: { signal?: AbortSignal | undefined } = {}): Promise<CacheImportResult> {
  const dir = resolve(source);
  const result: CacheImportResult = { dir, found: existsSync(dir), images: [], skipped: [], imported: 0, importedBytes: 0, present: 0 };
  if (!result.found) return result;
  if (!existsSync(join(dir, 'index.json'))) {
    throw new BurrowError('INVALID_ARGUMENT', `${dir} is not a burrow cache (no index.json): make one with burrow system cache export ${source}`);
  }
  let records: ImageRecord[];
  try {
    records = readRecords(storePaths(dir));
  } catch (error) {
    throw new BurrowError('INVALID_ARGUMENT', `the cache's ${join(dir, 'index.json')} is unreadable (${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}): export the cache again`, { cause: error });
  }
  const lock = await store.lockStore('shared', options.signal);
  const importer = new Importer(store, dir, options.signal);
  try {
    const taken: Array<{ record: ImageRecord; id: string }> = [];
    for (const record of records) {
      try {
        taken.push({ record: { ...record }, id: await importer.record(record) });
      } catch (error) {
        // What is wrong with one image's content skips that image; anything else (the disk, Ctrl-C) stops the import.
        if (!(error instanceof BurrowError) || !SKIPS.includes(error.code)) throw error;
        result.skipped.push({ name: record.name, why: error.message });
      }
    }
    if (taken.length > 0) {
      await store.updateRecords((existing) => {
        for (const { record, id } of taken) {
          const before = existing.find((other) => other.name === record.name);
          let replaced: string | undefined;
          if (before !== undefined && before.manifest.digest !== record.manifest.digest) {
            try {
              replaced = readManifest(store, before.manifest.digest).config.digest;
            } catch {
              replaced = before.manifest.digest;
            }
          }
          upsertRecord(existing, record);
          result.images.push({ name: record.name, id, replaced: replaced === id ? undefined : replaced });
        }
      });
    }
    result.imported = importer.imported;
    result.importedBytes = importer.importedBytes;
    result.present = importer.present;
    return result;
  } catch (error) {
    throw fsError(error, `importing the cache ${dir}`);
  } finally {
    importer.close();
    lock.release();
  }
}
