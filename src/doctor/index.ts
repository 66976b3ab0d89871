/**
 * `burrow doctor`: what this host gives burrow, one check at a time, each with
 * the command that fixes it when it falls short. Facts are read from files and
 * PATH (facts.ts), proved where reading is not enough (probe.ts: a user
 * namespace made as a container start makes it, the overlays in it, bwrap's
 * version), and judged in one pure function (checks.ts). Fast enough for the
 * start of every CI job: two small processes, run side by side, and file reads.
 */
import { detectCgroupHost, LIMIT_CONTROLLERS, LIMIT_FLAGS, type CgroupHost, type Controller, type Limits } from '../cgroup/index.js';
import { cgroupVersion, HOST_PATHS, readCgroupMounts, type HostPaths } from '../setup/host.js';
import { diagnose, type DoctorCheck } from './checks.js';
import { diskFacts, liveFacts, liveUser, readFileFacts, type CgroupFacts, type HostFacts } from './facts.js';
import { probeBwrap, probeUserNamespace } from './probe.js';

export { diagnose, type CheckStatus, type DoctorCheck } from './checks.js';
export { readFileFacts, type HostFacts } from './facts.js';
export type { UsernsProbe } from './probe.js';

export type DoctorCgroup = CgroupFacts;

export interface DoctorReport {
  checks: DoctorCheck[];
  cgroup: DoctorCgroup;
  /** False when something `run` needs is missing (a `fail`). */
  ok: boolean;
  /** The facts the checks were decided from. */
  facts: HostFacts;
  durationMs: number;
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

function cgroupInfo(paths: HostPaths): CgroupFacts {
  const version = cgroupVersion(readCgroupMounts(paths));
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

export interface DoctorOptions {
  /** The store's root (its file system is where the overlay is tried and free space counted). */
  storeRoot: string;
  paths?: HostPaths;
}

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const started = performance.now();
  const paths = options.paths ?? HOST_PATHS;
  const user = liveUser();
  const files = readFileFacts(paths, user);
  // A sysctl that allows no user namespace at all: burrow-userns is not run (the sysctl says more than its EPERM would).
  const allowed = files.sysctls.maxUserNamespaces !== 0 && files.sysctls.unprivilegedUsernsClone !== 0;
  const [userns, bwrap] = await Promise.all([allowed ? probeUserNamespace(options.storeRoot) : Promise.resolve(undefined), probeBwrap()]);
  const facts: HostFacts = { ...liveFacts(), user, ...files, userns, bwrap, disk: diskFacts(options.storeRoot), cgroup: cgroupInfo(paths) };
  const checks = diagnose(facts);
  return { checks, cgroup: facts.cgroup, ok: checks.every((check) => check.status !== 'fail'), facts, durationMs: Math.round(performance.now() - started) };
}
