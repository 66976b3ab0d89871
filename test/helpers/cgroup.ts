import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCgroupMounts } from '../../src/setup/host.js';

/**
 * The host's view of a process's cgroups (the tests check limits in the kernel's
 * own files, not in what burrow reports): for a v1 controller, the directory the
 * process is in in that hierarchy (mount point + /proc/PID/cgroup's path; the
 * hierarchies here are mounted at their root).
 */
export function cgroupDirOf(pid: number, controller: string): string | undefined {
  const mount = readCgroupMounts().v1.find((entry) => (entry.controllers as string[]).includes(controller));
  if (mount === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':');
    if (controllers !== undefined && controllers.split(',').includes(controller) && path !== undefined) return join(mount.mountPoint, path);
  }
  return undefined;
}

/** The v1 hierarchies here, or none (a cgroup v2 host). */
export const V1_HOST = readCgroupMounts().v1.length > 0;

/** The bed's delegated subtree (test/bed/cgroup-v1.sh) is there for this user: found in the own cgroup of each hierarchy. */
export function bedSubtree(controller: string): string | undefined {
  const own = cgroupDirOf(process.pid, controller);
  const uid = process.getuid?.();
  if (own === undefined || uid === undefined) return undefined;
  for (let dir = own; ; dir = join(dir, '..')) {
    const candidate = join(dir, `burrow-${uid}`);
    if (existsSync(candidate)) return candidate;
    if (dir === '/' || dir.split('/').length <= 5) return undefined;
  }
}

export function readCgroupFile(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8').trim();
}

/** v1 pids.events / memory.oom_control: "key value" lines. */
export function keyedValue(text: string, key: string): number | undefined {
  const line = text.split('\n').find((entry) => entry.startsWith(`${key} `));
  return line === undefined ? undefined : Number(line.slice(key.length + 1));
}
