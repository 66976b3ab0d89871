import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { BurrowError, fsError } from '../errors.js';
import { errno, flock, preloadLibc } from '../util/libc.js';

/**
 * Advisory locks with flock(2). The kernel drops them when the holder dies, so a
 * pull killed with SIGKILL never leaves a stale lock behind (lock directories and
 * pid files have to guess at staleness; flock does not).
 */
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

/**
 * Loads what taking a lock needs (koffi: a few ms of dlopen), for a caller that has
 * a moment to spare now, such as a request in flight, and takes its first lock soon.
 */
export function prepareLocks(): void {
  try {
    preloadLibc();
  } catch {
    // The first lock says what is wrong, where the caller expects it.
  }
}

const EWOULDBLOCK = 11;
const EINTR = 4;

export type LockMode = 'shared' | 'exclusive';

export interface Lock {
  release(): void;
}

export interface AcquireOptions {
  mode?: LockMode;
  signal?: AbortSignal | undefined;
  /** Called once when the lock is busy, so a caller can tell the user it waits. */
  onWait?: () => void;
  /** Give up after this long (default: wait forever). */
  timeoutMs?: number;
  /** Checked between attempts: a true result stops waiting without the lock. */
  shouldStop?: () => boolean;
  /** Make the lock file's directory when missing (default true); false for a lock inside something another process may remove. */
  createParent?: boolean;
}

function tryLock(fd: number, mode: LockMode): boolean {
  const result = flock(fd, (mode === 'shared' ? LOCK_SH : LOCK_EX) | LOCK_NB);
  if (result === 0) return true;
  const code = errno();
  if (code === EWOULDBLOCK || code === EINTR) return false;
  throw new BurrowError('IO', `flock failed with errno ${code}`);
}

/**
 * Takes the lock on `path` (created if missing). Polls without blocking the event
 * loop, so SIGINT and timeouts stay responsive. Resolves undefined when
 * `shouldStop` said to stop before the lock was had.
 */
export async function acquireLock(path: string, options: AcquireOptions = {}): Promise<Lock | undefined> {
  const mode = options.mode ?? 'exclusive';
  let fd: number;
  try {
    if (options.createParent !== false) mkdirSync(dirname(path), { recursive: true });
    fd = openSync(path, 'a');
  } catch (error) {
    throw fsError(error, `opening lock ${path}`);
  }
  const started = Date.now();
  let waited = false;
  let delay = 5;
  try {
    while (!tryLock(fd, mode)) {
      if (options.shouldStop?.() === true) {
        closeSync(fd);
        return undefined;
      }
      if (!waited) {
        waited = true;
        options.onWait?.();
      }
      if (options.signal?.aborted === true) throw new BurrowError('INTERRUPTED', 'interrupted while waiting for a lock');
      if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
        throw new BurrowError('LOCKED', `${path} is locked by another burrow process; try again when it has finished`);
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 100);
    }
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      flock(fd, LOCK_UN);
      closeSync(fd);
    },
  };
}

export async function withLock<T>(path: string, options: AcquireOptions, body: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(path, options);
  if (lock === undefined) throw new BurrowError('LOCKED', `could not lock ${path}`);
  try {
    return await body();
  } finally {
    lock.release();
  }
}
