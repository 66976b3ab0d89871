import { totalmem } from 'node:os';
import { readStats, type CgroupStats } from '../cgroup/index.js';
import { binarySize, decimalSize } from '../util/size.js';
import type { Store } from '../store/store.js';
import { findContainer, type ContainerRecord } from './record.js';
import { containerState } from './state.js';
import { listContainers } from './ops.js';

/**
 * `burrow stats`: what each container's cgroup counts, as `docker stats` shows
 * it. A sample is one read of the cgroup; CPU % needs two (Docker: the container's
 * CPU time over the time between them, 100 % a core), so the first row of a
 * container shows the CPU time so far instead. A container without a cgroup (not
 * running, nothing delegated, --cgroups disabled) has no numbers, not an error.
 */
export interface StatsSample {
  record: ContainerRecord;
  /** How the user named it (Docker's `Container` column), or undefined for "all running". */
  asked: string | undefined;
  /** Undefined: no cgroup to read. */
  stats: CgroupStats | undefined;
  /** process.hrtime.bigint() when read, nanoseconds. */
  at: bigint;
}

export interface StatsRow {
  id: string;
  name: string;
  container: string;
  /** Undefined: nothing to show (`--`). */
  cpuPercent: number | undefined;
  cpuNanos: number | undefined;
  memoryBytes: number | undefined;
  /** The container's limit, or the host's memory when it has none (Docker). */
  memoryLimitBytes: number | undefined;
  memoryPercent: number | undefined;
  memoryPeakBytes: number | undefined;
  /** Undefined with --network host: its traffic is the host's, not the container's. */
  network: { rx: number; tx: number } | undefined;
  block: { read: number; write: number } | undefined;
  pids: number | undefined;
}

/** The containers to watch: the ones named (in that order), or every running one. */
export function statsTargets(store: Store, names: string[], all: boolean): Array<{ record: ContainerRecord; asked: string | undefined }> {
  if (names.length > 0) return names.map((name) => ({ record: findContainer(store, name), asked: name }));
  return listContainers(store, all).map(({ record }) => ({ record, asked: undefined }));
}

/** One read of a container's cgroup (undefined when it has none, or it is gone since). */
export function sampleStats(store: Store, record: ContainerRecord, asked?: string): StatsSample {
  const at = process.hrtime.bigint();
  if (record.cgroup === undefined || containerState(store, record).status !== 'running') return { record, asked, stats: undefined, at };
  try {
    return { record, asked, stats: readStats(record.cgroup), at };
  } catch {
    // The container ended between the state and the read: its cgroup went with it.
    return { record, asked, stats: undefined, at };
  }
}

/** The row of a sample; CPU % from the one before it (of the same container), if there is one. */
export function statsRow(current: StatsSample, previous?: StatsSample): StatsRow {
  const { record, stats } = current;
  const base = { id: record.id, name: record.name, container: current.asked ?? record.id };
  if (stats === undefined) {
    return { ...base, cpuPercent: undefined, cpuNanos: undefined, memoryBytes: undefined, memoryLimitBytes: undefined, memoryPercent: undefined, memoryPeakBytes: undefined, network: undefined, block: undefined, pids: undefined };
  }
  let cpuPercent: number | undefined;
  if (previous?.stats !== undefined) {
    const wall = Number(current.at - previous.at);
    const cpu = stats.cpuNanos - previous.stats.cpuNanos;
    cpuPercent = wall > 0 && cpu >= 0 ? (cpu / wall) * 100 : 0;
  }
  const limit = stats.memoryLimitBytes ?? totalmem();
  return {
    ...base,
    cpuPercent,
    cpuNanos: stats.cpuNanos,
    memoryBytes: stats.memoryBytes,
    memoryLimitBytes: limit,
    memoryPercent: limit > 0 ? (stats.memoryBytes / limit) * 100 : 0,
    memoryPeakBytes: stats.memoryPeakBytes,
    // --network none: the container's namespace has a loopback only, nothing leaves it.
    network: record.plan.network.mode === 'none' ? { rx: 0, tx: 0 } : undefined,
    block: stats.blockReadBytes === undefined && stats.blockWriteBytes === undefined ? undefined : { read: stats.blockReadBytes ?? 0, write: stats.blockWriteBytes ?? 0 },
    pids: stats.pids,
  };
}

const NONE = '--';

/** A row with Docker's keys and texts (`--format json`, and the table's cells), plus burrow's MemPeak. */
export interface DockerStats {
  BlockIO: string;
  CPUPerc: string;
  Container: string;
  ID: string;
  MemPerc: string;
  MemUsage: string;
  Name: string;
  NetIO: string;
  PIDs: string;
  MemPeak: string;
}

export function dockerStats(row: StatsRow, options: { noTrunc: boolean }): DockerStats {
  const id = options.noTrunc ? row.id : row.id.slice(0, 12);
  const percent = (value: number | undefined): string => (value === undefined ? NONE : `${value.toFixed(2)}%`);
  return {
    BlockIO: row.block === undefined ? NONE : `${decimalSize(row.block.read)} / ${decimalSize(row.block.write)}`,
    CPUPerc: percent(row.cpuPercent),
    Container: row.container === row.id ? id : row.container,
    ID: id,
    MemPerc: percent(row.memoryPercent),
    MemUsage: row.memoryBytes === undefined ? `${NONE} / ${NONE}` : `${binarySize(row.memoryBytes)} / ${binarySize(row.memoryLimitBytes ?? 0)}`,
    Name: row.name,
    NetIO: row.network === undefined ? NONE : `${decimalSize(row.network.rx)} / ${decimalSize(row.network.tx)}`,
    PIDs: row.pids === undefined ? NONE : String(row.pids),
    MemPeak: row.memoryPeakBytes === undefined ? NONE : binarySize(row.memoryPeakBytes),
  };
}

/** The table's columns: Docker's, with MEM PEAK after MEM %. */
export const STATS_COLUMNS: Array<[string, keyof DockerStats]> = [
  ['CONTAINER ID', 'ID'], ['NAME', 'Name'], ['CPU %', 'CPUPerc'], ['MEM USAGE / LIMIT', 'MemUsage'], ['MEM %', 'MemPerc'],
  ['MEM PEAK', 'MemPeak'], ['NET I/O', 'NetIO'], ['BLOCK I/O', 'BlockIO'], ['PIDS', 'PIDs'],
];

export interface WatchOptions {
  names: string[];
  all: boolean;
  /** One frame (after two samples) and done. */
  noStream: boolean;
  /** Between two samples; Docker's is a second. */
  intervalMs?: number;
  signal?: AbortSignal | undefined;
}

const aborted = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

/** Waits `ms`, or less when `signal` fires; false once it has. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (aborted(signal)) return false;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });
  return !aborted(signal);
}

/**
 * Samples the containers every interval and hands each frame of rows to
 * `onFrame`, until `signal` fires (or after the first frame with noStream).
 * Without names, the running containers are listed anew for each frame (as
 * Docker adds the ones that start); named ones that end stay, with `--`.
 */
export async function watchStats(store: Store, options: WatchOptions, onFrame: (rows: StatsRow[]) => void): Promise<void> {
  const interval = options.intervalMs ?? 1000;
  const sampleAll = (): StatsSample[] => statsTargets(store, options.names, options.all).map(({ record, asked }) => sampleStats(store, record, asked));
  let previous = sampleAll();
  // Nothing to measure: no need to wait for a second sample.
  if (options.noStream && previous.every((sample) => sample.stats === undefined)) {
    onFrame(previous.map((sample) => statsRow(sample)));
    return;
  }
  for (;;) {
    if (!(await pause(interval, options.signal))) return;
    const current = sampleAll();
    const before = new Map(previous.map((sample) => [sample.record.id, sample]));
    onFrame(current.map((sample) => statsRow(sample, before.get(sample.record.id))));
    if (options.noStream) return;
    previous = current;
  }
}
