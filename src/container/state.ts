import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFrozen } from './cgroup.js';
import { identify, isRunning, parseIdentity, type ProcessIdentity } from './identity.js';
import { containerDir, type ContainerRecord } from './record.js';
import type { Store } from '../store/store.js';

export type ContainerStatus = 'created' | 'running' | 'exited';

/**
 * bubblewrap reports the sandbox's PID 1 before it has built the root file system
 * and pivoted into it; a process joining it before then (exec, cp) would land in
 * the half-built namespace. PID 1 is a fork of bwrap until it executes burrow-init,
 * which it does last: ready once its command line differs from its parent's.
 * (Command lines are readable whatever user the job runs as; its root is not.)
 */
export function sandboxReady(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
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
  /** Host pid of the container's PID 1 while it runs. */
  pid: number | undefined;
  /** The container's PID 1 as recorded when it started: what signals go to. */
  sandbox: ProcessIdentity | undefined;
  monitorPid: number | undefined;
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

export function readPid(path: string): number | undefined {
  const pid = Number(readRunFile(path)?.trim().split(' ')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The `pid` file: "PID STARTTIME BOOTID", the sandbox's PID 1 as the monitor saw it start. */
export function readSandboxIdentity(path: string): ProcessIdentity | undefined {
  const [pid, start, boot] = (readRunFile(path) ?? '').trim().split(' ');
  return parseIdentity(Number(pid), start, boot);
}

/** The `pid` file's content for a sandbox PID 1 that has just started (see native/burrow-monitor.c). */
export function sandboxPidFile(pid: number): string {
  const identity = identify(pid);
  return identity === undefined ? `${pid} 0 -\n` : `${pid} ${identity.startTime} ${identity.bootId}\n`;
}

/** The `monitor` file's content for this process as a container's monitor (`burrow run` in the foreground). */
export function monitorFile(): string {
  const identity = identify(process.pid);
  return JSON.stringify({ monitorPid: process.pid, startedAt: new Date().toISOString(), startTime: identity?.startTime, bootId: identity?.bootId });
}

interface MonitorFile {
  monitorPid: number;
  startedAt: string;
  startTime?: number | string;
  bootId?: string;
}

/**
 * The truth from the files, never from a daemon: the monitor writes `monitor`
 * when it starts the job, `pid` when the sandbox runs, and `exit` when it ends.
 * A monitor that is gone without an `exit` means the container is gone too
 * (bubblewrap dies with its parent). "Gone" means: no process with the recorded
 * pid, start time and boot id (identity.ts) — never a guess from a command line,
 * so after a reboot or a pid reuse the container is exited and nothing that now
 * holds its pids is taken for it.
 */
export function containerState(store: Store, record: ContainerRecord): ContainerState {
  const dir = containerDir(store, record.id);
  const monitorRecord = readJson<MonitorFile>(join(dir, 'monitor'));
  const exit = readJson<{ exitCode: number; finishedAt: string; restarts?: number }>(join(dir, 'exit'));
  const sandboxRecord = readSandboxIdentity(join(dir, 'pid'));
  const base = { monitorPid: monitorRecord?.monitorPid, startedAt: monitorRecord?.startedAt, restarts: exit?.restarts ?? 0, lost: false, paused: false };
  const gone = { pid: undefined, sandbox: undefined };
  if (monitorRecord === undefined) {
    return { ...base, ...gone, monitor: undefined, status: exit === undefined ? 'created' : 'exited', exitCode: exit?.exitCode, finishedAt: exit?.finishedAt };
  }
  const recorded = parseIdentity(monitorRecord.monitorPid, monitorRecord.startTime, monitorRecord.bootId);
  // Alive even when exited: a monitor in a restart back-off, or writing its last files.
  const monitor = isRunning(recorded) ? recorded : undefined;
  const sandbox = monitor !== undefined && isRunning(sandboxRecord) ? sandboxRecord : undefined;
  if (exit !== undefined && (monitor === undefined || !existsSync(join(dir, 'pid')))) {
    return { ...base, ...gone, monitor, status: 'exited', exitCode: exit.exitCode, finishedAt: exit.finishedAt };
  }
  if (monitor !== undefined) return { ...base, status: 'running', paused: isFrozen(record.cgroup), pid: sandbox?.pid, sandbox, monitor, exitCode: undefined, finishedAt: undefined };
  return { ...base, ...gone, monitor, status: 'exited', exitCode: -1, finishedAt: undefined, lost: true };
}
