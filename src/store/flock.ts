import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { BurrowError, fsError } from '../errors.js';

/**
 * Advisory locks with flock(2). The kernel drops them when the holder dies, so a
 * pull killed with SIGKILL never leaves a stale lock behind (lock directories and
 * pid files have to guess at staleness; flock does not).
 */
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

let flockFn: ((fd: number, operation: number) => number) | undefined;
let errnoFn: (() => number) | undefined;

/**
 * Loads what taking a lock needs (koffi: a few ms of dlopen), for a caller that has
 * a moment to spare now, such as a request in flight, and takes its first lock soon.
 */
export function prepareLocks(): void {
  try {
    loadFlock();
  } catch {
    // The first lock says what is wrong, where the caller expects it.
  }
}

/** The parts of koffi taking a lock needs (its native module has them all). */
type Koffi = Pick<typeof import('koffi'), 'load' | 'decode'>;

/**
 * koffi's native module, loaded without the package's index where the layout is the
 * one known: the index bundles its installer's tools, which load node:https (with
 * tls and http) and node:zlib, none of which a cold run needs otherwise: 15-20 ms of
 * CPU against 3-4 ms for the native module alone. Elsewhere (another architecture,
 * musl, another koffi layout or version), the package itself.
 */
function loadKoffi(): Koffi {
  const require = createRequire(import.meta.url);
  const arch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
  if (process.platform === 'linux' && arch !== undefined) {
    try {
      const packageDir = dirname(require.resolve('koffi/package.json'));
      const { version } = require(join(packageDir, 'package.json')) as { version: string };
      const native = require(join(packageDir, 'build', 'koffi', `linux_${arch}`, 'koffi.node')) as Koffi & { version?: string };
      // The check koffi's index makes: a native module of another version may not match its API.
      if (native.version === version) return native;
    } catch {
      // Not this layout (or a musl system): the package's own loader finds what fits.
    }
  }
  return require('koffi') as typeof import('koffi');
}

function loadFlock(): void {
  if (flockFn === undefined) {
    // koffi loads on first lock, not at start-up.
    const koffi = loadKoffi();
    const libc = koffi.load('libc.so.6');
    flockFn = libc.func('int flock(int fd, int operation)') as (fd: number, operation: number) => number;
    const location = libc.func('int *__errno_location(void)') as () => unknown;
    errnoFn = () => koffi.decode(location(), 'int') as number;
  }
}

function flock(fd: number, operation: number): number {
  loadFlock();
  return flockFn!(fd, operation);
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
  const errno = errnoFn?.() ?? 0;
  if (errno === EWOULDBLOCK || errno === EINTR) return false;
  throw new BurrowError('IO', `flock failed with errno ${errno}`);
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
