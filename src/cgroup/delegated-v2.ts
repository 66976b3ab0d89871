import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { BurrowError } from '../errors.js';
import { writable, type V2Place } from './hierarchy.js';
import { v2Writes, writeLimit } from './limits-files.js';
import type { Controller, Limits } from './types.js';

/**
 * Route 1: the cgroup v2 burrow runs in is delegated to the user (a systemd
 * `Delegate=yes` scope or service, a runtime's delegated subtree). The same code
 * makes the containers' cgroups under the systemd user route's holding unit.
 *
 * cgroup v2's no-internal-process rule: a cgroup that hands controllers to its
 * children (cgroup.subtree_control) may hold no process itself. So the processes
 * of the delegated cgroup move into a leaf, LEAF_NAME (Podman's "init"), before the
 * controllers are enabled; later burrow commands start in that leaf and take its
 * parent for their own.
 *
 * Hybrid hosts (v1 controllers, cgroup2 at /sys/fs/cgroup/unified with none): a
 * writable unified cgroup still has cgroup.freeze, so with no v1 subtree it is
 * route 1 with the freezer alone (pause works, no limits); where a v1 subtree
 * exists, route 3 takes everything, freezer included, from v1. The two are never
 * mixed: one container, one route.
 */

export const LEAF_NAME = 'burrow-leaf';
export const CONTAINER_PREFIX = 'burrow-';

/** The resource controllers of cgroup v2 that burrow uses, in the order subtree_control gets them. */
const V2_RESOURCES: Controller[] = ['memory', 'pids', 'cpu', 'cpuset', 'io'];

function readWords(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split(/\s+/).filter((word) => word !== '');
  } catch {
    return [];
  }
}

/** The delegated cgroup of this process: its own, or the parent of the leaf an earlier burrow moved it to. */
export function delegatedParent(place: V2Place): string {
  return basename(place.own) === LEAF_NAME ? dirname(place.own) : place.own;
}

/** Whether `dir` is delegated to this user: the directory and its process and controller files are writable. */
export function isDelegated(dir: string): boolean {
  return writable(dir) && writable(join(dir, 'cgroup.procs')) && writable(join(dir, 'cgroup.subtree_control'));
}

/** The controllers a child of `dir` can have: what `dir` gets from its parent, plus the freezer (cgroup.freeze, core v2). */
export function v2Controllers(dir: string): Controller[] {
  const available = readWords(join(dir, 'cgroup.controllers'));
  const controllers = V2_RESOURCES.filter((name) => available.includes(name));
  // Every non-root cgroup has cgroup.freeze (kernel ≥ 5.2); a delegated one is never the root.
  if (existsSync(join(dir, 'cgroup.freeze'))) controllers.push('freezer');
  return controllers;
}

/** Moves every process of `parent` into `parent/LEAF_NAME`, until none is left (a process may fork meanwhile). */
function emptyIntoLeaf(parent: string): void {
  const leaf = join(parent, LEAF_NAME);
  mkdirSync(leaf, { recursive: true });
  for (let round = 0; round < 20; round++) {
    const pids = readWords(join(parent, 'cgroup.procs'));
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        writeFileSync(join(leaf, 'cgroup.procs'), pid);
      } catch (error) {
        // Gone meanwhile (ESRCH); anything else stays and is reported by the subtree_control write.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') break;
      }
    }
  }
}

/**
 * Makes `parent`'s controllers available to its children: processes to the leaf,
 * then cgroup.subtree_control. Idempotent and cheap once done (one read).
 */
export function enableSubtree(parent: string, wanted: Controller[]): void {
  const resources = wanted.filter((name) => name !== 'freezer');
  const enabled = readWords(join(parent, 'cgroup.subtree_control'));
  const missing = resources.filter((name) => !enabled.includes(name));
  if (missing.length === 0) return;
  const line = missing.map((name) => `+${name}`).join(' ');
  for (let attempt = 0; ; attempt++) {
    emptyIntoLeaf(parent);
    try {
      writeFileSync(join(parent, 'cgroup.subtree_control'), line);
      return;
    } catch (error) {
      // EBUSY: a process arrived between the move and the write; move it too.
      if ((error as NodeJS.ErrnoException).code === 'EBUSY' && attempt < 5) continue;
      throw new BurrowError('IO', `cannot enable ${missing.join(' ')} in ${parent}: ${(error as Error).message}`, { cause: error });
    }
  }
}

export function containerDirV2(parent: string, id: string): string {
  return join(parent, `${CONTAINER_PREFIX}${id.slice(0, 12)}`);
}

/** Whether this kernel has io.bfq.weight and no io.weight in `dir` (BFQ's scale is blkio's). */
function ioBfq(dir: string): boolean {
  return !existsSync(join(dir, 'io.weight')) && existsSync(join(dir, 'io.bfq.weight'));
}

export function writeV2Limits(dir: string, limits: Limits): void {
  for (const write of v2Writes(limits, ioBfq(dir))) {
    // memory.swap.max is absent without swap accounting: Docker's default swap then has no file to go to.
    if (write.file === 'memory.swap.max' && !existsSync(join(dir, write.file))) continue;
    writeLimit(dir, write);
  }
}

/** Makes the container's cgroup under `parent` (enabling the controllers first) with its limits written. */
export function createV2Cgroup(parent: string, controllers: Controller[], id: string, limits: Limits): string {
  enableSubtree(parent, controllers);
  const dir = containerDirV2(parent, id);
  try {
    mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new BurrowError('IO', `cannot make the container's cgroup ${dir}: ${(error as Error).message}`, { cause: error });
    }
  }
  try {
    writeV2Limits(dir, limits);
  } catch (error) {
    try {
      rmdirSync(dir);
    } catch {
      // Left for removeOrphanCgroups.
    }
    throw error;
  }
  return dir;
}
