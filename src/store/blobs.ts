import { createReadStream, createWriteStream, existsSync, renameSync, rmSync, statSync, truncateSync, mkdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BurrowError, fsError, isBurrowError } from '../errors.js';
import { parseDigest } from '../util/digest.js';
import { hasherFor } from '../util/hash.js';
import { sleep } from '../util/sleep.js';
import { trace } from '../util/trace.js';
import { acquireLock } from './flock.js';
import { blobPath, type StorePaths } from './layout.js';
import { writeFileAtomic } from './atomic.js';
import { makeScratchDir } from './scratch.js';

export interface BlobSource {
  /**
   * Opens the blob's bytes from `offset`. `start` says where the stream really
   * begins: a server that ignores Range answers from 0.
   */
  open(offset: number, signal: AbortSignal | undefined): Promise<{ stream: Readable; start: number }>;
  /** Names the blob's origin in errors. */
  describe: string;
}

export type BlobEvent =
  | { kind: 'exists' }
  | { kind: 'waiting' }
  | { kind: 'start'; offset: number; total: number }
  | { kind: 'progress'; transferred: number; total: number }
  | { kind: 'retry'; attempt: number; reason: string }
  | { kind: 'done' };

export interface IngestOptions {
  signal?: AbortSignal | undefined;
  onEvent?: (event: BlobEvent) => void;
  attempts?: number;
  backoffMs?: number;
  /**
   * A second destination for the bytes as they arrive (the layer's extractor, so a
   * layer is written while it downloads). Asked for once, when a download starts
   * from byte 0; a tee that closes early is dropped, the download goes on. It ends
   * when the download does, and is destroyed with the error when it fails: the
   * blob's verification is the caller's to wait for.
   */
  tee?: () => Promise<Writable | undefined>;
  /**
   * Awaited once the blob is verified and synced, before it is renamed into blobs/;
   * when it rejects, the blob is thrown away and its error is the ingest's (a pull's
   * layers download while its config is checked: a refused config stores nothing).
   */
  beforeStore?: () => Promise<void>;
  /**
   * Asked when the download fails: false throws away the bytes it kept to resume
   * from (default: kept). A pull whose config was refused keeps nothing of its image.
   */
  keepPartial?: () => boolean;
}

function partialPath(paths: StorePaths, digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(paths.tmp, `${algorithm}-${hex}.partial`);
}

function lockPath(paths: StorePaths, digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(paths.locks, `blob-${algorithm}-${hex}.lock`);
}

/** Stores small in-memory content (manifests, configs) after checking its digest. */
export function putBlob(paths: StorePaths, digest: string, bytes: Buffer): void {
  checkDigest(digest, bytes);
  const target = blobPath(paths, digest);
  if (existsSync(target)) return;
  mkdirSync(dirname(target), { recursive: true });
  writeFileAtomic(target, bytes);
}

function checkDigest(digest: string, bytes: Buffer): void {
  const hash = hasherFor(digest).update(bytes).digest('hex');
  if (`${parseDigest(digest).algorithm}:${hash}` !== digest) {
    throw new BurrowError('DIGEST_MISMATCH', `content does not match its digest ${digest} (got ${hash}): refusing to store it`);
  }
}

/** Small blobs written and synced, waiting in a scratch directory to be put into blobs/ (stageBlobs). */
export interface StagedBlobs {
  /** Renames them into blobs/ (one rename each: their fsyncs are done). */
  commit(): void;
  /** Throws them away. */
  discard(): void;
}

/**
 * Writes small in-memory content (a pull's manifest and config) after checking
 * its digest, and fsyncs it on the thread pool, into a scratch directory of this
 * process under tmp/; `commit` then puts it into blobs/ with renames. So a pull
 * syncs them while its layers download, and still stores nothing of an image it
 * fails to copy whole. A process killed meanwhile leaves the scratch directory,
 * which garbage collection removes (store/scratch.ts).
 */
export async function stageBlobs(paths: StorePaths, blobs: ReadonlyArray<readonly [digest: string, bytes: Buffer]>): Promise<StagedBlobs> {
  for (const [digest, bytes] of blobs) checkDigest(digest, bytes);
  const wanted = blobs.filter(([digest]) => !existsSync(blobPath(paths, digest)));
  if (wanted.length === 0) return { commit: () => {}, discard: () => {} };
  mkdirSync(paths.tmp, { recursive: true });
  const dir = makeScratchDir(paths, 'blobs');
  const discard = (): void => rmSync(dir, { recursive: true, force: true });
  const staged = (digest: string): string => join(dir, digest.replace(':', '-'));
  try {
    await Promise.all(wanted.map(async ([digest, bytes]) => {
      const handle = await open(staged(digest), 'wx', 0o644);
      try {
        await handle.writeFile(bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }));
  } catch (error) {
    discard();
    throw fsError(error, `writing blobs to ${paths.tmp}`);
  }
  return {
    commit: () => {
      try {
        for (const [digest] of wanted) {
          const target = blobPath(paths, digest);
          mkdirSync(dirname(target), { recursive: true });
          renameSync(staged(digest), target);
        }
      } catch (error) {
        throw fsError(error, `storing blobs in ${paths.root}`);
      } finally {
        discard();
      }
    },
    discard,
  };
}

async function hashExisting(path: string, hash: ReturnType<typeof hasherFor>): Promise<void> {
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
}

/**
 * Streams a blob into the store: bytes go to a partial file keyed by digest, are
 * hashed on the way, and the file is renamed into blobs/ only when size and digest
 * check. A per-blob flock makes concurrent pulls download each blob once; the
 * partial file survives an interrupted pull so the next attempt resumes with Range.
 */
export async function ingestBlob(paths: StorePaths, digest: string, size: number, source: BlobSource, options: IngestOptions = {}): Promise<'exists' | 'fetched'> {
  const target = blobPath(paths, digest);
  if (existsSync(target)) {
    options.onEvent?.({ kind: 'exists' });
    return 'exists';
  }
  const lock = await acquireLock(lockPath(paths, digest), {
    signal: options.signal,
    onWait: () => options.onEvent?.({ kind: 'waiting' }),
    shouldStop: () => existsSync(target),
  });
  if (lock === undefined) {
    options.onEvent?.({ kind: 'exists' });
    return 'exists';
  }
  try {
    if (existsSync(target)) {
      options.onEvent?.({ kind: 'exists' });
      return 'exists';
    }
    try {
      await downloadWithRetries(paths, digest, size, source, options);
    } catch (error) {
      // Under the blob's lock still: no other pull is resuming from it.
      if (options.keepPartial?.() === false) rmSync(partialPath(paths, digest), { force: true });
      throw error;
    }
    options.onEvent?.({ kind: 'done' });
    return 'fetched';
  } finally {
    lock.release();
  }
}

async function downloadWithRetries(paths: StorePaths, digest: string, size: number, source: BlobSource, options: IngestOptions): Promise<void> {
  const attempts = options.attempts ?? 5;
  const backoff = options.backoffMs ?? 200;
  let restarted = false;
  let teeOffered = false;
  for (let attempt = 1; ; attempt++) {
    const resume = { from: 0 };
    try {
      await downloadOnce(paths, digest, size, source, options, resume, () => {
        if (teeOffered || options.tee === undefined) return Promise.resolve(undefined);
        teeOffered = true;
        return options.tee();
      });
      return;
    } catch (error) {
      // A resumed download that fails verification may owe it to the bytes it resumed from
      // (an earlier server's garbage): its partial file is gone, so start once more from 0.
      if (isBurrowError(error, 'DIGEST_MISMATCH') && resume.from > 0 && !restarted && options.signal?.aborted !== true) {
        restarted = true;
        attempt--;
        continue;
      }
      const retryable = isBurrowError(error) && error.retryable;
      if (!retryable || attempt >= attempts || options.signal?.aborted === true) throw error;
      options.onEvent?.({ kind: 'retry', attempt, reason: (error as Error).message });
      await sleep(backoff * 2 ** (attempt - 1), options.signal);
    }
  }
}

async function downloadOnce(paths: StorePaths, digest: string, size: number, source: BlobSource, options: IngestOptions, resume: { from: number }, askTee: () => Promise<Writable | undefined>): Promise<void> {
  const partial = partialPath(paths, digest);
  const target = blobPath(paths, digest);
  let offset = 0;
  try {
    mkdirSync(paths.tmp, { recursive: true });
    offset = existsSync(partial) ? statSync(partial).size : 0;
    if (offset > size) {
      truncateSync(partial, 0);
      offset = 0;
    }
  } catch (error) {
    throw fsError(error, `preparing ${partial}`);
  }
  // The bytes already here are hashed before the request: an open response body
  // must not sit unread (a server that hangs up meanwhile would error it unseen).
  let hash = hasherFor(digest);
  if (offset > 0) await hashExisting(partial, hash);
  // The request goes out before the tee's extractor is started (two processes to
  // spawn: 5-40 ms, by the machine's load), so the registry answers meanwhile. The
  // body waits unread until the tee is there; an error it meets meanwhile is kept
  // (unheard, it would be thrown at the process) and ends this attempt below.
  let early: Error | undefined;
  const opening = source.open(offset, options.signal).then((opened) => {
    opened.stream.on('error', (error: Error) => { early ??= error; });
    trace(`pull: blob ${digest.slice(7, 19)} answered`);
    return opened;
  });
  opening.catch(() => undefined); // Awaited below; not unhandled meanwhile.
  let tee: Writable | undefined;
  if (offset === 0 && options.tee !== undefined) {
    // One turn of the event loop: the request is written before the spawns hold it up.
    await new Promise((resolve) => setImmediate(resolve));
    tee = await askTee();
    trace(`pull: blob ${digest.slice(7, 19)} tee ready`);
  }
  let stream: Readable;
  let start: number;
  try {
    ({ stream, start } = await opening);
  } catch (error) {
    tee?.destroy(error as Error);
    throw error;
  }
  if (early !== undefined) {
    tee?.destroy(early);
    stream.destroy();
    if (isBurrowError(early)) throw early;
    throw new BurrowError('NETWORK', `${source.describe}: download of ${digest} broke off after ${offset} bytes (${early.message})`, { cause: early, retryable: true });
  }
  if (start !== offset) {
    tee?.destroy(new Error('the download started over'));
    tee = undefined;
    // The server ignored our Range: start over from byte 0.
    truncateSync(partial, 0);
    offset = 0;
    hash = hasherFor(digest);
  }
  resume.from = offset;
  options.onEvent?.({ kind: 'start', offset, total: size });
  let transferred = offset;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      transferred += chunk.length;
      if (transferred > size) {
        callback(new BurrowError('DIGEST_MISMATCH', `${source.describe}: blob ${digest} is larger than the ${size} bytes its descriptor says: refusing it`));
        return;
      }
      hash.update(chunk);
      options.onEvent?.({ kind: 'progress', transferred, total: size });
      if (tee === undefined || tee.destroyed || tee.writableEnded || tee.write(chunk)) {
        callback(null, chunk);
        return;
      }
      // The tee is full: wait for it (or for its end: a refused layer stops reading).
      const go = (): void => {
        tee?.off('drain', go).off('close', go);
        callback(null, chunk);
      };
      tee.on('drain', go).on('close', go);
    },
  });
  // A download that breaks off ends the file normally, so every byte that arrived
  // reaches the partial file before the break is thrown: the retry resumes after
  // them (torn down with the source, the file stream would drop what it still held).
  let broke: Error | undefined;
  stream.on('error', (error) => {
    broke = error;
    meter.end();
  });
  stream.pipe(meter);
  try {
    await pipeline(meter, createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }), { signal: options.signal });
    if (broke !== undefined) throw broke;
    if (tee !== undefined && !tee.destroyed) tee.end();
  } catch (error) {
    stream.destroy();
    tee?.destroy(error as Error);
    if (isBurrowError(error, 'DIGEST_MISMATCH')) rmSync(partial, { force: true });
    if (isBurrowError(error)) throw error;
    if ((error as Error).name === 'AbortError') throw new BurrowError('INTERRUPTED', `interrupted while downloading ${digest}`, { cause: error });
    const errno = (error as { code?: string }).code;
    if (errno === 'ENOSPC' || errno === 'EDQUOT' || errno === 'EACCES' || errno === 'EROFS') {
      // A full disk keeps nothing: the partial file would only hold the space.
      rmSync(partial, { force: true });
      throw fsError(error, `writing blob ${digest} to ${paths.root}`);
    }
    throw new BurrowError('NETWORK', `${source.describe}: download of ${digest} broke off after ${transferred} bytes (${(error as Error).message})`, { cause: error, retryable: true });
  }
  if (transferred !== size) {
    throw new BurrowError('NETWORK', `${source.describe}: blob ${digest} ended after ${transferred} of ${size} bytes`, { retryable: true });
  }
  const actual = `${parseDigest(digest).algorithm}:${hash.digest('hex')}`;
  if (actual !== digest) {
    rmSync(partial, { force: true });
    throw new BurrowError('DIGEST_MISMATCH', `${source.describe}: blob ${digest} failed verification (its content hashes to ${actual}); the registry serves corrupted data, nothing was stored`);
  }
  trace(`pull: blob ${digest.slice(7, 19)} downloaded`);
  try {
    // fsync on the thread pool: the other layers keep streaming meanwhile.
    const handle = await open(partial, 'r');
    try { await handle.sync(); } finally { await handle.close(); }
  } catch (error) {
    throw fsError(error, `storing blob ${digest}`);
  }
  if (options.beforeStore !== undefined) {
    try {
      await options.beforeStore();
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    }
  }
  try {
    mkdirSync(dirname(target), { recursive: true });
    renameSync(partial, target);
  } catch (error) {
    throw fsError(error, `storing blob ${digest}`);
  }
  trace(`pull: blob ${digest.slice(7, 19)} stored`);
}
