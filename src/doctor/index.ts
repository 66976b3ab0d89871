/**
 * `burrow doctor`: what this host gives burrow, one check at a time, each with
 * what to do when it falls short. A first version (issue 10): the kernel, user
 * namespaces and the id mapping, the programs `run` needs, and the cgroup route
 * with the limits it enforces. Only file reads and PATH lookups: nothing runs.
 */
import { release } from 'node:os';
import { detectCgroupHost, LIMIT_CONTROLLERS, LIMIT_FLAGS, type CgroupHost, type Controller, type Limits } from '../cgroup/index.js';
import { cgroupVersion, readCgroupMounts, type CgroupVersion } from '../setup/host.js';
import { assertUserNamespacesAllowed } from '../userns/failure.js';
import { idMapping } from '../userns/idmap.js';
import { notInstalled, onPath } from '../util/host-tools.js';
import { TUN, tunProblem } from '../network/helpers.js';

/** ok: fine; warn: `run` works with less (no limits, one id); fail: `run` cannot work. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do about it (warn and fail). */
  fix?: string | undefined;
}

export interface DoctorCgroup {
  version: CgroupVersion;
  route: CgroupHost['route'] | 'unknown';
  controllers: Controller[];
  reason: string;
  /** The flags this route enforces (and `pause` where the freezer is there). */
  enforced: string[];
  /** The limit flags it refuses (unless --ignore-missing-limits). */
  refused: string[];
  /** The one command that would give more. */
  more?: string | undefined;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  cgroup: DoctorCgroup;
  /** False when something `run` needs is missing (a `fail`). */
  ok: boolean;
}

/** The programs every `run` starts (newuidmap is the id mapping's check). */
const RUN_TOOLS = ['unshare', 'bwrap'];

const VERSION_WORDS: Record<CgroupVersion, string> = {
  v1: 'cgroup v1',
  hybrid: 'cgroup v1 (hybrid: v2 mounted without controllers)',
  v2: 'cgroup v2',
  none: 'no cgroup file system mounted',
};

function kernelCheck(): DoctorCheck {
  return { name: 'kernel', status: 'ok', detail: `Linux ${release()}` };
}

function userNamespaceCheck(): DoctorCheck {
  try {
    assertUserNamespacesAllowed();
    return { name: 'user namespaces', status: 'ok', detail: 'unprivileged user namespaces are allowed' };
  } catch (error) {
    return { name: 'user namespaces', status: 'fail', detail: (error as Error).message };
  }
}

function idMappingCheck(): DoctorCheck {
  const mapping = idMapping();
  if (mapping.single) return { name: 'id mapping', status: 'warn', detail: 'only your own id is mapped: images whose files belong to other users cannot be unpacked as they are', fix: mapping.reason };
  return { name: 'id mapping', status: 'ok', detail: `container ids 1-${Math.min(mapping.uidRange!.count, mapping.gidRange!.count)} map to your subordinate ids from ${mapping.uidRange!.start}` };
}

function toolsCheck(): DoctorCheck {
  const missing = RUN_TOOLS.filter((tool) => !onPath(tool));
  if (missing.length > 0) return { name: 'programs', status: 'fail', detail: missing.map(notInstalled).join('; ') };
  return { name: 'programs', status: 'ok', detail: `${RUN_TOOLS.join(', ')} found` };
}

/**
 * The private network (the default mode): pasta or slirp4netns, and /dev/net/tun
 * opened read-write by this user. Without them `run` falls back to none (warn).
 */
export function networkChecks(): DoctorCheck[] {
  const pasta = onPath('pasta');
  const slirp = onPath('slirp4netns');
  const either = pasta || slirp;
  const helper = (name: 'pasta' | 'slirp4netns', found: boolean): DoctorCheck => found
    ? { name, status: 'ok', detail: `found: --network ${name} works${name === 'pasta' || !pasta ? ' (and is the default helper)' : ''}` }
    : { name, status: either ? 'ok' : 'warn', detail: `${notInstalled(name)}${either ? '' : ': containers run without a network (as --network none), or with their user-defined networks alone, no outbound access'}`, fix: `apt-get install ${name === 'pasta' ? 'passt' : 'slirp4netns'} (as root)` };
  const tun = tunProblem();
  return [
    helper('pasta', pasta),
    helper('slirp4netns', slirp),
    tun === undefined
      ? { name: 'tun', status: 'ok', detail: `${TUN} can be opened: private networks work` }
      : { name: 'tun', status: 'warn', detail: `${tun}: containers run without a network (as --network none)`, fix: `chmod 0666 ${TUN} (as root)` },
  ];
}

/** Which flags a route with these controllers enforces, and which it refuses. */
export function limitFlags(controllers: readonly Controller[]): { enforced: string[]; refused: string[] } {
  const enforced: string[] = [];
  const refused: string[] = [];
  for (const key of Object.keys(LIMIT_FLAGS) as Array<keyof Limits>) {
    (controllers.includes(LIMIT_CONTROLLERS[key]) ? enforced : refused).push(LIMIT_FLAGS[key]);
  }
  if (controllers.includes('freezer')) enforced.push('pause');
  return { enforced, refused };
}

function cgroupInfo(): DoctorCgroup {
  const version = cgroupVersion(readCgroupMounts());
  let host: CgroupHost;
  try {
    host = detectCgroupHost();
  } catch (error) {
    return { version, route: 'unknown', controllers: [], reason: `could not tell: ${(error as Error).message}`, ...limitFlags([]) };
  }
  // A route forced to none (BURROW_CGROUP_ROUTE) names no command: on cgroup v1 setup is the one.
  const more = host.more ?? (host.route === 'none' && (version === 'v1' || version === 'hybrid') ? 'sudo burrow setup' : undefined);
  return { version, route: host.route, controllers: [...host.controllers], reason: host.reason, ...limitFlags(host.controllers), more };
}

function cgroupChecks(cgroup: DoctorCgroup): DoctorCheck[] {
  const route: DoctorCheck =
    cgroup.route === 'unknown'
      ? { name: 'cgroup', status: 'warn', detail: `${VERSION_WORDS[cgroup.version]}; the route is unknown: ${cgroup.reason}` }
      : cgroup.route === 'none'
      ? { name: 'cgroup', status: 'warn', detail: `${VERSION_WORDS[cgroup.version]}; nothing is delegated to you: ${cgroup.reason}`, fix: cgroup.more }
      : { name: 'cgroup', status: 'ok', detail: `${VERSION_WORDS[cgroup.version]}; route ${cgroup.route}: ${cgroup.reason}` };
  const limits: DoctorCheck =
    cgroup.enforced.length === 0
      ? { name: 'limits', status: 'warn', detail: `none enforced: ${cgroup.refused.join(' ')} are refused (unless --ignore-missing-limits), no default pids limit`, fix: cgroup.more }
      : {
          name: 'limits',
          status: cgroup.refused.length === 0 ? 'ok' : 'warn',
          detail: `controllers ${cgroup.controllers.join(' ')}: enforced ${cgroup.enforced.join(' ')}${cgroup.refused.length === 0 ? '' : `; refused ${cgroup.refused.join(' ')}`}`,
          fix: cgroup.refused.length === 0 ? undefined : cgroup.more,
        };
  return [route, limits];
}

export function runDoctor(): DoctorReport {
  const cgroup = cgroupInfo();
  const checks = [kernelCheck(), userNamespaceCheck(), idMappingCheck(), toolsCheck(), ...networkChecks(), ...cgroupChecks(cgroup)];
  return { checks, cgroup, ok: checks.every((check) => check.status !== 'fail') };
}
