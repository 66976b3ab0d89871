import { existsSync, rmSync } from 'node:fs';
import { runToEnd } from '../util/spawn.js';
import { BurrowError } from '../errors.js';
import { userNamespaceFailure } from '../userns/failure.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';
import { unshareProgram } from '../util/host-tools.js';

/**
 * Removes trees that hold files owned by subordinate ids: the user cannot delete
 * those from outside, so `rm` runs as root of the user namespace, once for all
 * of them (garbage collection removes many: each namespace costs a process).
 * Trees whose files are all the user's (a single-id mapping, a layer refused
 * before it was written) go without one.
 */
export async function removeAllInUserNamespace(paths: string[], mapping: IdMapping): Promise<void> {
  const left = paths.filter((path) => {
    if (!existsSync(path)) return false;
    try {
      rmSync(path, { recursive: true, force: true });
      return false;
    } catch {
      return true; // Owned by mapped ids.
    }
  });
  if (left.length === 0) return;
  const result = await runToEnd(unshareProgram(), [...unshareArgs(mapping), '--', 'rm', '-rf', '--one-file-system', '--', ...left], { ownGroup: true });
  const still = left.filter((path) => existsSync(path));
  if (result.exitCode !== 0 && still.length > 0) {
    throw new BurrowError('IO', `cannot remove ${still[0]}${still.length > 1 ? ` and ${still.length - 1} more` : ''}: ${userNamespaceFailure(result.stderr) ?? (result.stderr.trim().split('\n')[0] || result.error?.message)}`);
  }
}

/** One such tree. */
export function removeInUserNamespace(path: string, mapping: IdMapping): Promise<void> {
  return removeAllInUserNamespace([path], mapping);
}
