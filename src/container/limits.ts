import { availableParallelism } from 'node:os';
import { BurrowError } from '../errors.js';
import type { LimitMode } from '../cgroup/index.js';
import type { Limits } from '../cgroup/types.js';

/**
 * Docker's resource-limit flags (`run`, `create`, `update`), as the user typed
 * them, turned into `Limits` in plain units. Each bad value is a one-line error
 * in Docker's words where Docker has some, plus what to give instead. Whether the
 * host can enforce them is not decided here (cgroup/index.ts: resolveLimits).
 */
export interface LimitFlags {
  memory?: string | undefined;
  memorySwap?: string | undefined;
  memoryReservation?: string | undefined;
  cpus?: string | undefined;
  cpuShares?: string | undefined;
  cpuWeight?: string | undefined;
  cpusetCpus?: string | undefined;
  pidsLimit?: string | undefined;
  blkioWeight?: string | undefined;
}

/** The smallest memory limit Docker accepts (below it a container cannot even start its runtime). */
export const MIN_MEMORY = 6 * 1024 * 1024;

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

function invalid(flag: string, value: string, why: string): BurrowError {
  return new BurrowError('INVALID_ARGUMENT', `invalid ${flag} "${value}": ${why}`);
}

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i;

/**
 * A size as Docker reads it (go-units RAMInBytes): bytes, or a number with a
 * binary unit, `k`, `m`, `g`, `t`, `p`, optionally followed by `i` and/or `b`
 * (`512k`, `64m`, `1.5g`, `64MiB`).
 */
export function parseSize(flag: string, value: string): number {
  const bytes = sizeInBytes(value);
  if (bytes === undefined) throw invalid(flag, value, SIZE.test(value.trim()) ? 'too large' : 'give a size such as 64m, 1g, 512k or a number of bytes');
  return bytes;
}

/** parseSize's reading without an error: the bytes, or undefined for text that is no size (or too large to be exact). */
export function sizeInBytes(value: string): number | undefined {
  const match = SIZE.exec(value.trim());
  if (match === null) return undefined;
  const bytes = Math.floor(Number(match[1]) * UNITS[(match[2] ?? '').toLowerCase()]!);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

function parseInteger(flag: string, value: string, min: number, max: number, range: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw invalid(flag, value, `give a whole number (${range})`);
  const number = Number(value);
  if (number < min || number > max) throw invalid(flag, value, range);
  return number;
}

/** `0-1,3` → [0, 1, 3]; undefined when the syntax is wrong. */
function cpuList(value: string): number[] | undefined {
  const cpus: number[] = [];
  for (const part of value.split(',')) {
    const range = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (range === null) return undefined;
    const first = Number(range[1]);
    const last = range[2] === undefined ? first : Number(range[2]);
    if (last < first || last - first > 4096) return undefined;
    for (let cpu = first; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/**
 * The flags as `Limits`; `hostCpus` bounds --cpus and --cpuset-cpus (Docker:
 * "Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available").
 */
export function parseLimits(flags: LimitFlags, hostCpus: number = availableParallelism()): Limits {
  const limits: Limits = {};
  if (flags.memory !== undefined) {
    limits.memory = parseSize('--memory', flags.memory);
    // 0 is Docker's "no limit" (HostConfig.Memory's default), as scripts spell it.
    if (limits.memory === 0) delete limits.memory;
    else if (limits.memory < MIN_MEMORY) throw invalid('--memory', flags.memory, 'Minimum memory limit allowed is 6MB: give 6m or more');
  }
  if (flags.memorySwap !== undefined) {
    limits.memorySwap = flags.memorySwap.trim() === '-1' ? -1 : parseSize('--memory-swap', flags.memorySwap);
  }
  if (flags.memoryReservation !== undefined) {
    limits.memoryReservation = parseSize('--memory-reservation', flags.memoryReservation);
    if (limits.memoryReservation === 0) delete limits.memoryReservation;
    else if (limits.memoryReservation < MIN_MEMORY) throw invalid('--memory-reservation', flags.memoryReservation, 'Minimum memory reservation allowed is 6MB: give 6m or more');
  }
  if (flags.cpus !== undefined) {
    const value = flags.cpus.trim();
    const cpus = /^(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : Number.NaN;
    const range = `Range of CPUs is from 0.01 to ${hostCpus.toFixed(2)}, as there are only ${hostCpus} CPUs available`;
    if (!Number.isFinite(cpus)) throw invalid('--cpus', flags.cpus, `give a number of CPUs such as 0.5 or 2 (${range})`);
    const nanoCpus = Math.round(cpus * 1e9);
    if (nanoCpus < 1e7 || cpus > hostCpus) throw invalid('--cpus', flags.cpus, range);
    limits.nanoCpus = nanoCpus;
  }
  if (flags.cpuShares !== undefined) limits.cpuShares = parseInteger('--cpu-shares', flags.cpuShares, 2, 262144, 'the range is 2 to 262144; 1024 is the default weight');
  if (flags.cpuWeight !== undefined) limits.cpuWeight = parseInteger('--cpu-weight', flags.cpuWeight, 1, 10000, 'the range is 1 to 10000; 100 is the default weight');
  if (flags.cpusetCpus !== undefined) {
    const cpus = cpuList(flags.cpusetCpus);
    const available = hostCpus === 1 ? '0' : `0-${hostCpus - 1}`;
    if (cpus === undefined || cpus.length === 0) throw invalid('--cpuset-cpus', flags.cpusetCpus, 'give CPU numbers and ranges such as 0-1,3');
    if (cpus.some((cpu) => cpu >= hostCpus)) throw invalid('--cpuset-cpus', flags.cpusetCpus, `Requested CPUs are not available - requested ${flags.cpusetCpus}, available: ${available}`);
    limits.cpusetCpus = flags.cpusetCpus.trim();
  }
  if (flags.pidsLimit !== undefined) {
    const pids = parseInteger('--pids-limit', flags.pidsLimit, -1, 2 ** 31 - 1, 'give a number of processes, or -1 (or 0) for no limit');
    // Docker: 0 and -1 both mean "no limit".
    limits.pidsLimit = pids <= 0 ? -1 : pids;
  }
  if (flags.blkioWeight !== undefined) limits.ioWeight = parseInteger('--blkio-weight', flags.blkioWeight, 10, 1000, 'Range of blkio weight is from 10 to 1000');
  checkLimits(limits);
  return limits;
}

/**
 * What holds between the limits (after a parse, and after `update` merges new
 * values into the old ones): swap only with a memory limit and not below it, a
 * reservation not above the limit.
 */
export function checkLimits(limits: Limits): void {
  const { memory, memorySwap, memoryReservation } = limits;
  if (memorySwap !== undefined && memorySwap !== -1) {
    if (memory === undefined) throw new BurrowError('INVALID_ARGUMENT', 'You should always set the Memory limit when using Memoryswap limit: give --memory as well as --memory-swap');
    if (memorySwap < memory) throw new BurrowError('INVALID_ARGUMENT', 'Minimum memoryswap limit should be larger than memory limit: give --memory-swap at least --memory (or -1 for unlimited swap)');
  }
  if (memory !== undefined && memoryReservation !== undefined && memory < memoryReservation) {
    throw new BurrowError('INVALID_ARGUMENT', 'Minimum memory limit can not be less than memory reservation limit: give --memory-reservation at most --memory');
  }
  if (limits.cpuShares !== undefined && limits.cpuWeight !== undefined) {
    throw new BurrowError('INVALID_ARGUMENT', '--cpu-shares and --cpu-weight set the same CPU weight (v1 and v2 spellings): give one');
  }
}

/** `update`: the new values over the old ones, checked together (Docker refuses a memory above the swap already set). */
export function mergeLimits(current: Limits, update: Limits): Limits {
  const merged: Limits = { ...current };
  // One CPU weight, in either spelling: the new one replaces the old one.
  if (update.cpuShares !== undefined) delete merged.cpuWeight;
  if (update.cpuWeight !== undefined) delete merged.cpuShares;
  for (const [key, value] of Object.entries(update) as Array<[keyof Limits, Limits[keyof Limits]]>) {
    if (value !== undefined) (merged as Record<keyof Limits, unknown>)[key] = value;
  }
  // A new memory limit over an old swap limit that no longer fits: Docker asks for both at once.
  if (update.memory !== undefined && update.memorySwap === undefined && merged.memorySwap !== undefined && merged.memorySwap !== -1 && merged.memorySwap < update.memory) {
    throw new BurrowError('INVALID_ARGUMENT', 'Memory limit should be smaller than already set memoryswap limit: update --memory-swap at the same time');
  }
  checkLimits(merged);
  return merged;
}

/** Whether any limit was asked for. */
export function asksForLimits(limits: Limits): boolean {
  return Object.values(limits).some((value) => value !== undefined);
}

/** `--cgroups enabled|disabled` (Podman's) and `--ignore-missing-limits`, checked against the limits asked for. */
export function parseLimitMode(cgroups: string | undefined, ignoreMissing: boolean, limits: Limits): LimitMode {
  if (cgroups !== undefined && cgroups !== 'enabled' && cgroups !== 'disabled') {
    throw invalid('--cgroups', cgroups, 'use enabled or disabled');
  }
  const mode = { disabled: cgroups === 'disabled', ignoreMissing };
  checkLimitMode(mode, limits);
  return mode;
}

/** --cgroups disabled and limits exclude each other. */
export function checkLimitMode(mode: LimitMode, limits: Limits): void {
  if (mode.disabled && asksForLimits(limits)) {
    throw new BurrowError('INVALID_ARGUMENT', '--cgroups disabled runs the container without a cgroup, so it cannot have resource limits: drop one or the other');
  }
}
