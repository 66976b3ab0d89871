import { BurrowError } from '../errors.js';
import { applyLimits, detectCgroupHost, LIMIT_FLAGS, type CgroupHost, type ContainerCgroup, type Limits } from '../cgroup/index.js';
import type { Store } from '../store/store.js';
import { asksForLimits, mergeLimits } from './limits.js';
import { findContainer, lockContainer, readRecord, writeRecord, type ContainerRecord } from './record.js';
import { limitModeOf, noCgroupError, resolveWithWarning } from './resources.js';
import { containerState } from './state.js';

/** What a running container's own cgroup can enforce, as a host for resolveLimits. */
function cgroupAsHost(cgroup: ContainerCgroup): CgroupHost {
  return { route: cgroup.route, controllers: cgroup.controllers, reason: `its cgroup (${cgroup.route}) has ${cgroup.controllers.length === 0 ? 'no controllers' : `only ${cgroup.controllers.join(', ')}`}` };
}

/**
 * `burrow update`: new limits for a container, kept in its record for every later
 * start; a running container gets them at once in its cgroup (applyLimits). The
 * same refusals as `run`: a bad value, a limit the host (or the running
 * container's cgroup) cannot enforce unless it was created with
 * --ignore-missing-limits, any limit for a container created with --cgroups disabled.
 */
export async function updateContainer(store: Store, query: string, update: Limits, onNote?: (note: string) => void): Promise<ContainerRecord> {
  if (!asksForLimits(update)) throw new BurrowError('INVALID_ARGUMENT', 'update needs at least one limit to change, such as --memory 64m or --pids-limit 100');
  const found = findContainer(store, query);
  const lock = await lockContainer(store, found.id);
  try {
    // Read again under the lock: a start may have written its cgroup meanwhile.
    const record = readRecord(store, found.id);
    if (record === undefined) throw new BurrowError('NOT_FOUND', `no such container: ${found.name} (removed by another burrow command)`);
    const mode = limitModeOf(record);
    if (mode.disabled) {
      throw new BurrowError('INVALID_ARGUMENT', `cannot update ${record.name}: it was created with --cgroups disabled, so it cannot have resource limits; recreate it without that flag`);
    }
    const merged = mergeLimits(record.limits ?? {}, update);
    const running = containerState(store, record).status === 'running';
    if (running && record.cgroup !== undefined) {
      const resolved = resolveWithWarning(cgroupAsHost(record.cgroup), merged, mode, onNote, update);
      record.cgroup = applyLimits(record.cgroup, resolved.limits, record.id);
      record.limitsInForce = resolved.limits;
    } else {
      // Stopped (or running without a cgroup): what the next start would say, said now.
      const resolved = resolveWithWarning(detectCgroupHost(), merged, mode, onNote, update);
      if (running && resolved.cgroup && enforceableNow(resolved.notEnforced, update)) {
        throw noCgroupError(record, 'update');
      }
    }
    record.limits = merged;
    writeRecord(store, record);
    return record;
  } finally {
    lock.release();
  }
}

/** Whether some limit of `update` would be enforced by this host (so a running container without a cgroup misses it). */
function enforceableNow(notEnforced: string[], update: Limits): boolean {
  return Object.entries(update).some(([key, value]) => value !== undefined && !notEnforced.includes(LIMIT_FLAGS[key as keyof Limits]));
}
