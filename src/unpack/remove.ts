import { existsSync, rmSync } from 'node:fs';
import { runToEnd } from '../util/spawn.js';
import { BurrowError } from '../errors.js';
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
  const result = await runToEnd('unshare', [...unshareArgs(mapping), '--', 'rm', '-rf', '--one-file-system', path]);
  if (result.exitCode !== 0 && existsSync(path)) {
    throw new BurrowError('IO', `cannot remove ${path}: ${result.stderr.trim() || result.error?.message}`);
  }
}
