import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';

/**
 * A detached container's own cgroup v2, for the freezer (`pause`). It is made
 * under the cgroup burrow runs in, which systemd delegates to the user on hosts
 * like GitHub's ubuntu-24.04 runners; where nothing is delegated (cgroup v1,
 * root-owned cgroups) there is none, and pause says so. Resource limits will build
 * on the same placement.
 */
function cgroupRoot(): string | undefined {
  for (const mount of ['/sys/fs/cgroup', '/sys/fs/cgroup/unified']) {
    if (existsSync(join(mount, 'cgroup.procs')) && existsSync(join(mount, 'cgroup.subtree_control'))) return mount;
  }
  return undefined;
}

/** The cgroup v2 directory this process is in, if any. */
export function ownCgroup(): string | undefined {
  const root = cgroupRoot();
  if (root === undefined) return undefined;
  const line = readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((entry) => entry.startsWith('0::'));
  return line === undefined ? undefined : join(root, line.slice(3));
}

/** Creates the container's cgroup; undefined when the host delegates none to this user. */
export function createContainerCgroup(id: string): string | undefined {
  const own = ownCgroup();
  if (own === undefined) return undefined;
  const path = join(own, `burrow-${id.slice(0, 12)}`);
  try {
    mkdirSync(path);
    return path;
  } catch (error) {
    if ((error as { code?: string }).code === 'EEXIST') return path;
    return undefined;
  }
}

export function removeContainerCgroup(path: string | undefined): void {
  if (path === undefined) return;
  try {
    rmdirSync(path);
  } catch {
    // Still populated (a process left) or already gone.
  }
}

export function isFrozen(path: string | undefined): boolean {
  if (path === undefined) return false;
  try {
    return readFileSync(join(path, 'cgroup.freeze'), 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** Freezes or thaws, and waits until the kernel says it is done. */
export async function setFrozen(path: string | undefined, frozen: boolean, name: string): Promise<void> {
  if (path === undefined || !existsSync(join(path, 'cgroup.freeze'))) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot ${frozen ? 'pause' : 'unpause'} ${name}: it has no cgroup of its own (pause needs a cgroup v2 subtree delegated to you, as systemd does for user sessions on cgroup v2 hosts, and a container started with -d)`);
  }
  writeFileSync(join(path, 'cgroup.freeze'), frozen ? '1' : '0');
  for (let attempt = 0; attempt < 200; attempt++) {
    const events = readFileSync(join(path, 'cgroup.events'), 'utf8');
    if (events.includes(`frozen ${frozen ? 1 : 0}`)) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new BurrowError('IO', `${name} did not ${frozen ? 'freeze' : 'thaw'} within 2 s`);
}
