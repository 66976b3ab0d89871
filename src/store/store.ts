import { join } from 'node:path';
import { acquireLock, type Lock } from './flock.js';
import { hasBlob, ingestBlob, putBlob, readBlob, type BlobSource, type IngestOptions } from './blobs.js';
import { blobPath, defaultStoreRoot, ensureLayout, storePaths, type StorePaths } from './layout.js';
import { readRecords, updateRecords, type ImageRecord } from './records.js';

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
    return hasBlob(this.paths, digest);
  }

  readBlob(digest: string): Buffer {
    return readBlob(this.paths, digest);
  }

  putBlob(digest: string, bytes: Buffer): void {
    putBlob(this.paths, digest, bytes);
  }

  ingestBlob(digest: string, size: number, source: BlobSource, options?: IngestOptions): Promise<'exists' | 'fetched'> {
    return ingestBlob(this.paths, digest, size, source, options);
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
