import { closeSync, fstatSync, linkSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BurrowError, errnoOf, fsError } from '../errors.js';
import { bootId, formatIdentity, isGone, parseIdentity, selfIdentity, type ProcessIdentity } from '../util/process-identity.js';

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
 * The holder of a lock file, as written in it: its identity (util/process-identity.ts:
 * `PID.STARTTIME.BOOTID`), so that "that process is gone" can be proved, never guessed.
 */
function parseHolder(text: string): ProcessIdentity | undefined {
  return text.endsWith('\n') ? parseIdentity(text.slice(0, -1)) : undefined;
}

/** The file a contender writes whole before linking it as the lock (and that a takeover cleans up after a gone holder). */
function draftOf(path: string, holder: ProcessIdentity): string {
  return join(dirname(path), `.${basename(path)}.${formatIdentity(holder)}`);
}

/**
 * The name under which the lock of a gone holder is set aside: one per holder, so
 * only one contender can. The boot id first (`BOOTID-PID-STARTTIME`), so that
 * those of earlier boots are found by their prefix and cleaned up.
 */
function tombstoneOf(path: string, key: string): string {
  return `${path}.gone.${key}`;
}

function tombstoneKey(identity: ProcessIdentity): string {
  return `${identity.bootId}-${identity.pid}-${identity.startTime}`;
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
function takeOver(path: string, key: string, boot: string): void {
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
    if (name.startsWith(prefix) && !name.startsWith(`${prefix}${boot}`)) remove(join(dirname(path), name));
  }
}

/**
 * Runs `body` holding an exclusive lock file, synchronously. For critical sections
 * of a millisecond on a container's start path, where flock(2) would cost more to
 * set up (koffi takes ~12 ms to load) than the whole section.
 *
 * The lock is a file naming its holder (`PID.STARTTIME.BOOTID`), created whole
 * with link(2) so no one ever reads it half-written. A lock whose holder is
 * provably gone is taken over by exactly one waiter (see `takeOver`); a lock whose
 * holder lives is never touched, however old: two holders cannot happen.
 */
export function withLockFileSync<T>(path: string, body: () => T, timeoutMs = 10_000): T {
  const me = selfIdentity();
  const boot = bootId();
  const directory = dirname(path);
  const draft = draftOf(path, me);
  try {
    mkdirSync(directory, { recursive: true });
    writeFileSync(draft, `${formatIdentity(me)}\n`, { mode: 0o600 });
  } catch (error) {
    throw fsError(error, `locking ${path}`);
  }
  const deadline = Date.now() + timeoutMs;
  let holder: ProcessIdentity | undefined;
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
          takeOver(path, `${boot}-legacy-${inode}`, boot);
          continue;
        }
      } else if (isGone(holder)) {
        takeOver(path, tombstoneKey(holder), boot);
        remove(draftOf(path, holder));
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
