import { existsSync, rmSync } from 'node:fs';
import { runToEnd } from '../util/spawn.js';
import { BurrowError } from '../errors.js';
import { userNamespaceFailure } from '../userns/failure.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';

/**
 * Removes a tree that holds files owned by subordinate ids: the user cannot
 * delete those from outside, so `rm` runs as root of the user namespace.
 */
export async function removeInUserNamespace(path: string, mapping: IdMapping): Promise<void> {
  if (!existsSync(path)) return;
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch {
    // Owned by mapped ids: fall through.
  }
  const result = await runToEnd('unshare', [...unshareArgs(mapping), '--', 'rm', '-rf', '--one-file-system', path], { ownGroup: true });
  if (result.exitCode !== 0 && existsSync(path)) {
    throw new BurrowError('IO', `cannot remove ${path}: ${userNamespaceFailure(result.stderr) ?? (result.stderr.trim().split('\n')[0] || result.error?.message)}`);
  }
}

/**
 * Removes several such trees with one `rm` in one user namespace (garbage
 * collection: each namespace costs a process). With a single-id mapping every
 * file is the user's, and no process is needed.
 */
export async function removeAllInUserNamespace(paths: string[], mapping: IdMapping): Promise<void> {
  const present = paths.filter((path) => existsSync(path));
  if (present.length === 0) return;
  if (mapping.single) {
    for (const path of present) await removeInUserNamespace(path, mapping);
    return;
  }
  const result = await runToEnd('unshare', [...unshareArgs(mapping), '--', 'rm', '-rf', '--one-file-system', '--', ...present], { ownGroup: true });
  const left = present.filter((path) => existsSync(path));
  if (result.exitCode !== 0 && left.length > 0) {
    throw new BurrowError('IO', `cannot remove ${left[0]}${left.length > 1 ? ` and ${left.length - 1} more` : ''}: ${userNamespaceFailure(result.stderr) ?? (result.stderr.trim().split('\n')[0] || result.error?.message)}`);
  }
}
