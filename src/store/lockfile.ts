import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BurrowError, errnoOf, fsError } from '../errors.js';

/** unlink(2) that does not mind a missing file (rmSync costs a start ~0.6 ms more on first use). */
function remove(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw error;
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));
/** Lock files of burrow before holders were recorded: held for milliseconds, so one this old was left by a crash. */
const LEGACY_STALE_MS = 2_000;

/**
 * Who holds a lock file: boot id, pid and the pid's start time (clock ticks after
 * boot, /proc/PID/stat field 22). A pid alone is reused; the three together name
 * one process of one boot, so "that process is gone" can be proved, never guessed.
 */
export interface LockHolder {
  bootId: string;
  pid: number;
  startTime: string;
}

let self: LockHolder | undefined;

function readBootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}

/** The start time of `pid` (field 22 of /proc/PID/stat), or undefined if no such process runs. */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // A zombie has exited: it holds nothing and will do nothing more.
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

export function currentHolder(): LockHolder {
  self ??= { bootId: readBootId(), pid: process.pid, startTime: processStartTime(process.pid) ?? '0' };
  return self;
}

export function formatHolder(holder: LockHolder): string {
  return `${holder.bootId} ${holder.pid} ${holder.startTime}\n`;
}

export function parseHolder(text: string): LockHolder | undefined {
  const match = /^([0-9a-f-]{36}) (\d+) (\d+)\n$/.exec(text);
  if (match === null) return undefined;
  return { bootId: match[1]!, pid: Number(match[2]), startTime: match[3]! };
}

/**
 * True only when `holder` provably no longer runs: it belongs to an earlier boot,
 * or its pid is gone or now names a process that started at another time.
 */
export function holderIsGone(holder: LockHolder, bootId = currentHolder().bootId): boolean {
  if (holder.bootId !== bootId) return true;
  return processStartTime(holder.pid) !== holder.startTime;
}

/** The name under which the lock of a gone holder is set aside: one per holder, so only one contender can. */
function tombstoneOf(path: string, key: string): string {
  return `${path}.gone.${key}`;
}

/**
 * Takes the lock file over from a holder that is gone. Of all the processes that
 * found the same gone holder, exactly one succeeds: each first tries to link the
 * lock to a tombstone named after that holder, and link(2) fails with EEXIST for
 * every one but the first. Only the winner unlinks the lock, and it can only be
 * the gone holder's: nobody else removes a lock file but its living owner, and a
 * new lock can appear only after the winner's unlink. Tombstones stay (they name
 * holders that died inside a millisecond's critical section, so they are rare),
 * except those of earlier boots, whose contenders cannot still be running.
 */
function takeOver(path: string, key: string, bootId: string): void {
  try {
    linkSync(path, tombstoneOf(path, key));
  } catch (error) {
    const errno = errnoOf(error);
    // EEXIST: another process took this one over first. ENOENT: the lock went meanwhile.
    if (errno === 'EEXIST' || errno === 'ENOENT') return;
    throw fsError(error, `taking over ${path}`);
  }
  remove(path);
  const prefix = `${basename(path)}.gone.`;
  for (const name of readdirSync(dirname(path))) {
    if (name.startsWith(prefix) && !name.startsWith(`${prefix}${bootId}`)) remove(join(dirname(path), name));
  }
}

/**
 * Runs `body` holding an exclusive lock file, synchronously. For critical sections
 * of a millisecond on a container's start path, where flock(2) would cost more to
 * set up (koffi takes ~12 ms to load) than the whole section.
 *
 * The lock is a file naming its holder (boot id, pid, start time), created whole
 * with link(2) so no one ever reads it half-written. A lock whose holder is
 * provably gone is taken over by exactly one waiter (see `takeOver`); a lock whose
 * holder lives is never touched, however old: two holders cannot happen.
 */
export function withLockFileSync<T>(path: string, body: () => T, timeoutMs = 10_000): T {
  const me = currentHolder();
  const directory = dirname(path);
  const draft = join(directory, `.${basename(path)}.${me.pid}.${me.startTime}`);
  try {
    mkdirSync(directory, { recursive: true });
    writeFileSync(draft, formatHolder(me), { mode: 0o600 });
  } catch (error) {
    throw fsError(error, `locking ${path}`);
  }
  const deadline = Date.now() + timeoutMs;
  let holder: LockHolder | undefined;
  try {
    for (;;) {
      try {
        linkSync(draft, path);
        break;
      } catch (error) {
        if (errnoOf(error) !== 'EEXIST') throw fsError(error, `locking ${path}`);
      }
      let text: string;
      let inode: number;
      let age: number;
      try {
        // Content and identity from one descriptor: the file may be replaced between two lookups by name.
        const fd = openSync(path, 'r');
        try {
          const info = fstatSync(fd);
          inode = info.ino;
          age = Date.now() - info.mtimeMs;
          text = readFileSync(fd, 'utf8');
        } finally {
          closeSync(fd);
        }
      } catch {
        // Released meanwhile: try again at once.
        continue;
      }
      holder = parseHolder(text);
      if (holder === undefined) {
        // Not written by this scheme (an older burrow's empty O_EXCL file): its age is all there is to
        // go by. Keyed by inode, which its tombstone keeps from being reused.
        if (age > LEGACY_STALE_MS) {
          takeOver(path, `${me.bootId}-legacy-${inode}`, me.bootId);
          continue;
        }
      } else if (holderIsGone(holder, me.bootId)) {
        takeOver(path, `${holder.bootId}-${holder.pid}-${holder.startTime}`, me.bootId);
        remove(join(directory, `.${basename(path)}.${holder.pid}.${holder.startTime}`));
        continue;
      }
      if (Date.now() > deadline) {
        const who = holder === undefined ? 'another burrow process' : `burrow process ${holder.pid}`;
        throw new BurrowError('LOCKED', `${path} has been locked for ${timeoutMs / 1000} s by ${who}, which is still running: wait for it or stop it`);
      }
      Atomics.wait(pause, 0, 0, 1);
    }
  } finally {
    remove(draft);
  }
  try {
    return body();
  } finally {
    // Only the living holder removes its lock, so this is ours.
    remove(path);
  }
}
