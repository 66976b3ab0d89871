import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { v1Bytes } from './limits-files.js';
import type { CgroupStats, ContainerCgroup } from './types.js';

/**
 * `burrow stats` and `inspect`'s OOMKilled from the cgroup files: v2 memory.*,
 * cpu.stat, pids.*, io.stat; v1 memory.*, cpuacct.usage, pids.*, blkio. Memory use
 * is Docker's: usage less the inactive page cache.
 */

function read(dir: string | undefined, file: string): string | undefined {
  if (dir === undefined) return undefined;
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

/** A `key value` line's value from a flat-keyed file (memory.stat, cpu.stat, memory.events). */
export function keyed(text: string | undefined, key: string): number | undefined {
  if (text === undefined) return undefined;
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return match === null ? undefined : Number(match[1]);
}

const number = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text.trim());
  return Number.isFinite(value) ? value : undefined; // "max" is no limit
};

/** io.stat: `MAJ:MIN rbytes=N wbytes=N rios=N …` per device. */
export function ioStatBytes(text: string | undefined): { read: number; write: number } | undefined {
  if (text === undefined) return undefined;
  let read = 0;
  let write = 0;
  for (const match of text.matchAll(/\b([rw])bytes=(\d+)/g)) {
    if (match[1] === 'r') read += Number(match[2]);
    else write += Number(match[2]);
  }
  return { read, write };
}

/** blkio.*io_service_bytes: `MAJ:MIN Read N` / `Write N` / … lines, and a `Total N`. */
export function blkioBytes(text: string | undefined): { read: number; write: number } | undefined {
  if (text === undefined) return undefined;
  let read = 0;
  let write = 0;
  for (const match of text.matchAll(/^\S+ (Read|Write) (\d+)$/gm)) {
    if (match[1] === 'Read') read += Number(match[2]);
    else write += Number(match[2]);
  }
  return { read, write };
}

export function readStats(cgroup: ContainerCgroup): CgroupStats {
  if ('v2' in cgroup.dirs) {
    const dir = cgroup.dirs.v2;
    const current = number(read(dir, 'memory.current')) ?? 0;
    const inactive = keyed(read(dir, 'memory.stat'), 'inactive_file') ?? 0;
    const io = ioStatBytes(read(dir, 'io.stat'));
    return {
      memoryBytes: Math.max(0, current - inactive),
      memoryPeakBytes: number(read(dir, 'memory.peak')),
      memoryLimitBytes: number(read(dir, 'memory.max')),
      cpuNanos: (keyed(read(dir, 'cpu.stat'), 'usage_usec') ?? 0) * 1000,
      pids: number(read(dir, 'pids.current')) ?? 0,
      pidsLimit: number(read(dir, 'pids.max')),
      blockReadBytes: io?.read,
      blockWriteBytes: io?.write,
    };
  }
  const dirs = cgroup.dirs.v1;
  const usage = number(read(dirs.memory, 'memory.usage_in_bytes')) ?? 0;
  const inactive = keyed(read(dirs.memory, 'memory.stat'), 'total_inactive_file') ?? 0;
  const limit = read(dirs.memory, 'memory.limit_in_bytes');
  const peak = read(dirs.memory, 'memory.max_usage_in_bytes');
  const blkio = blkioBytes(read(dirs.blkio, 'blkio.throttle.io_service_bytes_recursive') ?? read(dirs.blkio, 'blkio.throttle.io_service_bytes'));
  return {
    memoryBytes: Math.max(0, usage - inactive),
    memoryPeakBytes: peak === undefined ? undefined : v1Bytes(peak),
    memoryLimitBytes: limit === undefined ? undefined : v1Bytes(limit),
    cpuNanos: number(read(dirs.cpuacct, 'cpuacct.usage')) ?? 0,
    pids: number(read(dirs.pids, 'pids.current')) ?? 0,
    pidsLimit: number(read(dirs.pids, 'pids.max')),
    blockReadBytes: blkio?.read,
    blockWriteBytes: blkio?.write,
  };
}

/** The kernel's count of OOM kills in the container's cgroup (v2 memory.events, v1 memory.oom_control; kernel ≥ 4.13). */
export function oomKillCount(cgroup: ContainerCgroup): number {
  if ('v2' in cgroup.dirs) return keyed(read(cgroup.dirs.v2, 'memory.events'), 'oom_kill') ?? 0;
  return keyed(read(cgroup.dirs.v1.memory, 'memory.oom_control'), 'oom_kill') ?? 0;
}
