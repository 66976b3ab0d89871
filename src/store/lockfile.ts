import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { BurrowError, errnoOf, fsError } from '../errors.js';

/** A holder keeps the file for milliseconds; one this old belongs to a process that died holding it. */
const STALE_MS = 2_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Runs `body` holding an exclusive lock file (created with O_EXCL), synchronously.
 * For critical sections of a millisecond on a container's start path, where
 * flock(2) would cost more to set up (koffi takes ~12 ms to load) than the whole
 * section: the price is guessing staleness by age, which is safe only because no
 * holder keeps the file for long.
 */
export function withLockFileSync<T>(path: string, body: () => T, timeoutMs = 10_000): T {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      closeSync(openSync(path, 'wx', 0o600));
      break;
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw fsError(error, `locking ${path}`);
    }
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_MS) {
        // Renamed, not removed: of several processes that found it stale, one takes it away.
        const moved = `${path}.stale.${process.pid}`;
        renameSync(path, moved);
        rmSync(moved, { force: true });
        continue;
      }
    } catch {
      // Released (or taken away) meanwhile: try again at once.
      continue;
    }
    if (Date.now() > deadline) throw new BurrowError('LOCKED', `${path} has been locked for ${timeoutMs / 1000} s by another burrow process: if none is running, remove that file`);
    Atomics.wait(pause, 0, 0, 1);
  }
  try {
    return body();
  } finally {
    rmSync(path, { force: true });
  }
}
