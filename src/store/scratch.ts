import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fsError } from '../errors.js';
import { formatIdentity, identify, isGone, parseIdentity, selfIdentity } from '../util/process-identity.js';
import type { StorePaths } from './layout.js';

/**
 * Scratch directories under the store's tmp/ (a load's extracted archive, a save's
 * staging, standard input spooled to a file) are named after the process that made
 * them: `<kind>.<PID.STARTTIME.BOOTID>.<random>` (util/process-identity.ts).
 * Garbage collection removes one only when that process is provably gone, so a
 * prune never pulls the files from under a load or save in progress.
 */
export function makeScratchDir(paths: StorePaths, kind: string): string {
  try {
    return mkdtempSync(join(paths.tmp, `${kind}.${formatIdentity(selfIdentity())}.`));
  } catch (error) {
    throw fsError(error, `preparing a scratch directory in ${paths.tmp}`);
  }
}

/** Leftovers of burrow before scratch directories named their owner: kept this long, then collected. */
const LEGACY_KEEP_MS = 60 * 60 * 1000;

/** May garbage collection remove the scratch entry `name` (modified at `mtimeMs`)? */
export function scratchOwnerGone(name: string, mtimeMs: number, now = Date.now()): boolean {
  const owned = /^[a-z]+\.(.+)\.[A-Za-z0-9]{6}$/.exec(name);
  const owner = owned === null ? undefined : parseIdentity(owned[1]!);
  if (owner !== undefined) return isGone(owner);
  const legacyWithPid = /^(?:load|save)-(\d+)-[A-Za-z0-9]{6}$/.exec(name);
  if (legacyWithPid !== null && identify(Number(legacyWithPid[1])) !== undefined) return false;
  return now - mtimeMs > LEGACY_KEEP_MS;
}
