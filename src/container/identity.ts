import { closeSync } from 'node:fs';
import { constants } from 'node:os';
import { BurrowError } from '../errors.js';
import { errno, pidfdOpen, pidfdSendSignal } from '../util/libc.js';
import { isRunning, type ProcessIdentity } from '../util/process-identity.js';

/**
 * Signals to a container's processes (stop, kill, rm -f), which are named by
 * identity (util/process-identity.ts), never by pid alone. Signals go through a
 * pidfd opened before the identity is checked, so the process that was checked is
 * the one signalled, even if it exits and its pid is reused in between.
 */

const ESRCH = 3;
const ENOSYS = 38;

/**
 * Sends `signal` to the process recorded as `identity`, and only to it. Returns
 * false when that process is gone (whatever now holds its pid is left alone).
 */
export function signalProcess(identity: ProcessIdentity, signal: number | NodeJS.Signals): boolean {
  const number = typeof signal === 'number' ? signal : constants.signals[signal];
  // koffi loads only when a container is signalled (stop, kill, rm -f), never on a start.
  const fd = pidfdOpen(identity.pid, 0);
  if (fd < 0) {
    const code = errno();
    if (code === ESRCH) return false;
    if (code !== ENOSYS) throw new BurrowError('IO', `cannot signal process ${identity.pid}: pidfd_open failed (errno ${code})`);
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
    if (pidfdSendSignal(fd, number) === 0) return true;
    const code = errno();
    if (code === ESRCH) return false;
    throw new BurrowError('IO', `cannot signal process ${identity.pid}: pidfd_send_signal failed (errno ${code})`);
  } finally {
    closeSync(fd);
  }
}
