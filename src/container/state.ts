import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFrozen } from '../cgroup/index.js';
import { containerDir, type ContainerRecord } from './record.js';
import type { Store } from '../store/store.js';
import { bootId, formatIdentity, identify, isRunning, parentOf, parseIdentity, type ProcessIdentity } from '../util/process-identity.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

/**
 * bubblewrap reports the sandbox's PID 1 before it has built the root file system
 * and pivoted into it; a process joining it before then (exec, cp) would land in
 * the half-built namespace. PID 1 is a fork of bwrap until it executes burrow-init,
 * which it does last: ready once its command line differs from its parent's.
 * (Command lines are readable whatever user the job runs as; its root is not.)
 * Only a wait: the job controls its command line and could make it look unready,
 * which holds exec and cp back for the time-out, never decides what they join.
 */
export function sandboxReady(pid: number): boolean {
  try {
    const parent = parentOf(pid);
    if (parent === undefined) return true;
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1') !== readFileSync(`/proc/${parent}/cmdline`, 'latin1');
  } catch {
    // Gone: nothing to wait for.
    return true;
  }
}

/** Waits (polling, up to `timeoutMs`) until the sandbox of `pid` is ready or the process is gone. */
export async function waitForSandbox(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!sandboxReady(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
}

export interface ContainerState {
  status: ContainerStatus;
  /** The container's PID 1 (on the host) while it runs, as recorded when it started: what signals go to, what exec joins. */
  sandbox: ProcessIdentity | undefined;
  /** The monitor (burrow-monitor, or the `burrow run` in the foreground), while it runs. */
  monitor: ProcessIdentity | undefined;
  exitCode: number | undefined;
  startedAt: string | undefined;
  finishedAt: string | undefined;
  restarts: number;
  /** The monitor died without recording an exit (kill -9, reboot): the status is unknown. */
  lost: boolean;
  /** Running, but frozen by `burrow pause`. */
  paused: boolean;
  /** The last run ended with the kernel's OOM killer in its cgroup (the `exit` file's `oomKilled`). */
  oomKilled: boolean;
}

/**
 * A run-time file of a container (monitor, pid, exit, logs…), or undefined when it
 * is not there: the monitor writes, renames and removes them at any moment, so
 * they are read, never checked and then read.
 */
export function readRunFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson<T>(path: string): T | undefined {
  const text = readRunFile(path);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/**
 * The `pid` file: the sandbox's PID 1 as the monitor saw it start, or undefined
 * (no file, or a PID 1 already gone when it was written): `PID.STARTTIME.BOOTID`
 * (util/process-identity.ts).
 */
export function readSandbox(dir: string): ProcessIdentity | undefined {
  const text = readRunFile(join(dir, 'pid'))?.trim();
  return text === undefined ? undefined : parseIdentity(text);
}

/** The `pid` file's content for a sandbox PID 1 that has just started (as native/burrow-monitor.c writes it). */
export function sandboxPidFile(pid: number): string {
  // Gone already: a start time of 0 names no process (readSandbox gives undefined).
  return `${formatIdentity(identify(pid) ?? { pid, startTime: '0', bootId: bootId() })}\n`;
}

/**
 * The `monitor` file: `{"monitor":"PID.STARTTIME.BOOTID","startedAt":…}`. (burrow
 * before identities wrote `monitorPid` alone: no start time to prove it by, so its
 * containers read as exited.)
 */
interface MonitorFile {
  monitor?: string;
  startedAt: string;
}

/** The `monitor` file's content for this process as a container's monitor (`burrow run` in the foreground). */
export function monitorFile(): string {
  const identity = identify(process.pid);
  return JSON.stringify({ monitor: identity === undefined ? '' : formatIdentity(identity), startedAt: new Date().toISOString() } satisfies MonitorFile);
}

function monitorOf(file: MonitorFile): ProcessIdentity | undefined {
  return typeof file.monitor === 'string' ? parseIdentity(file.monitor) : undefined;
}

/**
 * The truth from the files, never from a daemon: the monitor writes `monitor`
 * when it starts the job, `pid` when the sandbox runs, and `exit` when it ends.
 * A monitor that is gone without an `exit` means the container is gone too
 * (bubblewrap dies with its parent). "Gone" means: no process with the recorded
 * pid, start time and boot id (util/process-identity.ts) — never a guess from a command line,
 * so after a reboot or a pid reuse the container is exited and nothing that now
 * holds its pids is taken for it.
 */
export function containerState(store: Store, record: ContainerRecord): ContainerState {
  const dir = containerDir(store, record.id);
  const monitorRecord = readJson<MonitorFile>(join(dir, 'monitor'));
  const readExit = (): { exitCode: number; finishedAt: string; restarts?: number; oomKilled?: boolean } | undefined => readJson(join(dir, 'exit'));
  const exit = readExit();
  const sandboxRecord = readSandbox(dir);
  const base = { startedAt: monitorRecord?.startedAt, restarts: exit?.restarts ?? 0, lost: false, paused: false, oomKilled: exit?.oomKilled === true };
  if (monitorRecord === undefined) {
    return { ...base, sandbox: undefined, monitor: undefined, status: exit === undefined ? 'created' : 'exited', exitCode: exit?.exitCode, finishedAt: exit?.finishedAt };
  }
  const recorded = monitorOf(monitorRecord);
  // Alive even when exited: a monitor in a restart back-off, or writing its last files.
  const monitor = isRunning(recorded) ? recorded : undefined;
  const sandbox = monitor !== undefined && isRunning(sandboxRecord) ? sandboxRecord : undefined;
  if (exit !== undefined && (monitor === undefined || !existsSync(join(dir, 'pid')))) {
    return { ...base, sandbox: undefined, monitor, status: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt };
  }
  if (monitor !== undefined) return { ...base, status: 'running', paused: isFrozen(record.cgroup), oomKilled: false, sandbox, monitor, exitCode: undefined, finishedAt: undefined };
  // The monitor writes `exit`, then ends: it may have done both between the read of `exit` above and
  // the check that it is gone (CI: `wait` of a job the OOM killer ended printed -1). Read again now.
  const late = readExit();
  if (late !== undefined) return { ...base, restarts: late.restarts ?? 0, oomKilled: late.oomKilled === true, sandbox: undefined, monitor, status: 'exited', exitCode: late.exitCode, finishedAt: late.finishedAt };
  return { ...base, sandbox: undefined, monitor, status: 'exited', exitCode: -1, finishedAt: undefined, lost: true };
}
