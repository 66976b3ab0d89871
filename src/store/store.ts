import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { acquireLock, type Lock } from './flock.js';
import type { BlobSource, IngestOptions, StagedBlobs } from './blobs.js';
import { blobPath, defaultStoreRoot, ensureLayout, storePaths, type StorePaths } from './layout.js';
import { readRecords, updateRecords, type ImageRecord } from './records.js';
import { makeScratchDir } from './scratch.js';

/**
 * The content store: verified blobs by digest and the names that point at them.
 * A thin facade so callers hold one object instead of a path bundle.
 */
export class Store {
  readonly paths: StorePaths;

  constructor(root: string = defaultStoreRoot()) {
    this.paths = storePaths(root);
    ensureLayout(this.paths);
  }

  get root(): string {
    return this.paths.root;
  }

  blobPath(digest: string): string {
    return blobPath(this.paths, digest);
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  readBlob(digest: string): Buffer {
    try {
      return readFileSync(this.blobPath(digest));
    } catch (error) {
      throw new BurrowError('NOT_FOUND', `blob ${digest} is not in the store at ${this.root}`, { cause: error });
    }
  }

  // The writing side (hashing, streams) loads only when something is written:
  // a container start reads the store and never needs it.

  async putBlob(digest: string, bytes: Buffer): Promise<void> {
    const { putBlob } = await import('./blobs.js');
    putBlob(this.paths, digest, bytes);
  }

  /** Small blobs written and synced beside other work, put into blobs/ on `commit` (blobs.ts: stageBlobs). */
  async stageBlobs(blobs: ReadonlyArray<readonly [digest: string, bytes: Buffer]>): Promise<StagedBlobs> {
    const { stageBlobs } = await import('./blobs.js');
    return stageBlobs(this.paths, blobs);
  }

  async ingestBlob(digest: string, size: number, source: BlobSource, options?: IngestOptions): Promise<'exists' | 'fetched'> {
    const { ingestBlob } = await import('./blobs.js');
    return ingestBlob(this.paths, digest, size, source, options);
  }

  /** A scratch directory under tmp/ that garbage collection leaves alone while this process runs. */
  scratchDir(kind: string): string {
    return makeScratchDir(this.paths, kind);
  }

  records(): ImageRecord[] {
    return readRecords(this.paths);
  }

  updateRecords<T>(change: (records: ImageRecord[]) => T): Promise<T> {
    return updateRecords(this.paths, change);
  }

  /**
   * Writers of blobs (pulls, loads) hold the store lock shared; garbage
   * collection holds it exclusive, so it never deletes what a pull just fetched.
   */
  async lockStore(mode: 'shared' | 'exclusive', signal?: AbortSignal, onWait?: () => void): Promise<Lock> {
    const lock = await acquireLock(join(this.paths.locks, 'store.lock'), { mode, signal, onWait });
    return lock!;
  }

  /** The exclusive store lock if no pull holds it now, else undefined. */
  async tryLockStoreExclusive(): Promise<Lock | undefined> {
    let busy = false;
    return acquireLock(join(this.paths.locks, 'store.lock'), { mode: 'exclusive', onWait: () => { busy = true; }, shouldStop: () => busy });
  }
}
