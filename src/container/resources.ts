import { readdirSync } from 'node:fs';
import { BurrowError } from '../errors.js';
import {
  createContainerCgroup, detectCgroupHost, LIMIT_FLAGS, removeOrphanCgroups, resolveLimits,
  type CgroupHost, type ContainerCgroup, type LimitMode, type Limits, type ResolvedLimits,
} from '../cgroup/index.js';
import type { Store } from '../store/store.js';
import { CONTAINER_ID, containersDir, readRecord, writeRecord, type ContainerRecord } from './record.js';
import { containerState } from './state.js';

/**
 * A container's cgroup as each start makes it (cgroup/ does the routes): the
 * limits asked for are resolved against what this host gives, an asked limit it
 * cannot enforce stops the start before anything of the container runs, and the
 * cgroup is made with the limits already written.
 */

const DEFAULT_MODE: LimitMode = { disabled: false, ignoreMissing: false };

export function limitModeOf(record: ContainerRecord): LimitMode {
  return record.limitMode ?? DEFAULT_MODE;
}

/** The one warning of --ignore-missing-limits: exactly what runs unenforced, and why. */
export function notEnforcedWarning(flags: string[], host: CgroupHost): string {
  return `warning: ${flags.join(', ')} ${flags.length === 1 ? 'is' : 'are'} not enforced on this host (${host.reason}); run 'burrow doctor' for what would enforce ${flags.length === 1 ? 'it' : 'them'}`;
}

/** Resolves `limits` against `host`, with the one warning for what is not enforced. */
export function resolveWithWarning(host: CgroupHost, limits: Limits, mode: LimitMode, onNote: ((note: string) => void) | undefined, only?: Limits): ResolvedLimits {
  const resolved = resolveLimits(host, limits, mode);
  // `update`: warn only about what this update asked for.
  const asked = only === undefined ? undefined : new Set(Object.entries(only).filter(([, value]) => value !== undefined).map(([key]) => LIMIT_FLAGS[key as keyof Limits]));
  const notEnforced = asked === undefined ? resolved.notEnforced : resolved.notEnforced.filter((flag) => asked.has(flag));
  if (notEnforced.length > 0) onNote?.(notEnforcedWarning(notEnforced, host));
  return resolved;
}

/**
 * Whether the container a cgroup was made for may still need it. Only a container
 * of this store known to be over (exited, its monitor gone: a crash, a kill -9)
 * gives its cgroup up. Everything else keeps it: a container being started right
 * now (created: its fresh cgroup is still empty until the entry moves the launcher
 * in), one between two runs of a restart policy (its monitor lives on), and an id
 * this store does not know, which may be another store's container (`--root`, a
 * second BURROW_ROOT of the same user share the user's cgroup subtree).
 * `containerId` is the 12-character prefix the cgroup is named by.
 */
function isLive(store: Store, containerId: string): boolean {
  let ids: string[];
  try {
    ids = readdirSync(containersDir(store)).filter((id) => CONTAINER_ID.test(id) && id.startsWith(containerId));
  } catch {
    return true;
  }
  if (ids.length === 0) return true;
  return ids.some((id) => {
    const record = readRecord(store, id);
    if (record === undefined) return true;
    const state = containerState(store, record);
    return state.status !== 'exited' || state.monitor !== undefined;
  });
}

/**
 * Before a start: the container's cgroup with its limits, or undefined (nothing
 * delegated, or --cgroups disabled). Throws the one-line error for an asked limit
 * the host cannot enforce (unless --ignore-missing-limits: one warning through
 * `onNote`). Cleans up the cgroups of containers that died with a crash first.
 * The record keeps the cgroup (pause, stats, exec and update find it there) and
 * the limits in force.
 */
export async function cgroupForStart(store: Store, record: ContainerRecord, onNote: ((note: string) => void) | undefined): Promise<ContainerCgroup | undefined> {
  const mode = limitModeOf(record);
  let cgroup: ContainerCgroup | undefined;
  let inForce: Limits | undefined;
  if (!mode.disabled) {
    const host = detectCgroupHost();
    const resolved = resolveWithWarning(host, record.limits ?? {}, mode, onNote);
    if (resolved.cgroup && host.route !== 'none') {
      // One answer per container: each of its cgroups (one per v1 hierarchy) asks again.
      const answers = new Map<string, boolean>();
      removeOrphanCgroups(host, (containerId) => {
        let live = answers.get(containerId);
        if (live === undefined) answers.set(containerId, (live = record.id.startsWith(containerId) || isLive(store, containerId)));
        return live;
      });
      cgroup = await createContainerCgroup(host, record.id, resolved.limits);
      inForce = cgroup === undefined ? undefined : resolved.limits;
    }
  }
  // Written only when it changes: a start without a cgroup costs no record write.
  if (cgroup !== undefined || record.cgroup !== undefined || record.limitsInForce !== undefined) {
    record.cgroup = cgroup;
    record.limitsInForce = inForce;
    writeRecord(store, record);
  }
  return cgroup;
}

/** Why a container has no cgroup, for the errors of pause, update and the like. */
export function noCgroupError(record: ContainerRecord, what: string): BurrowError {
  if (limitModeOf(record).disabled) {
    return new BurrowError('INVALID_ARGUMENT', `cannot ${what} ${record.name}: it was created with --cgroups disabled, so it has no cgroup of its own; recreate it without that flag`);
  }
  const host = detectCgroupHost();
  if (host.route !== 'none') {
    return new BurrowError('INVALID_ARGUMENT', `cannot ${what} ${record.name}: it was started without a cgroup of its own (none was delegated then): restart it`);
  }
  return new BurrowError('INVALID_ARGUMENT', `cannot ${what} ${record.name}: it has no cgroup of its own (${host.reason}); run 'burrow doctor' to see what would give one`);
}

/**
 * The container's cgroups found by name (`<id12>`, `burrow-<id12>`), for `rm`: a start
 * killed between making its cgroup and recording it leaves one that only its name
 * finds. Empty ones go (rmdir); a populated one stays.
 */
export function removeCgroupsOf(id: string): void {
  let host: CgroupHost;
  try {
    host = detectCgroupHost();
  } catch {
    return; // A bad BURROW_CGROUP_ROUTE: the start that reads it says so.
  }
  if (host.route === 'none') return;
  const id12 = id.slice(0, 12);
  removeOrphanCgroups(host, (candidate) => candidate !== id12);
}
