import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { CgroupPlaces, V1Hierarchy } from './hierarchy.js';
import { V1_HIERARCHIES, writable } from './hierarchy.js';
import { readV1State, v1Writes, writeLimit } from './limits-files.js';
import type { Controller, Limits } from './types.js';

/**
 * Route 3: cgroup v1. Unprivileged users cannot make cgroups in v1 unless root
 * hands them a subtree, so root makes one per user, `burrow-<uid>`, once in each
 * hierarchy (`burrow setup` at the hierarchy's root; the test bed as a child of its
 * own cgroup). burrow finds it in its own cgroup of that hierarchy or the nearest
 * ancestor, and puts each container in `<subtree>/<id12>` of every hierarchy that
 * has one.
 */

export type V1Dirs = Partial<Record<V1Hierarchy, string>>;

export function subtreeName(uid: number): string {
  return `burrow-${uid}`;
}

/** The user's subtree of each hierarchy: the nearest `burrow-<uid>` from the own cgroup up to the root, if writable. */
export function findSubtrees(places: CgroupPlaces, uid: number): V1Dirs {
  const subtrees: V1Dirs = {};
  const name = subtreeName(uid);
  for (const hierarchy of V1_HIERARCHIES) {
    const place = places.v1[hierarchy];
    if (place === undefined) continue;
    for (let dir = place.own; ; dir = dirname(dir)) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) {
        if (writable(candidate) && writable(join(candidate, 'cgroup.procs'))) subtrees[hierarchy] = candidate;
        break;
      }
      if (dir === place.mount || !dir.startsWith(place.mount) || dir === dirname(dir)) break;
    }
  }
  return subtrees;
}

/** Which limits the subtrees can enforce. cpuacct and blkio's statistics come along where present. */
export function v1Controllers(subtrees: V1Dirs): Controller[] {
  const controllers: Controller[] = [];
  if (subtrees.memory !== undefined) controllers.push('memory');
  if (subtrees.pids !== undefined) controllers.push('pids');
  if (subtrees.cpu !== undefined) controllers.push('cpu');
  if (subtrees.cpuset !== undefined) controllers.push('cpuset');
  const blkio = subtrees.blkio;
  if (blkio !== undefined && (existsSync(join(blkio, 'blkio.weight')) || existsSync(join(blkio, 'blkio.bfq.weight')))) controllers.push('io');
  if (subtrees.freezer !== undefined) controllers.push('freezer');
  return controllers;
}

/** Whether swap can be limited (memory.memsw.* exist only with swapaccount=1). */
export function v1SwapAccounting(subtrees: V1Dirs): boolean {
  return subtrees.memory !== undefined && existsSync(join(subtrees.memory, 'memory.memsw.limit_in_bytes'));
}

/** v1 cpuset: a cgroup takes no task until cpuset.cpus and cpuset.mems are set; a new one starts with both empty. */
function copyCpuset(dir: string): void {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const mine = readFileSync(join(dir, file), 'utf8').trim();
    if (mine !== '') continue;
    writeFileSync(join(dir, file), readFileSync(join(dirname(dir), file), 'utf8').trim());
  }
}

export function writeV1Limits(dirs: V1Dirs, limits: Limits): void {
  const state = readV1State(dirs.memory, dirs.blkio);
  for (const write of v1Writes(limits, state)) {
    const dir = dirs[write.hierarchy];
    if (dir === undefined) continue; // resolveLimits has already refused what the subtrees cannot enforce
    writeLimit(dir, write);
  }
}

function removeAll(dirs: V1Dirs): void {
  for (const dir of Object.values(dirs)) {
    try {
      rmdirSync(dir);
    } catch {
      // Left for removeOrphanCgroups.
    }
  }
}

/**
 * The hierarchies a container joins. Each v1 move costs the start 2–4 ms here (the
 * kernel's threadgroup lock waits for an RCU grace period) and each removal as
 * much, so a container joins only what it uses: memory, pids, freezer and cpuacct
 * always (the default pids limit, OOM reports, pause, stats), cpu, cpuset and blkio
 * when a limit of theirs is asked for (`update` adds them later: extendV1Cgroups).
 */
export function v1HierarchiesFor(limits: Limits): V1Hierarchy[] {
  const wanted: V1Hierarchy[] = ['memory', 'pids', 'freezer', 'cpuacct'];
  if (limits.nanoCpus !== undefined || limits.cpuShares !== undefined || limits.cpuWeight !== undefined) wanted.push('cpu');
  if (limits.cpusetCpus !== undefined) wanted.push('cpuset');
  if (limits.ioWeight !== undefined) wanted.push('blkio');
  return wanted;
}

/** Makes `<subtree>/<id12>` in every hierarchy the limits need (v1HierarchiesFor) that has a subtree, with the limits written. */
export function createV1Cgroups(subtrees: V1Dirs, id: string, limits: Limits): V1Dirs {
  const dirs: V1Dirs = {};
  try {
    for (const hierarchy of v1HierarchiesFor(limits)) {
      const subtree = subtrees[hierarchy];
      if (subtree === undefined) continue;
      const dir = join(subtree, id.slice(0, 12));
      try {
        mkdirSync(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new BurrowError('IO', `cannot make the container's cgroup ${dir}: ${(error as Error).message}`, { cause: error });
        }
      }
      dirs[hierarchy] = dir;
      if (hierarchy === 'cpuset') copyCpuset(dir);
    }
    writeV1Limits(dirs, limits);
  } catch (error) {
    removeAll(dirs);
    throw error;
  }
  return dirs;
}

/** The pids of a cgroup.procs. */
function procsOf(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter((line) => line !== '').map(Number);
  } catch {
    return [];
  }
}

/**
 * `update` of a running container asks for a limit of a hierarchy it did not join
 * at its start (--cpus on a container started without one): the hierarchy's cgroup
 * is made, limited, and every process of the container moved into it, round after
 * round until none is left outside (a process forked during a round shows in the
 * next). Returns the container's dirs with the new ones.
 */
export function extendV1Cgroups(dirs: V1Dirs, subtrees: V1Dirs, id: string, limits: Limits): V1Dirs {
  const members = dirs.pids ?? dirs.memory ?? dirs.freezer;
  const missing = v1HierarchiesFor(limits).filter((hierarchy) => dirs[hierarchy] === undefined && subtrees[hierarchy] !== undefined);
  if (missing.length === 0 || members === undefined) return dirs;
  const added = createV1Cgroups(Object.fromEntries(missing.map((hierarchy) => [hierarchy, subtrees[hierarchy]])) as V1Dirs, id, limits);
  for (const dir of Object.values(added)) {
    for (let round = 0; round < 10; round++) {
      const inside = new Set(procsOf(dir));
      const outside = procsOf(members).filter((pid) => !inside.has(pid));
      if (outside.length === 0) break;
      for (const pid of outside) {
        try {
          writeFileSync(join(dir, 'cgroup.procs'), String(pid));
        } catch {
          // Exited meanwhile.
        }
      }
    }
  }
  return { ...dirs, ...added };
}
