import { BurrowError } from '../errors.js';
import { delegatedParent, isDelegated, v2Controllers } from './delegated-v2.js';
import { findSubtrees, subtreeName, v1Controllers, v1SwapAccounting } from './delegated-v1.js';
import { readPlaces, SYSTEM_SOURCES, type CgroupPlaces, type PlaceSources } from './hierarchy.js';
import { findUserManager } from './systemd-user.js';
import type { CgroupHost, CgroupRouteName } from './types.js';

/**
 * Which route gives this host's containers their cgroups, in issue 10's order:
 * 1. the v2 cgroup burrow runs in is delegated, 2. a systemd user manager is
 * reachable, 3. a per-user v1 subtree, 4. none. A v2 route that yields no resource
 * controller (a hybrid host's unified hierarchy) gives way to v1 where v1 has a
 * subtree. `BURROW_CGROUP_ROUTE` forces a route (tests, and users who know better).
 * File reads only, and cached: it runs on every `run`.
 */

const ROUTE_NAMES = ['auto', 'delegated-v2', 'systemd-user', 'delegated-v1', 'none'] as const;


export interface DetectOptions {
  sources?: PlaceSources;
  uid?: number;
  /** BURROW_CGROUP_ROUTE's value. */
  force?: string | undefined;
}

const RESOURCE = (name: string): boolean => name !== 'freezer';

function candidates(places: CgroupPlaces, uid: number): Partial<Record<Exclude<CgroupRouteName, 'none'>, CgroupHost>> {
  const found: Partial<Record<Exclude<CgroupRouteName, 'none'>, CgroupHost>> = {};
  const v2 = places.v2;
  if (v2 !== undefined) {
    const parent = delegatedParent(v2);
    if (parent !== v2.mount && isDelegated(parent)) {
      const controllers = v2.pure ? v2Controllers(parent) : v2Controllers(parent).filter((name) => name === 'freezer');
      found['delegated-v2'] = { route: 'delegated-v2', controllers, reason: `the cgroup v2 ${parent} is delegated to you`, v2Parent: parent };
    }
    const manager = findUserManager(v2, uid);
    if (manager !== undefined) {
      found['systemd-user'] = {
        route: 'systemd-user', controllers: manager.controllers, v2Parent: manager.holder,
        reason: `the systemd user manager of uid ${uid} delegates a cgroup to the unit that holds the containers`,
      };
    }
  }
  const subtrees = findSubtrees(places, uid);
  const v1 = v1Controllers(subtrees);
  if (v1.length > 0) {
    const where = Object.values(subtrees).join(', ');
    found['delegated-v1'] = {
      route: 'delegated-v1', controllers: v1, reason: `cgroup v1 subtrees delegated to you: ${where}`,
      swapLimit: v1SwapAccounting(subtrees), v1Subtrees: subtrees,
    };
  }
  return found;
}

function noneHost(places: CgroupPlaces, uid: number): CgroupHost {
  const hasV1 = Object.keys(places.v1).length > 0;
  if (hasV1) {
    return {
      route: 'none', controllers: [],
      reason: `cgroup v1 with no subtree delegated to uid ${uid} (no ${subtreeName(uid)} in the memory, pids or cpu hierarchy)`,
      more: 'sudo burrow setup',
    };
  }
  return {
    route: 'none', controllers: [],
    reason: 'cgroup v2, but the cgroup burrow runs in is not delegated to you and no systemd user manager is reachable',
    more: `sudo loginctl enable-linger ${process.env.USER ?? `$(id -un)`}`,
  };
}

export function detect(options: DetectOptions = {}): CgroupHost {
  const force = options.force ?? 'auto';
  if (!(ROUTE_NAMES as readonly string[]).includes(force)) {
    throw new BurrowError('INVALID_ARGUMENT', `BURROW_CGROUP_ROUTE=${force} is not a route: use one of ${ROUTE_NAMES.join(', ')}`);
  }
  const uid = options.uid ?? process.getuid?.() ?? 0;
  const places = readPlaces(options.sources ?? SYSTEM_SOURCES);
  if (force === 'none') return { route: 'none', controllers: [], reason: 'BURROW_CGROUP_ROUTE=none' };
  const found = candidates(places, uid);
  if (force !== 'auto') {
    const chosen = found[force as Exclude<CgroupRouteName, 'none'>];
    if (chosen === undefined) {
      throw new BurrowError('INVALID_ARGUMENT', `BURROW_CGROUP_ROUTE=${force}: this host does not offer that route (${noneHost(places, uid).reason}; see 'burrow doctor')`);
    }
    return chosen;
  }
  const v2 = found['delegated-v2'];
  const user = found['systemd-user'];
  const v1 = found['delegated-v1'];
  if (v2 !== undefined && (v2.controllers.some(RESOURCE) || (v1 === undefined && user === undefined))) return v2;
  if (user !== undefined && (user.controllers.some(RESOURCE) || v1 === undefined)) return user;
  if (v1 !== undefined) return v1;
  if (v2 !== undefined) return v2;
  return noneHost(places, uid);
}

let cached: CgroupHost | undefined;

/** The detection for this process (BURROW_CGROUP_ROUTE read once). */
export function detectCached(): CgroupHost {
  cached ??= detect({ force: process.env.BURROW_CGROUP_ROUTE });
  return cached;
}

/** Forgets the cached detection (tests; a command that has just changed the host). */
export function forgetDetection(): void {
  cached = undefined;
}
