import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseIdentity, type ProcessIdentity } from '../../src/util/process-identity.js';

/** A running container's recorded processes: its `monitor` file, and the monitor's and PID 1's identities (`monitor`, `pid`). */
export function recordedProcesses(dir: string): { monitorFile: { monitor: string; startedAt: string }; monitor: ProcessIdentity; sandbox: ProcessIdentity } {
  const monitorFile = JSON.parse(readFileSync(join(dir, 'monitor'), 'utf8')) as { monitor: string; startedAt: string };
  const monitor = parseIdentity(monitorFile.monitor);
  const pidFile = readFileSync(join(dir, 'pid'), 'utf8');
  const sandbox = parseIdentity(pidFile.trim());
  if (monitor === undefined || sandbox === undefined) throw new Error(`unreadable records in ${dir}: monitor ${JSON.stringify(monitorFile)}, pid ${JSON.stringify(pidFile)}`);
  return { monitorFile, monitor, sandbox };
}

/** The monitor's identity alone (its `pid` file may not be there: a container between restarts). */
export function recordedMonitor(dir: string): ProcessIdentity {
  const monitorFile = JSON.parse(readFileSync(join(dir, 'monitor'), 'utf8')) as { monitor: string };
  const monitor = parseIdentity(monitorFile.monitor);
  if (monitor === undefined) throw new Error(`unreadable monitor file in ${dir}: ${JSON.stringify(monitorFile)}`);
  return monitor;
}
