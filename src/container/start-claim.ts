import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import { formatIdentity, isGone, parseIdentity, selfIdentity } from '../util/process-identity.js';

/**
 * A `run` starts the container it has just created without the container's lock
 * (flock needs koffi, which a warm run loads only at the launch, for posix_spawn). It holds
 * this claim instead: a file naming it (`PID.STARTTIME.BOOTID`), written before the
 * container's record exists, so before any other command can find the container,
 * and removed once the start has settled (the job runs, or the start failed).
 * Every command that takes the container's lock (start, stop, rm, rename,
 * update, network connect) then waits for the claim to go, so a concurrent
 * `start` of a container its `run` is still starting never spawns a second
 * monitor, and a `rm -f` removes a container whose start has finished, not one
 * half set up. A claim whose holder is gone (a killed `run`) claims nothing.
 */
export const START_CLAIM_FILE = 'starting';

/** Claims the start of the container in `dir` for this process (before its record is written). */
export function claimStart(dir: string): void {
  // Run-time state: a crash leaves a claim of a gone holder, which counts for nothing.
  writeFileAtomic(join(dir, START_CLAIM_FILE), `${formatIdentity(selfIdentity())}\n`, 0o644, { durable: false });
}

/** Ends this process's claim (a container that had none: nothing to do). */
export function releaseStartClaim(dir: string): void {
  try {
    unlinkSync(join(dir, START_CLAIM_FILE));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** Whether a living process other than this one claims the start of the container in `dir`. */
export function startClaimed(dir: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(dir, START_CLAIM_FILE), 'latin1');
  } catch {
    // No claim (or the container is gone: the caller finds that out itself).
    return false;
  }
  const holder = parseIdentity(text.trim());
  if (holder === undefined || holder.pid === process.pid) return false;
  return !isGone(holder);
}

/** Waits (polling, up to `timeoutMs`) until no other process claims the start; whether it got there. */
export async function startClaimSettled(dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let delay = 5;
  while (startClaimed(dir)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 50);
  }
  return true;
}
