import { BurrowError } from '../errors.js';
import { DEFAULT_PIDS_LIMIT, LIMIT_CONTROLLERS, LIMIT_FLAGS, type CgroupHost, type Limits } from './types.js';

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

const asked = (limits: Limits): Array<keyof Limits> =>
  (Object.keys(limits) as Array<keyof Limits>).filter((key) => limits[key] !== undefined);

/** Docker's own checks of the values, whatever the host. */
function validate(limits: Limits): void {
  const fail = (message: string): never => {
    throw new BurrowError('INVALID_ARGUMENT', message);
  };
  if (limits.memorySwap !== undefined && limits.memory === undefined) fail('--memory-swap needs --memory as well (it is memory plus swap)');
  if (limits.memorySwap !== undefined && limits.memory !== undefined && limits.memorySwap >= 0 && limits.memorySwap < limits.memory) {
    fail('--memory-swap must be at least --memory (it is memory plus swap), or -1 for unlimited swap');
  }
  if (limits.memory !== undefined && limits.memory < 6 * 1024 * 1024) fail('--memory must be at least 6m');
  if (limits.memoryReservation !== undefined && limits.memory !== undefined && limits.memoryReservation > limits.memory) {
    fail('--memory-reservation must be smaller than --memory');
  }
  if (limits.cpuShares !== undefined && limits.cpuWeight !== undefined) fail('--cpu-shares and --cpu-weight set the same thing: give one');
  if (limits.nanoCpus !== undefined && limits.nanoCpus <= 0) fail('--cpus must be more than 0');
}

/**
 * What a container gets on `host`: asked limits whose controller the route lacks
 * are an error, or with ignoreMissing are left out and named in notEnforced; the
 * default pids limit where pids is delegated and none was asked for.
 */
export function resolveLimits(host: CgroupHost, wanted: Limits, mode: LimitMode): ResolvedLimits {
  const keys = asked(wanted);
  if (mode.disabled) {
    if (keys.length > 0) throw new BurrowError('INVALID_ARGUMENT', `${LIMIT_FLAGS[keys[0]!]} cannot be enforced with --cgroups=disabled`);
    return { cgroup: false, limits: {}, notEnforced: [] };
  }
  validate(wanted);
  const limits: Limits = {};
  const notEnforced: string[] = [];
  for (const key of keys) {
    let enforced = host.controllers.includes(LIMIT_CONTROLLERS[key]);
    // Swap is limited only where the kernel accounts it (v1: swapaccount=1); -1 (unlimited) asks for nothing.
    if (key === 'memorySwap' && host.swapLimit === false && wanted.memorySwap !== -1) enforced = false;
    if (enforced) {
      (limits as Record<string, unknown>)[key] = wanted[key];
      continue;
    }
    if (!mode.ignoreMissing) {
      const what = host.route === 'none' ? 'a delegated cgroup' : key === 'memorySwap' && host.controllers.includes('memory') ? 'swap accounting (swapaccount=1)' : `the ${LIMIT_CONTROLLERS[key]} controller delegated`;
      throw new BurrowError('INVALID_ARGUMENT', `${LIMIT_FLAGS[key]} needs ${what}: run 'burrow doctor' (or --ignore-missing-limits to run without it)`);
    }
    notEnforced.push(LIMIT_FLAGS[key]);
  }
  if (limits.pidsLimit === undefined && wanted.pidsLimit === undefined && host.controllers.includes('pids')) limits.pidsLimit = DEFAULT_PIDS_LIMIT;
  return { cgroup: host.route !== 'none', limits, notEnforced };
}
