import { closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { BurrowError } from '../errors.js';
import { isRunning, type ProcessIdentity } from '../util/process-identity.js';

/**
 * Signals to a container's processes (stop, kill, rm -f), which are named by
 * identity (util/process-identity.ts), never by pid alone. Signals go through a
 * pidfd opened before the identity is checked, so the process that was checked is
 * the one signalled, even if it exits and its pid is reused in between.
 */

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
