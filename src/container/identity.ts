import { closeSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { BurrowError } from '../errors.js';

/**
 * Which process is a container's: a pid alone is not a name. Pids are reused (32768
 * of them here, a busy CI runner goes round in minutes) and a reboot starts them
 * over, so a monitor or sandbox pid recorded yesterday may now belong to the user's
 * editor; its command line may even say "burrow". A process is named by its pid,
 * its start time (field 22 of /proc/PID/stat, clock ticks since boot: no two
 * processes of one boot share pid and start time) and the boot id, all recorded
 * when it starts. Signals go through a pidfd opened before the check, so the
 * process that was checked is the one signalled, even if it exits in between.
 */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat when the process started. */
  startTime: string;
  /** /proc/sys/kernel/random/boot_id of the boot it started in. */
  bootId: string;
}

let currentBoot: string | undefined;

/** This boot's id (a new one after every reboot). */
export function bootId(): string {
  currentBoot ??= readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  return currentBoot;
}

/** Field 22 of /proc/PID/stat, or undefined when there is no such process. */
export function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** The identity of a live process, to be recorded when it starts. */
export function identify(pid: number): ProcessIdentity | undefined {
  const start = startTime(pid);
  return start === undefined ? undefined : { pid, startTime: start, bootId: bootId() };
}

/** The process recorded as `identity` is still running (not a later one with its pid). */
export function isRunning(identity: ProcessIdentity | undefined): identity is ProcessIdentity {
  if (identity === undefined || identity.bootId !== bootId()) return false;
  return startTime(identity.pid) === identity.startTime;
}

/** An identity as written in a run-time file, checked: anything malformed names no process. */
export function parseIdentity(pid: unknown, start: unknown, boot: unknown): ProcessIdentity | undefined {
  const startText = typeof start === 'number' ? String(start) : start;
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0) return undefined;
  if (typeof startText !== 'string' || !/^\d+$/.test(startText) || startText === '0') return undefined;
  if (typeof boot !== 'string' || boot === '') return undefined;
  return { pid, startTime: startText, bootId: boot };
}

interface Pidfd {
  open: (pid: number) => number;
  sendSignal: (fd: number, signal: number) => number;
  errno: () => number;
}

let pidfd: Pidfd | undefined;

// Through syscall(2): glibc has wrappers only since 2.36 (Ubuntu 22.04 has 2.35).
// The numbers are the same on x86_64 and aarch64 (the common table since Linux 5.1).
const SYS_PIDFD_SEND_SIGNAL = 424;
const SYS_PIDFD_OPEN = 434;

function pidfdApi(): Pidfd {
  if (pidfd === undefined) {
    // koffi loads only when a container is signalled (stop, kill, rm -f), never on a start.
    const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
    const syscall = koffi.load('libc.so.6').func('long syscall(long number, ...)') as (...args: unknown[]) => number | bigint;
    pidfd = {
      open: (pid) => Number(syscall(SYS_PIDFD_OPEN, 'int', pid, 'unsigned int', 0)),
      sendSignal: (fd, signal) => Number(syscall(SYS_PIDFD_SEND_SIGNAL, 'int', fd, 'int', signal, 'void *', null, 'unsigned int', 0)),
      errno: () => koffi.errno(),
    };
  }
  return pidfd;
}

const ESRCH = 3;
const ENOSYS = 38;

/**
 * Sends `signal` to the process recorded as `identity`, and only to it. Returns
 * false when that process is gone (whatever now holds its pid is left alone).
 */
export function signalProcess(identity: ProcessIdentity, signal: number | NodeJS.Signals): boolean {
  const number = typeof signal === 'number' ? signal : constants.signals[signal];
  const api = pidfdApi();
  const fd = api.open(identity.pid);
  if (fd < 0) {
    const errno = api.errno();
    if (errno === ESRCH) return false;
    if (errno !== ENOSYS) throw new BurrowError('IO', `cannot signal process ${identity.pid}: pidfd_open failed (errno ${errno})`);
    // A kernel before 5.3: check, then signal (a reuse in between is left to chance).
    if (!isRunning(identity)) return false;
    try {
      process.kill(identity.pid, number);
      return true;
    } catch {
      return false;
    }
  }
  try {
    // Checked after the pidfd is open: the pidfd holds the process that was checked.
    if (!isRunning(identity)) return false;
    if (api.sendSignal(fd, number) === 0) return true;
    if (api.errno() === ESRCH) return false;
    throw new BurrowError('IO', `cannot signal process ${identity.pid}: pidfd_send_signal failed (errno ${api.errno()})`);
  } finally {
    closeSync(fd);
  }
}
