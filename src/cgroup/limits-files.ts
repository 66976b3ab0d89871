import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { V1Hierarchy } from './hierarchy.js';
import { LIMIT_FLAGS, type Limits } from './types.js';

/**
 * Limits as cgroup file writes, in the v2 and the v1 spellings, as runc and crun
 * write them. Pure functions (what to write) apart from `writeLimit`, so that the
 * values are checked against simulated trees and the kernel alike.
 */

export const CPU_PERIOD_US = 100000;

/** One file write: the file (relative to the container's cgroup), the value, and the flag it comes from (for messages). */
export interface LimitWrite {
  file: string;
  value: string;
  flag: string;
}

/** runc's conversion of cpu.shares (2–262144) to cpu.weight (1–10000). */
export function sharesToWeight(shares: number): number {
  return Math.floor(1 + ((shares - 2) * 9999) / 262142);
}

/** The inverse, for --cpu-weight on cgroup v1. */
export function weightToShares(weight: number): number {
  return Math.floor(2 + ((weight - 1) * 262142) / 9999);
}

/** runc's conversion of blkio.weight (10–1000) to io.weight (1–10000). */
export function blkioToIoWeight(weight: number): number {
  return Math.floor(1 + ((weight - 10) * 9999) / 990);
}

/** The CFS quota for --cpus (Docker's NanoCpus) with a 100 ms period. */
export function cpuQuota(nanoCpus: number): number {
  return Math.max(1000, Math.round((nanoCpus * CPU_PERIOD_US) / 1e9));
}

/**
 * Swap in Docker's meaning: --memory-swap is memory + swap; -1 is unlimited swap;
 * absent (with --memory) is as much swap as memory. Undefined: nothing to write.
 */
export function swapBytes(limits: Limits): number | 'max' | undefined {
  if (limits.memory === undefined) return undefined;
  if (limits.memorySwap === undefined) return limits.memory;
  if (limits.memorySwap < 0) return 'max';
  return limits.memorySwap - limits.memory;
}

const unlimitedPids = (pids: number): boolean => pids <= 0;

/** The v2 writes for `limits`; `ioBfq`: the kernel has io.bfq.weight (blkio's scale) rather than io.weight. */
export function v2Writes(limits: Limits, ioBfq = false): LimitWrite[] {
  const writes: LimitWrite[] = [];
  const add = (file: string, value: string | number, key: keyof Limits): void => {
    writes.push({ file, value: String(value), flag: LIMIT_FLAGS[key] });
  };
  if (limits.memory !== undefined) add('memory.max', limits.memory, 'memory');
  const swap = swapBytes(limits);
  if (swap !== undefined) add('memory.swap.max', swap, limits.memorySwap === undefined ? 'memory' : 'memorySwap');
  if (limits.memoryReservation !== undefined) add('memory.low', limits.memoryReservation, 'memoryReservation');
  if (limits.nanoCpus !== undefined) add('cpu.max', `${cpuQuota(limits.nanoCpus)} ${CPU_PERIOD_US}`, 'nanoCpus');
  if (limits.cpuWeight !== undefined) add('cpu.weight', limits.cpuWeight, 'cpuWeight');
  else if (limits.cpuShares !== undefined) add('cpu.weight', sharesToWeight(limits.cpuShares), 'cpuShares');
  if (limits.cpusetCpus !== undefined) add('cpuset.cpus', limits.cpusetCpus, 'cpusetCpus');
  if (limits.pidsLimit !== undefined) add('pids.max', unlimitedPids(limits.pidsLimit) ? 'max' : limits.pidsLimit, 'pidsLimit');
  if (limits.ioWeight !== undefined) {
    if (ioBfq) add('io.bfq.weight', limits.ioWeight, 'ioWeight');
    else add('io.weight', `default ${blkioToIoWeight(limits.ioWeight)}`, 'ioWeight');
  }
  return writes;
}

export interface V1Write extends LimitWrite {
  hierarchy: V1Hierarchy;
}

export interface V1State {
  /** memory.memsw.limit_in_bytes exists (swapaccount=1). */
  swapAccounting: boolean;
  /** The memory limit in force now (bytes; Infinity when none), for the order of the memory writes. */
  currentMemory: number;
  /** blkio.weight or blkio.bfq.weight, whichever this kernel has. */
  blkioWeightFile: string;
}

/**
 * The v1 writes for `limits`. memory.limit_in_bytes may never exceed
 * memory.memsw.limit_in_bytes (the kernel refuses either write that would break
 * that), so memsw goes first when the new pair is above the memory limit in force
 * (raising) and second otherwise (lowering).
 */
export function v1Writes(limits: Limits, state: V1State): V1Write[] {
  const writes: V1Write[] = [];
  const add = (hierarchy: V1Hierarchy, file: string, value: string | number, key: keyof Limits): void => {
    writes.push({ hierarchy, file, value: String(value), flag: LIMIT_FLAGS[key] });
  };
  if (limits.memory !== undefined) {
    const swap = swapBytes(limits);
    const memsw = swap === 'max' ? -1 : limits.memory + (swap ?? 0);
    const memoryWrite = (): void => add('memory', 'memory.limit_in_bytes', limits.memory!, 'memory');
    const swapWrite = (): void => add('memory', 'memory.memsw.limit_in_bytes', memsw, limits.memorySwap === undefined ? 'memory' : 'memorySwap');
    if (!state.swapAccounting) memoryWrite();
    else if (memsw === -1 || memsw >= state.currentMemory) { swapWrite(); memoryWrite(); }
    else { memoryWrite(); swapWrite(); }
  }
  if (limits.memoryReservation !== undefined) add('memory', 'memory.soft_limit_in_bytes', limits.memoryReservation, 'memoryReservation');
  if (limits.nanoCpus !== undefined) {
    add('cpu', 'cpu.cfs_period_us', CPU_PERIOD_US, 'nanoCpus');
    add('cpu', 'cpu.cfs_quota_us', cpuQuota(limits.nanoCpus), 'nanoCpus');
  }
  if (limits.cpuShares !== undefined) add('cpu', 'cpu.shares', limits.cpuShares, 'cpuShares');
  else if (limits.cpuWeight !== undefined) add('cpu', 'cpu.shares', weightToShares(limits.cpuWeight), 'cpuWeight');
  if (limits.cpusetCpus !== undefined) add('cpuset', 'cpuset.cpus', limits.cpusetCpus, 'cpusetCpus');
  if (limits.pidsLimit !== undefined) add('pids', 'pids.max', unlimitedPids(limits.pidsLimit) ? 'max' : limits.pidsLimit, 'pidsLimit');
  if (limits.ioWeight !== undefined) add('blkio', state.blkioWeightFile, limits.ioWeight, 'ioWeight');
  return writes;
}

/** v1's "no limit" is a page-rounded LONG_MAX; anything this large is none. */
export function v1Bytes(text: string): number | undefined {
  const value = Number(text.trim());
  return !Number.isFinite(value) || value >= 2 ** 62 ? undefined : value;
}

export function readV1State(memoryDir: string | undefined, blkioDir: string | undefined): V1State {
  let currentMemory = Infinity;
  let swapAccounting = false;
  if (memoryDir !== undefined) {
    swapAccounting = existsSync(join(memoryDir, 'memory.memsw.limit_in_bytes'));
    try {
      currentMemory = v1Bytes(readFileSync(join(memoryDir, 'memory.limit_in_bytes'), 'utf8')) ?? Infinity;
    } catch {
      // A fresh cgroup in a simulated tree: no limit yet.
    }
  }
  const bfq = blkioDir !== undefined && !existsSync(join(blkioDir, 'blkio.weight')) && existsSync(join(blkioDir, 'blkio.bfq.weight'));
  return { swapAccounting, currentMemory, blkioWeightFile: bfq ? 'blkio.bfq.weight' : 'blkio.weight' };
}

/** Writes one limit; the kernel's refusal is a one-line error naming the flag. */
export function writeLimit(dir: string, write: LimitWrite): void {
  try {
    writeFileSync(join(dir, write.file), write.value);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'EINVAL' || code === 'ERANGE' ? 'the kernel refused the value' : code === 'EBUSY' ? 'the cgroup is busy' : (error as Error).message;
    throw new BurrowError('INVALID_ARGUMENT', `${write.flag}: cannot write ${write.value} to ${join(dir, write.file)}: ${why} (${code})`, { cause: error });
  }
}
