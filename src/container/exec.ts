import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { spawn, type StdioOptions } from 'node:child_process';
import { BurrowError } from '../errors.js';
import { INIT_PATH } from '../sandbox/bwrap.js';
import type { Store } from '../store/store.js';
import { findContainer } from './record.js';
import { containerState, waitForSandbox } from './state.js';
import { resolveUser } from './user.js';

const CAPABILITY_NUMBERS: Record<string, number> = {
  CAP_CHOWN: 0, CAP_DAC_OVERRIDE: 1, CAP_DAC_READ_SEARCH: 2, CAP_FOWNER: 3, CAP_FSETID: 4, CAP_KILL: 5, CAP_SETGID: 6,
  CAP_SETUID: 7, CAP_SETPCAP: 8, CAP_LINUX_IMMUTABLE: 9, CAP_NET_BIND_SERVICE: 10, CAP_NET_BROADCAST: 11, CAP_NET_ADMIN: 12,
  CAP_NET_RAW: 13, CAP_IPC_LOCK: 14, CAP_IPC_OWNER: 15, CAP_SYS_MODULE: 16, CAP_SYS_RAWIO: 17, CAP_SYS_CHROOT: 18,
  CAP_SYS_PTRACE: 19, CAP_SYS_PACCT: 20, CAP_SYS_ADMIN: 21, CAP_SYS_BOOT: 22, CAP_SYS_NICE: 23, CAP_SYS_RESOURCE: 24,
  CAP_SYS_TIME: 25, CAP_SYS_TTY_CONFIG: 26, CAP_MKNOD: 27, CAP_LEASE: 28, CAP_AUDIT_WRITE: 29, CAP_AUDIT_CONTROL: 30,
  CAP_SETFCAP: 31, CAP_MAC_OVERRIDE: 32, CAP_MAC_ADMIN: 33, CAP_SYSLOG: 34, CAP_WAKE_ALARM: 35, CAP_BLOCK_SUSPEND: 36,
  CAP_AUDIT_READ: 37, CAP_PERFMON: 38, CAP_BPF: 39, CAP_CHECKPOINT_RESTORE: 40,
};

export function capabilityMask(names: readonly string[]): string {
  let mask = 0n;
  for (const name of names) {
    const bit = CAPABILITY_NUMBERS[name];
    if (bit !== undefined) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16);
}

export interface ExecOptions {
  command: string[];
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  interactive: boolean;
  tty: boolean;
}

/**
 * `burrow exec`: a process in a running container. util-linux `nsenter` (single
 * threaded, like unshare) joins the container's namespaces and root; burrow-init
 * gives it the container's user, capabilities and no_new_privs, as for PID 1.
 */
export async function execInContainer(store: Store, query: string, options: ExecOptions): Promise<number> {
  const record = findContainer(store, query);
  const state = containerState(store, record);
  if (state.status !== 'running' || state.pid === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: start it first`);
  if (state.paused) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is paused: unpause it first`);
  if (options.command.length === 0) throw new BurrowError('INVALID_ARGUMENT', 'exec needs a command');
  // Started a moment ago by another command: its root may still be being built.
  await waitForSandbox(state.pid);
  const user = options.user === undefined ? { uid: record.plan.process.uid, gid: record.plan.process.gid, groups: record.plan.process.groups } : resolveUser(options.user, record.plan.rootfs.lowers);
  const namespaces = ['--user', '--mount', '--pid', '--uts', '--ipc', '--cgroup'];
  // A --network host container shares the host's network namespace, which is not ours to join.
  if (record.plan.network === 'none') namespaces.push('--net');
  const init = [INIT_PATH, '-u', String(user.uid), '-g', String(user.gid), '-w', options.workdir ?? record.plan.process.cwd, '-c', capabilityMask(record.plan.capabilities), '-n'];
  if (user.groups.length > 0) init.push('-G', user.groups.join(','));
  if (options.tty) init.push('-t');
  const nsenter = existsSync('/usr/bin/nsenter') ? '/usr/bin/nsenter' : 'nsenter';
  const args = ['--target', String(state.pid), ...namespaces, '--root', '--preserve-credentials', '--', ...init, '--', ...options.command];
  const env = new Map(record.plan.process.env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]));
  for (const entry of options.env) {
    const at = entry.indexOf('=');
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  const pty = options.tty ? (await import('./tty.js')).openPty() : undefined;
  const stdio: StdioOptions = pty === undefined ? [options.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'] : [pty.slave, pty.slave, pty.slave];
  // Into the container's cgroup first (where it has one), so pause and limits hold for exec'd processes too.
  const child = record.cgroup === undefined
    ? spawn(nsenter, args, { stdio, env: Object.fromEntries(env) })
    : spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', record.cgroup, nsenter, ...args], { stdio, env: Object.fromEntries(env) });
  pty?.closeSlave();
  const detach = pty?.attach(process.stdin, process.stdout, options.interactive);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', (error) => reject(new BurrowError('IO', `cannot run nsenter: ${error.message} (util-linux is needed)`)));
      child.on('close', (exitCode, sig) => resolve([exitCode, sig]));
    });
    if (code !== null) return code;
    return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
  } finally {
    detach?.();
  }
}
