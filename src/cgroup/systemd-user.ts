import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { enableSubtree, v2Controllers } from './delegated-v2.js';
import type { V2Place } from './hierarchy.js';
import type { Controller } from './types.js';

/**
 * Route 2: a systemd user manager delegates a cgroup (GitHub-hosted runners: the
 * job sits in a root-owned system service while user 1001's manager runs, linger).
 *
 * One long-lived transient user service per user, HOLDER_UNIT in burrow.slice,
 * holds the containers' cgroups (Podman's pause process): started once with
 * `systemd-run --user -p Delegate=yes`, it gets a user-owned cgroup with the
 * manager's controllers. Its own process moves into a leaf, the controllers are
 * enabled for its children, and each container is a child `burrow-<id12>` made
 * and limited by the same code as route 1. A process of the job (in a cgroup the
 * user cannot write) is moved in by the user manager, which asks PID 1:
 * AttachProcessesToUnit (native/burrow-cgexec --systemd). One unit for all
 * containers rather than one per container: a container costs one D-Bus call,
 * not a unit's start and stop.
 */

export const HOLDER_SLICE = 'burrow.slice';
export const HOLDER_UNIT = 'burrow-holder.service';

export function runtimeDir(uid: number): string {
  return process.env.XDG_RUNTIME_DIR ?? `/run/user/${uid}`;
}

/** The user manager's cgroup (user@UID.service), on a pure cgroup v2 host. */
export function userManagerCgroup(place: V2Place, uid: number): string {
  return join(place.mount, 'user.slice', `user-${uid}.slice`, `user@${uid}.service`);
}

export function holderCgroup(place: V2Place, uid: number): string {
  return join(userManagerCgroup(place, uid), HOLDER_SLICE, HOLDER_UNIT);
}

export interface UserManager {
  /** The holding unit's cgroup (it may not exist yet). */
  holder: string;
  controllers: Controller[];
}

/**
 * Whether a user manager is reachable (its bus socket; busctl needs the bus, not
 * only systemd/private) and what its cgroup can delegate. File reads only.
 */
export function findUserManager(place: V2Place | undefined, uid: number): UserManager | undefined {
  if (place === undefined || !place.pure) return undefined;
  if (!existsSync(join(runtimeDir(uid), 'bus'))) return undefined;
  const manager = userManagerCgroup(place, uid);
  if (!existsSync(join(manager, 'cgroup.controllers'))) return undefined;
  // Its children get these (Delegate= of user@.service), and every non-root cgroup has cgroup.freeze.
  const controllers = v2Controllers(manager);
  if (!controllers.includes('freezer') && existsSync(join(manager, 'cgroup.freeze'))) controllers.push('freezer');
  return { holder: holderCgroup(place, uid), controllers };
}

/** Whether the holding unit runs with its controllers enabled for children. */
function holderReady(holder: string, controllers: Controller[]): boolean {
  try {
    const enabled = readFileSync(join(holder, 'cgroup.subtree_control'), 'utf8');
    return controllers.every((name) => name === 'freezer' || enabled.includes(name));
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts the holding unit unless it runs, and makes its controllers available to
 * children. Concurrent first starts: a second `systemd-run` of a running unit
 * fails with "already exists", which means started.
 */
export async function ensureHolder(manager: UserManager, uid: number, holdArgv: string[]): Promise<void> {
  if (holderReady(manager.holder, manager.controllers)) return;
  if (!existsSync(join(manager.holder, 'cgroup.procs'))) {
    const env = { XDG_RUNTIME_DIR: runtimeDir(uid) };
    // Loaded here, once a boot at most: at the top of this module, which every start imports,
    // execa's modules were evaluated on every `burrow run` (~5-12 ms of a cold run's CPU).
    const { execa } = await import('execa');
    const result = await execa(
      'systemd-run',
      ['--user', '--quiet', '--collect', '--unit', HOLDER_UNIT, '--slice', HOLDER_SLICE, '-p', 'Delegate=yes', '--', ...holdArgv],
      { env, reject: false, stdin: 'ignore' },
    );
    if (result.exitCode !== 0 && !/already exists|already loaded|already active/i.test(result.stderr)) {
      const why = result.stderr.trim().split('\n').pop() ?? `exit ${result.exitCode}`;
      throw new BurrowError('IO', `cannot start the systemd user unit ${HOLDER_UNIT} that holds the containers' cgroups: ${why}`);
    }
  }
  // The unit's cgroup appears when systemd has forked its process; then its process goes to a leaf.
  for (let attempt = 0; attempt < 500; attempt++) {
    if (existsSync(join(manager.holder, 'cgroup.procs'))) {
      enableSubtree(manager.holder, manager.controllers);
      if (holderReady(manager.holder, manager.controllers)) return;
    }
    await sleep(20);
  }
  throw new BurrowError('IO', `the systemd user unit ${HOLDER_UNIT} did not come up within 10 s (see: journalctl --user -u ${HOLDER_UNIT})`);
}
