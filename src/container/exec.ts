import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Writable } from 'node:stream';
import { BurrowError } from '../errors.js';
import { environmentBlock, SECCOMP_FILE } from '../sandbox/handoff.js';
import { initArgs } from '../sandbox/init-args.js';
import { hasSeccompFilter } from '../sandbox/plan.js';
import type { Store } from '../store/store.js';
import { hostEnv } from '../util/spawn.js';
import { mergeEnv } from './environment.js';
import { callerEnv } from './image-config.js';
import { entryArgv } from '../cgroup/index.js';
import { cgroupEntryFailure, INIT_BINARY } from './launcher.js';
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
  /** Where the command's stdout and stderr go: burrow's own (the default), or pipes the caller reads from `onSpawn`'s child (a job's steps). */
  output?: 'inherit' | 'pipe' | undefined;
  /** Handed the burrow-init process once it runs (its signals reach the command's process group). */
  onSpawn?: ((child: ChildProcess) => void) | undefined;
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

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/**
 * `burrow exec`: a process in a running container. burrow-init runs from the
 * host (its path in burrow's build, never one inside the container), joins the
 * namespaces of the container's PID 1 itself (-J: the root it gets is the mount
 * namespace's, which a job without CAP_SYS_ADMIN cannot move, never PID 1's, which
 * the job can chroot anywhere; see native/burrow-init.c: join_container), forks into the pid namespace, and gives the child the container's
 * user, capabilities, no_new_privs and seccomp filter, as for PID 1, before it
 * execs the command. Until that exec nothing in the container can ptrace it: it
 * is not dumpable, and its memory belongs to the host's user namespace.
 *
 * The host programs on the way (the cgroup entry, burrow-init) run with a fixed
 * environment (util/spawn.ts: hostEnv) and are never found through the
 * container's PATH: the job's environment, with its PATH and any LD_PRELOAD, goes
 * to burrow-init on a descriptor (-E). They run in a session of their own, and
 * the job in another (burrow-init's setsid): nothing in the container has the
 * caller's terminal as its controlling terminal (TIOCSTI), and the terminal's
 * Ctrl-C reaches burrow alone, which passes it to burrow-init, which passes it to
 * the job's process group.
 */
export async function execInContainer(store: Store, query: string, options: ExecOptions): Promise<number> {
  const record = findContainer(store, query);
  const state = containerState(store, record);
  const sandbox = state.sandbox;
  if (state.status !== 'running' || sandbox === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: start it first`);
  if (state.paused) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is paused: unpause it first`);
  if (options.command.length === 0) throw new BurrowError('INVALID_ARGUMENT', 'exec needs a command');
  // Started a moment ago by another command: its root may still be being built.
  await waitForSandbox(sandbox.pid);
  const user = options.user === undefined ? { uid: record.plan.process.uid, gid: record.plan.process.gid, groups: record.plan.process.groups } : resolveUser(options.user, record.plan.rootfs.lowers);
  const environment = environmentBlock(mergeEnv([record.plan.process.env, callerEnv(options.env)]));
  const seccomp = openSeccompFilter(containerDir(store, record.id), record);
  const init = initArgs({
    join: sandbox, ...user, cwd: options.workdir ?? record.plan.process.cwd, capabilities: record.plan.capabilities,
    init: false, tty: options.tty, noNewPrivs: true, envFd: 3, seccompFd: seccomp === undefined ? undefined : 4,
  });
  const args = [...init, '--', ...options.command];
  let pty: Pty | undefined;
  let child: ChildProcess;
  try {
    pty = options.tty ? (await import('./tty.js')).openPty() : undefined;
    const output = options.output ?? 'inherit';
    const stdio: StdioOptions = [...(pty === undefined ? [options.interactive ? 'inherit' : 'ignore', output, output] as const : [pty.slave, pty.slave, pty.slave]), 'pipe', ...(seccomp === undefined ? [] : [seccomp])];
    const spawnOptions = { stdio, env: hostEnv(), detached: true };
    // Into the container's cgroup first (where it has one), so pause and limits hold for exec'd processes too.
    const [command, ...rest] = [...(record.cgroup === undefined ? [] : entryArgv(record.cgroup)), INIT_BINARY, ...args];
    child = spawn(command!, rest, spawnOptions);
  } finally {
    if (seccomp !== undefined) closeSync(seccomp);
  }
  pty?.closeSlave();
  options.onSpawn?.(child);
  const envStream = child.stdio[3] as (Writable & NodeJS.ReadableStream) | null;
  // A child that fails before reading its environment closes the socket: not our error to report.
  envStream?.on('error', () => {});
  // The cgroup entry reports a failed move on the same descriptor (a socket pair), then stops.
  let report = '';
  envStream?.on('data', (chunk: Buffer) => { report += chunk.toString(); });
  envStream?.end(environment);
  const detach = pty?.attach(process.stdin, process.stdout, options.interactive);
  // To burrow-init outside the container, which passes it to the job's process group.
  const forward = (signal: NodeJS.Signals): void => {
    try { child.kill(signal); } catch { /* already gone */ }
  };
  const handlers = FORWARDED.map((signal) => [signal, () => forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      child.on('error', (error) => reject(new BurrowError('IO', `cannot run ${INIT_BINARY}: ${error.message} (run npm run build)`)));
      child.on('close', (exitCode, sig) => resolve([exitCode, sig]));
    });
    if (code === 125 && report.includes('"burrow-error":"cgroup"')) throw cgroupEntryFailure(report, `cannot exec in container ${record.name}`);
    if (code !== null) return code;
    return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    detach?.();
  }
}
