/**
 * burrow's cgroups (issue 10), as the rest of the library sees them. The contract
 * (the implementations are being written; these signatures are what callers use):
 *
 * - detectCgroupHost(): which route this host gives and its controllers, from file
 *   reads alone (no process started): called on every `run`, must cost < 1 ms.
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
 */
import type { CgroupHost, CgroupStats, ContainerCgroup, Limits } from './types.js';

export type { CgroupHost, CgroupStats, ContainerCgroup, Controller, Limits } from './types.js';
export { DEFAULT_PIDS_LIMIT, LIMIT_CONTROLLERS, LIMIT_FLAGS } from './types.js';

export interface LimitMode {
  /** --cgroups=disabled: no cgroup, no limits; asking for a limit as well is an error. */
  disabled: boolean;
  /** --ignore-missing-limits: run without what the host cannot enforce, with one warning. */
  ignoreMissing: boolean;
}

export interface ResolvedLimits {
  /** Whether the container gets a cgroup at all. */
  cgroup: boolean;
  /** The limits to write (asked ones the route can enforce, plus the default pids limit). */
  limits: Limits;
  /** Flags asked for and not enforced (only with ignoreMissing): the warning names them. */
  notEnforced: string[];
}

const pending = (name: string): never => {
  throw new Error(`cgroup/${name}: not implemented yet`);
};

export function detectCgroupHost(): CgroupHost {
  return pending('detectCgroupHost');
}
export function resolveLimits(_host: CgroupHost, _asked: Limits, _mode: LimitMode): ResolvedLimits {
  return pending('resolveLimits');
}
export async function createContainerCgroup(_host: CgroupHost, _id: string, _limits: Limits): Promise<ContainerCgroup | undefined> {
  return pending('createContainerCgroup');
}
export function entryArgv(_cgroup: ContainerCgroup): string[] {
  return pending('entryArgv');
}
export function applyLimits(_cgroup: ContainerCgroup, _limits: Limits): void {
  pending('applyLimits');
}
export function readStats(_cgroup: ContainerCgroup): CgroupStats {
  return pending('readStats');
}
export function oomKilled(_cgroup: ContainerCgroup): boolean {
  return pending('oomKilled');
}
export function isFrozen(_cgroup: ContainerCgroup | undefined): boolean {
  return pending('isFrozen');
}
export async function setFrozen(_cgroup: ContainerCgroup | undefined, _frozen: boolean, _name: string): Promise<void> {
  pending('setFrozen');
}
export async function removeContainerCgroup(_cgroup: ContainerCgroup | undefined): Promise<void> {
  pending('removeContainerCgroup');
}
export function removeOrphanCgroups(_host: CgroupHost, _isLive: (containerId: string) => boolean): void {
  pending('removeOrphanCgroups');
}
