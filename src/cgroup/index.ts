/**
 * burrow's cgroups (issue 10), as the rest of the library sees them:
 *
 * - detectCgroupHost(): which route this host gives and its controllers, from file
 *   reads alone (no process started): called on every `run`, cached per process.
 *   BURROW_CGROUP_ROUTE=auto|delegated-v2|systemd-user|delegated-v1|none forces one.
 * - resolveLimits(host, asked, mode): what a container gets: asked limits whose
 *   controller the route lacks are a one-line BurrowError ("--memory needs a
 *   delegated cgroup: run 'burrow doctor'") unless mode.ignoreMissing (then listed
 *   in `notEnforced` for one warning) or mode.disabled (no cgroup at all); adds
 *   DEFAULT_PIDS_LIMIT where pids is delegated and none was asked for.
 * - createContainerCgroup(host, id, limits): makes the container's cgroup with its
 *   limits written, before anything of the container runs (the systemd route makes
 *   sure its holding unit is up). Undefined on route `none`.
 * - entryArgv(cgroup): the argv prefix (native/burrow-cgexec) that moves the
 *   process into the cgroup and then execs the rest: put before the launcher, in
 *   the foreground, under the monitor and for exec. A move that fails stops the
 *   start (exit 125 and a `{"burrow-error":"cgroup"}` line on fd 3): the job never
 *   runs outside its limits.
 * - applyLimits(cgroup, limits): `burrow update`, on a running container.
 * - readStats(cgroup), oomKilled(cgroup), isFrozen/setFrozen(cgroup, …).
 * - removeContainerCgroup(cgroup): after the container's last process; retried
 *   while fuse-overlayfs or a straggler leaves.
 * - removeOrphanCgroups(host, isLive): the next command after a crash removes the
 *   empty cgroups of containers that no longer run.
 *
 * The routes sit side by side (delegated-v2.ts, systemd-user.ts, delegated-v1.ts),
 * as crun's cgroup-*.c do; limits-files.ts spells the limits in both versions.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { CONTAINER_PREFIX, createV2Cgroup, writeV2Limits } from './delegated-v2.js';
import { createV1Cgroups, extendV1Cgroups, writeV1Limits } from './delegated-v1.js';
import { detectCached } from './route.js';
import { oomKillCount } from './stats.js';
import { ensureHolder, HOLDER_UNIT } from './systemd-user.js';
import type { CgroupHost, ContainerCgroup, Limits } from './types.js';

export type { CgroupHost, CgroupRouteName, CgroupStats, ContainerCgroup, Controller, Limits, V1HierarchyName } from './types.js';
export { DEFAULT_PIDS_LIMIT, LIMIT_CONTROLLERS, LIMIT_FLAGS } from './types.js';
export { resolveLimits, type LimitMode, type ResolvedLimits } from './resolve.js';
export { readStats } from './stats.js';
export { isFrozen, setFrozen } from './freezer.js';
export { removeContainerCgroup, removeOrphanCgroups, cgroupDirs } from './remove.js';
export { detect as detectCgroupHostWith, forgetDetection, type DetectOptions } from './route.js';

/** native/burrow-cgexec, beside the other helpers in build/native. */
export const CGEXEC_BINARY = fileURLToPath(new URL('../native/burrow-cgexec', import.meta.url));

export function detectCgroupHost(): CgroupHost {
  return detectCached();
}

/** Makes the container's cgroup with its limits written; undefined on route `none`. */
export async function createContainerCgroup(host: CgroupHost, id: string, limits: Limits): Promise<ContainerCgroup | undefined> {
  switch (host.route) {
    case 'none':
      return undefined;
    case 'delegated-v2': {
      const dir = createV2Cgroup(requireParent(host), host.controllers, id, limits);
      return { route: host.route, dirs: { v2: dir }, controllers: host.controllers };
    }
    case 'systemd-user': {
      const holder = requireParent(host);
      await ensureHolder({ holder, controllers: host.controllers }, process.getuid?.() ?? 0, [CGEXEC_BINARY, '--hold']);
      const dir = createV2Cgroup(holder, host.controllers, id, limits);
      return { route: host.route, dirs: { v2: dir }, controllers: host.controllers, systemd: { unit: HOLDER_UNIT, subPath: `/${CONTAINER_PREFIX}${id.slice(0, 12)}` } };
    }
    case 'delegated-v1': {
      if (host.v1Subtrees === undefined) throw new BurrowError('IO', 'route delegated-v1 without its subtrees (a CgroupHost not made by detectCgroupHost)');
      return { route: host.route, dirs: { v1: createV1Cgroups(host.v1Subtrees, id, limits) }, controllers: host.controllers };
    }
  }
}

function requireParent(host: CgroupHost): string {
  if (host.v2Parent === undefined) throw new BurrowError('IO', `route ${host.route} without its cgroup (a CgroupHost not made by detectCgroupHost)`);
  return host.v2Parent;
}

/**
 * `burrow-cgexec [--systemd UNIT SUBPATH] --procs FILE… --`: moves itself into the
 * container's cgroups (through the user manager where the job's own cgroup is not
 * the user's), checks it is there, and execs the rest of the argv.
 */
export function entryArgv(cgroup: ContainerCgroup): string[] {
  const argv = [CGEXEC_BINARY];
  if (cgroup.systemd !== undefined) argv.push('--systemd', cgroup.systemd.unit, cgroup.systemd.subPath);
  if ('v2' in cgroup.dirs) argv.push('--procs', join(cgroup.dirs.v2, 'cgroup.procs'));
  else for (const dir of Object.values(cgroup.dirs.v1)) if (dir !== undefined) argv.push('--procs', join(dir, 'cgroup.procs'));
  argv.push('--');
  return argv;
}

/** `burrow update`: writes `limits` (the container's limits after the update) to its running cgroup. */
export function applyLimits(cgroup: ContainerCgroup, limits: Limits, id?: string, host: () => CgroupHost = detectCached): ContainerCgroup {
  if ('v2' in cgroup.dirs) {
    writeV2Limits(cgroup.dirs.v2, limits);
    return cgroup;
  }
  // v1: a limit of a hierarchy the container has not joined yet brings it in (extendV1Cgroups).
  const subtrees = id === undefined ? undefined : host().v1Subtrees;
  const dirs = id === undefined || subtrees === undefined ? cgroup.dirs.v1 : extendV1Cgroups(cgroup.dirs.v1, subtrees, id, limits);
  writeV1Limits(dirs, limits);
  return { ...cgroup, dirs: { v1: dirs } };
}

/** Whether the kernel OOM-killed a process of the container. */
export function oomKilled(cgroup: ContainerCgroup): boolean {
  return oomKillCount(cgroup) > 0;
}
