import { join } from 'node:path';
import { writeFileAtomic } from '../store/atomic.js';
import type { SetupPlan } from './plan.js';

/**
 * What the launcher hands burrow-init on descriptors rather than on a command
 * line: the job's environment and its seccomp filter, each a file in the
 * container's directory (mode 0700) that the launcher's shell opens for bubblewrap
 * to pass through. A command line is readable by every user of the host (`ps`);
 * `-e TOKEN=…` values must not be.
 */
export const ENV_FILE = 'env';
export const ENV_FD = 8;
/** Compiled once, at create (sandbox/seccomp-filter.ts). */
export const SECCOMP_FILE = 'seccomp.bpf';
export const SECCOMP_FD = 9;

/** NAME=VALUE entries as burrow-init's -E block: each ended by a NUL byte. */
export function environmentBlock(entries: readonly string[]): Buffer {
  return Buffer.from(entries.map((entry) => `${entry}\0`).join(''));
}

/**
 * Writes the job's environment for this start (a record of an older burrow has no file of it).
 * Replaced whole: a monitor restarting the job opens it again at any moment. Not fsynced:
 * every start writes it anew.
 */
export function writeEnvironmentFile(dir: string, plan: SetupPlan): void {
  writeFileAtomic(join(dir, ENV_FILE), environmentBlock(plan.process.env), 0o600, { durable: false });
}
