import { closeSync, constants as fsConstants, openSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { BurrowError } from '../errors.js';
import { INIT_PATH } from '../sandbox/bwrap.js';
import { capabilityMask } from '../sandbox/capabilities.js';
import { environmentBlock, SECCOMP_FILE } from '../sandbox/handoff.js';
import { hasSeccompFilter } from '../sandbox/plan.js';
import type { Store } from '../store/store.js';
import { hostEnv } from '../util/spawn.js';
import { callerEnv } from './image-config.js';
import { containerDir, findContainer, type ContainerRecord } from './record.js';
import { containerState, waitForSandbox } from './state.js';
import type { Pty } from './tty.js';
import { resolveUser } from './user.js';

export interface ExecOptions {
  command: string[];
  /** -e NAME=VALUE, or NAME for the caller's value (as Docker). */
  env: string[];
  workdir?: string | undefined;
  user?: string | undefined;
  interactive: boolean;
  tty: boolean;
}

/** The container's environment with the caller's -e entries over it. */
function execEnvironment(containerEnv: readonly string[], extra: readonly string[]): string[] {
  const env = new Map<string, string>();
  for (const entry of [...containerEnv, ...callerEnv(extra)]) {
    const at = entry.indexOf('=');
    if (at > 0) env.set(entry.slice(0, at), entry.slice(at + 1));
  }
  return [...env].map(([key, value]) => `${key}=${value}`);
}

/**
 * The seccomp filter the container was started with, open for burrow-init's -S:
 * a container created with one never gets an exec'd process without it.
 */
function openSeccompFilter(dir: string, record: ContainerRecord): number | undefined {
  if (!hasSeccompFilter(record.plan)) return undefined;
  try {
    return openSync(join(dir, SECCOMP_FILE), fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  } catch (error) {
    throw new BurrowError('IO', `cannot read the seccomp filter of container ${record.name}: ${(error as Error).message} (recreate the container)`);
  }
}

/**
 * The host pid of nsenter's child (burrow-init, then the job: nsenter forks once to
 * enter the pid namespace); undefined before it has forked. Read when a signal is
 * forwarded, not before: this kernel has no /proc/PID/task/TID/children.
 */
function childOf(parent: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(entry);
    } catch {
      // Gone while we looked.
    }
  }
  return undefined;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * `burrow exec`: a process in a running container. util-linux `nsenter` (single
 * threaded, like unshare) joins the container's namespaces and root; burrow-init
 * gives it the container's user, capabilities, no_new_privs and seccomp filter, as
 * for PID 1.
 *
 * The host programs on the way (sh for the cgroup, nsenter) run with a fixed
 * environment (util/spawn.ts: hostEnv) and are found on the caller's PATH: the
 * job's environment, with its PATH and any LD_PRELOAD, goes to burrow-init inside
 * the container on a descriptor (-E). They run in a session of their own, and the
 * job in another (burrow-init's setsid): nothing in the container has the caller's
 * terminal as its controlling terminal (TIOCSTI), and the terminal's Ctrl-C reaches
 * burrow alone, which forwards it to the job.
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
  const environment = environmentBlock(execEnvironment(record.plan.process.env, options.env));
  const namespaces = ['--user', '--mount', '--pid', '--uts', '--ipc', '--cgroup'];
  // A --network host container shares the host's network namespace, which is not ours to join.
  if (record.plan.network === 'none') namespaces.push('--net');
  const init = [INIT_PATH, '-u', String(user.uid), '-g', String(user.gid), '-w', options.workdir ?? record.plan.process.cwd, '-c', capabilityMask(record.plan.capabilities), '-n', '-E', '3'];
  if (user.groups.length > 0) init.push('-G', user.groups.join(','));
  if (options.tty) init.push('-t');
  const seccomp = openSeccompFilter(containerDir(store, record.id), record);
  if (seccomp !== undefined) init.push('-S', '4');
  const args = ['--target', String(state.pid), ...namespaces, '--root', '--preserve-credentials', '--', ...init, '--', ...options.command];
  let pty: Pty | undefined;
  let child: ChildProcess;
  try {
    pty = options.tty ? (await import('./tty.js')).openPty() : undefined;
    const stdio: StdioOptions = [...(pty === undefined ? [options.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'] as const : [pty.slave, pty.slave, pty.slave]), 'pipe', ...(seccomp === undefined ? [] : [seccomp])];
    const spawnOptions = { stdio, env: hostEnv(), detached: true };
    // Into the container's cgroup first (where it has one), so pause and limits hold for exec'd processes too.
    child = record.cgroup === undefined
      ? spawn('nsenter', args, spawnOptions)
      : spawn('/bin/sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', record.cgroup, 'nsenter', ...args], spawnOptions);
  } finally {
    if (seccomp !== undefined) closeSync(seccomp);
  }
  pty?.closeSlave();
  const envStream = child.stdio[3] as NodeJS.WritableStream | null;
  // A child that fails before reading its environment closes the socket: not our error to report.
  (envStream as unknown as { on(event: 'error', listener: () => void): void } | null)?.on('error', () => {});
  envStream?.end(environment);
  const detach = pty?.attach(process.stdin, process.stdout, options.interactive);
  const forward = (signal: NodeJS.Signals): void => {
    const target = child.pid === undefined ? undefined : (childOf(child.pid) ?? child.pid);
    if (target === undefined) return;
    try {
      // To the job's process group, as the terminal's Ctrl-C would (it leads one once burrow-init has called setsid).
      process.kill(-target, signal);
    } catch {
      try { process.kill(target, signal); } catch { /* already gone */ }
    }
  };
  const handlers = FORWARDED.map((signal) => [signal, () => forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', (error) => reject(new BurrowError('IO', `cannot run nsenter: ${error.message} (util-linux is needed)`)));
      child.on('close', (exitCode, sig) => resolve([exitCode, sig]));
    });
    if (code !== null) return code;
    return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    detach?.();
  }
}
