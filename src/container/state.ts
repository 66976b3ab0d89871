import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isFrozen } from './cgroup.js';
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
  monitorPid: number | undefined;
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
  const pid = Number(readRunFile(path)?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Alive, and still the process that watches this container: after a reboot the
 * pid may belong to anything, so its command line must name burrow.
 */
export function monitorAlive(pid: number | undefined, id: string): boolean {
  if (pid === undefined) return false;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(id) || cmdline.includes('burrow');
  } catch {
    return false;
  }
}

/**
 * The truth from the files, never from a daemon: the monitor writes `monitor`
 * when it starts the job, `pid` when the sandbox runs, and `exit` when it ends.
 * A monitor that is gone without an `exit` means the container is gone too
 * (bubblewrap dies with its parent).
 */
export function containerState(store: Store, record: ContainerRecord): ContainerState {
  const dir = containerDir(store, record.id);
  const monitor = readJson<{ monitorPid: number; startedAt: string }>(join(dir, 'monitor'));
  const exit = readJson<{ exitCode: number; finishedAt: string; restarts?: number }>(join(dir, 'exit'));
  const pid = readPid(join(dir, 'pid'));
  const base = { monitorPid: monitor?.monitorPid, startedAt: monitor?.startedAt, restarts: exit?.restarts ?? 0, lost: false, paused: false };
  if (monitor === undefined) {
    return { ...base, status: exit === undefined ? 'created' : 'exited', pid: undefined, exitCode: exit?.exitCode, finishedAt: exit?.finishedAt };
  }
  const alive = monitorAlive(monitor.monitorPid, record.id);
  if (exit !== undefined && (!alive || !existsSync(join(dir, 'pid')))) {
    return { ...base, status: 'exited', pid: undefined, exitCode: exit.exitCode, finishedAt: exit.finishedAt };
  }
  if (alive) return { ...base, status: 'running', paused: isFrozen(record.cgroup), pid, exitCode: undefined, finishedAt: undefined };
  return { ...base, status: 'exited', pid: undefined, exitCode: -1, finishedAt: undefined, lost: true };
}
