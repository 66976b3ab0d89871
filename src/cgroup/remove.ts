import { readdirSync, rmdirSync } from 'node:fs';
import { rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTAINER_PREFIX } from './delegated-v2.js';
import type { CgroupHost, ContainerCgroup } from './types.js';

/**
 * A container's cgroups go with it; after a crash, the next command removes the
 * empty ones of containers that no longer run. rmdir only: a cgroup with a process
 * in it is never forced (EBUSY), and is retried while a straggler (fuse-overlayfs,
 * the last exiting task) leaves.
 */

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function cgroupDirs(cgroup: ContainerCgroup): string[] {
  return 'v2' in cgroup.dirs ? [cgroup.dirs.v2] : Object.values(cgroup.dirs.v1).filter((dir): dir is string => dir !== undefined);
}

/** rmdir; true when gone (or never there), false while still busy. */
function tryRemove(dir: string): boolean {
  try {
    rmdirSync(dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return true;
    if (code === 'EBUSY' || code === 'ENOTEMPTY') return false;
    return true; // not ours to remove (EACCES): nothing a retry changes
  }
}

/** tryRemove on libuv's threads: a v1 rmdir waits 2–4 ms for the kernel, so a container's several go side by side. */
async function tryRemoveAsync(dir: string): Promise<boolean> {
  try {
    await rmdir(dir);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return !(code === 'EBUSY' || code === 'ENOTEMPTY');
  }
}

/** Removes the container's cgroups (all at once), retrying for about a second while busy; what stays busy is left for removeOrphanCgroups. */
export async function removeContainerCgroup(cgroup: ContainerCgroup | undefined): Promise<void> {
  if (cgroup === undefined) return;
  let left = [...new Set(cgroupDirs(cgroup))];
  for (let attempt = 0; left.length > 0 && attempt < 50; attempt++) {
    if (attempt > 0) await sleep(20);
    const gone = await Promise.all(left.map(tryRemoveAsync));
    left = left.filter((_dir, index) => !gone[index]);
  }
}

function children(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch {
    return [];
  }
}

/**
 * Removes the cgroups of containers that no longer run: `burrow-<id12>` under a v2
 * parent, `<id12>` under each v1 subtree. `isLive` gets the 12-character id prefix.
 * Populated ones stay (rmdir refuses them).
 */
export function removeOrphanCgroups(host: CgroupHost, isLive: (containerId: string) => boolean): void {
  const v2 = new RegExp(`^${CONTAINER_PREFIX}([0-9a-f]{12})$`);
  if (host.v2Parent !== undefined && (host.route === 'delegated-v2' || host.route === 'systemd-user')) {
    for (const name of children(host.v2Parent)) {
      const id = v2.exec(name)?.[1];
      if (id !== undefined && !isLive(id)) tryRemove(join(host.v2Parent, name));
    }
  }
  if (host.route === 'delegated-v1' && host.v1Subtrees !== undefined) {
    for (const subtree of Object.values(host.v1Subtrees)) {
      if (subtree === undefined) continue;
      for (const name of children(subtree)) {
        if (/^[0-9a-f]{12}$/.test(name) && !isLive(name)) tryRemove(join(subtree, name));
      }
    }
  }
}
