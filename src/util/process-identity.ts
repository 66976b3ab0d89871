import { readFileSync } from 'node:fs';

/**
 * Which process is which: a pid alone is not a name. Pids are reused (32768 of
 * them here; a busy CI runner goes round in minutes) and a reboot starts them
 * over, so a pid recorded yesterday may now belong to the user's editor, whose
 * command line may even say "burrow". A process is named by its pid, its start
 * time (field 22 of /proc/PID/stat, clock ticks since boot: no two processes of
 * one boot share pid and start time) and the boot id, all three recorded when it
 * starts. The one place that reads and writes them: lock files
 * (store/lockfile.ts), scratch directory names (store/scratch.ts), a container's
 * `monitor` and `pid` files (container/state.ts, native/burrow-monitor.c).
 */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot. */
  startTime: string;
  /** /proc/sys/kernel/random/boot_id of the boot it started in. */
  bootId: string;
}

let currentBoot: string | undefined;

/**
 * This boot's id (a new one after every reboot). The one place burrow reads it: the
 * C helpers that record identities (burrow-monitor, burrow-net) are handed it as
 * `--boot-id`. BURROW_BOOT_ID replaces it for tests that simulate a reboot (hex
 * digits and dashes, as the kernel's); nothing else reads that variable.
 */
export function bootId(): string {
  if (currentBoot === undefined) {
    const simulated = process.env.BURROW_BOOT_ID;
    currentBoot = simulated !== undefined && /^[0-9a-f-]{1,64}$/.test(simulated) ? simulated : readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  }
  return currentBoot;
}

/** Fields of /proc/PID/stat, or undefined when there is no such process. */
function statOf(pid: number): { state: string; ppid: number; startTime: string } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', ppid: Number(fields[1]), startTime: fields[19] ?? '' };
}

/**
 * The start time of the process that has `pid` now, or undefined when none runs
 * with it. A zombie counts as none: it has exited, holds nothing (a lock, a
 * container) and will do nothing more; only its parent's wait keeps its pid.
 */
function startTimeOf(pid: number): string | undefined {
  const stat = statOf(pid);
  return stat === undefined || stat.state === 'Z' || stat.state === 'X' ? undefined : stat.startTime;
}

/** The parent of `pid` (field 4 of /proc/PID/stat), or undefined when there is no such process. */
export function parentOf(pid: number): number | undefined {
  return statOf(pid)?.ppid;
}

/** The identity of the process that has `pid` now (to be recorded as it starts), or undefined when none runs with it. */
export function identify(pid: number): ProcessIdentity | undefined {
  const startTime = startTimeOf(pid);
  return startTime === undefined ? undefined : { pid, startTime, bootId: bootId() };
}

let self: ProcessIdentity | undefined;

/** This process. */
export function selfIdentity(): ProcessIdentity {
  self ??= identify(process.pid) ?? { pid: process.pid, startTime: '0', bootId: bootId() };
  return self;
}

/**
 * True only when the process recorded as `identity` provably no longer runs: it
 * belongs to an earlier boot, or its pid is free, a zombie's, or another
 * process's (one that started at another time).
 */
export function isGone(identity: ProcessIdentity): boolean {
  if (identity.bootId !== bootId()) return true;
  return startTimeOf(identity.pid) !== identity.startTime;
}

let bootTimeMs: number | undefined;

/** When this boot began (the `btime` line of /proc/stat), in ms since the epoch. */
function bootTime(): number {
  bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'latin1'))?.[1] ?? 0) * 1000;
  return bootTimeMs;
}

/** Clock ticks a second in /proc/PID/stat's start time: USER_HZ, 100 on every Linux ABI Node runs on. */
const TICKS_PER_SECOND = 100;

/**
 * For a pid that a file written by the process itself names (pasta's `--pid` file),
 * without a start time: the process that has `pid` now, if it started no later than
 * `writtenAtMs` (the file's mtime). A process that took the pid later started after
 * the file was written (the writer was alive then), and after a reboot every process
 * started after any file of the boot before: either is never taken for the writer.
 */
export function identifyWriter(pid: number, writtenAtMs: number): ProcessIdentity | undefined {
  const startTime = startTimeOf(pid);
  if (startTime === undefined) return undefined;
  // btime is rounded down to a second, so this is never later than the true start: the writer always passes.
  const startedAtMs = bootTime() + (Number(startTime) * 1000) / TICKS_PER_SECOND;
  return startedAtMs <= writtenAtMs ? { pid, startTime, bootId: bootId() } : undefined;
}

/** The process recorded as `identity` still runs (not a later one with its pid). */
export function isRunning(identity: ProcessIdentity | undefined): identity is ProcessIdentity {
  return identity !== undefined && !isGone(identity);
}

/**
 * One spelling wherever an identity is written, in a file, a file name or JSON:
 * `PID.STARTTIME.BOOTID` (a boot id is hex digits and dashes, so the dots part
 * the fields unambiguously).
 */
export function formatIdentity(identity: ProcessIdentity): string {
  return `${identity.pid}.${identity.startTime}.${identity.bootId}`;
}

/** An identity from its fields, checked: anything malformed (a start time of 0: unknown) names no process. */
function identityOf(pid: unknown, startTime: unknown, boot: unknown): ProcessIdentity | undefined {
  const pidNumber = typeof pid === 'string' && /^\d+$/.test(pid) ? Number(pid) : pid;
  const startText = typeof startTime === 'number' ? String(startTime) : startTime;
  if (typeof pidNumber !== 'number' || !Number.isSafeInteger(pidNumber) || pidNumber <= 0) return undefined;
  if (typeof startText !== 'string' || !/^[1-9]\d*$/.test(startText)) return undefined;
  if (typeof boot !== 'string' || !/^[0-9a-f-]{1,64}$/.test(boot)) return undefined;
  return { pid: pidNumber, startTime: startText, bootId: boot };
}

/** The inverse of formatIdentity; undefined for anything else. */
export function parseIdentity(text: string): ProcessIdentity | undefined {
  const match = /^(\d+)\.(\d+)\.([0-9a-f-]+)$/.exec(text);
  return match === null ? undefined : identityOf(match[1], match[2], match[3]);
}
