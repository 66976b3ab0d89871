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
import type { ProcessIdentity } from '../util/process-identity.js';
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
  /** -d: start the command and return at once (its output goes nowhere, as Docker's exec -d). */
  detach?: boolean | undefined;
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

/** `exec -u`: a user the container does not know fails the exec's start, which exits 126 as Docker's does. */
function execUser(user: string, record: ContainerRecord): ReturnType<typeof resolveUser> {
  try {
    return resolveUser(user, record.plan.rootfs.lowers);
  } catch (error) {
    if (error instanceof BurrowError && !error.explicitExit) throw new BurrowError(error.code, error.message, { cause: error, exitCode: 126 });
    throw error;
  }
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** The running container's PID 1 (waited for when it was started a moment ago), or a one-line error. */
export async function runningSandbox(store: Store, record: ContainerRecord): Promise<ProcessIdentity> {
  const state = containerState(store, record);
  const sandbox = state.sandbox;
  if (state.status !== 'running' || sandbox === undefined) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: start it first`);
  if (state.paused) throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is paused: unpause it first`);
  // Started a moment ago by another command: its root may still be being built.
  await waitForSandbox(sandbox.pid);
  return sandbox;
}

export interface ExecProcess {
  /** burrow-init on the host (behind the cgroup entry, where there is one); its status is the command's. */
  child: ChildProcess;
  /** The one-line error for an exit status that says the cgroup entry failed, else undefined. */
  failure(code: number | null): BurrowError | undefined;
}

/**
 * Starts `options.command` in the container of `sandbox` (see execInContainer) with
 * `stdio` as its descriptors 0, 1 and 2; the caller waits for `child`. Shared by
 * `exec` and the health checks (container/health.ts), so both go through the same
 * steps: cgroup entry, burrow-init from the host, the container's user,
 * capabilities, no_new_privs and seccomp filter.
 */
export function spawnExec(store: Store, record: ContainerRecord, sandbox: ProcessIdentity, options: Omit<ExecOptions, 'interactive'>, stdio: ReadonlyArray<'ignore' | 'inherit' | 'pipe' | number>): ExecProcess {
  const user = options.user === undefined ? { uid: record.plan.process.uid, gid: record.plan.process.gid, groups: record.plan.process.groups } : execUser(options.user, record);
  // -t: TERM=xterm, as `run -t` and Docker's exec -t give it (the container's or -e's own TERM wins).
  const environment = environmentBlock(mergeEnv([options.tty ? ['TERM=xterm'] : [], record.plan.process.env, callerEnv(options.env)]));
  const seccomp = openSeccompFilter(containerDir(store, record.id), record);
  const init = initArgs({
    join: sandbox, ...user, cwd: options.workdir ?? record.plan.process.cwd, capabilities: record.plan.capabilities,
    init: false, tty: options.tty, noNewPrivs: true, envFd: 3, seccompFd: seccomp === undefined ? undefined : 4,
    rlimits: record.plan.process.rlimits, oomScoreAdj: record.plan.process.oomScoreAdj,
  });
  const args = [...init, '--', ...options.command];
  let child: ChildProcess;
  try {
    const spawnOptions = { stdio: [...stdio, 'pipe', ...(seccomp === undefined ? [] : [seccomp])] as StdioOptions, env: hostEnv(), detached: true };
    // Into the container's cgroup first (where it has one), so pause and limits hold for exec'd processes too.
    const [command, ...rest] = [...(record.cgroup === undefined ? [] : entryArgv(record.cgroup)), INIT_BINARY, ...args];
    child = spawn(command!, rest, spawnOptions);
  } finally {
    if (seccomp !== undefined) closeSync(seccomp);
  }
  const envStream = child.stdio[3] as (Writable & NodeJS.ReadableStream) | null;
  // A child that fails before reading its environment closes the socket: not our error to report.
  envStream?.on('error', () => {});
  // The cgroup entry reports a failed move on the same descriptor (a socket pair), then stops.
  let report = '';
  envStream?.on('data', (chunk: Buffer) => { report += chunk.toString(); });
  envStream?.end(environment);
  return {
    child,
    failure: (code) => (code === 125 && report.includes('"burrow-error":"cgroup"') ? cgroupEntryFailure(report, `cannot exec in container ${record.name}`) : undefined),
  };
}

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
  if (options.command.length === 0) throw new BurrowError('INVALID_ARGUMENT', 'exec needs a command');
  const sandbox = await runningSandbox(store, record);
  if (options.detach === true) return execDetached(store, record, sandbox, options);
  let pty: Pty | undefined;
  let started: ExecProcess;
  try {
    pty = options.tty ? (await import('./tty.js')).openPty() : undefined;
    const output = options.output ?? 'inherit';
    started = spawnExec(store, record, sandbox, options, pty === undefined ? [options.interactive ? 'inherit' : 'ignore', output, output] : [pty.slave, pty.slave, pty.slave]);
  } catch (error) {
    pty?.closeSlave();
    throw error;
  }
  const { child } = started;
  pty?.closeSlave();
  options.onSpawn?.(child);
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
    const failure = started.failure(code);
    if (failure !== undefined) throw failure;
    if (code !== null) return code;
    return 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0));
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    detach?.();
  }
}

/**
 * `exec -d`: the command runs on after burrow returns (burrow-init leads a session
 * of its own, outside burrow's). burrow waits only until burrow-init has read the
 * environment (it closes that descriptor before the command runs), or has failed.
 */
async function execDetached(store: Store, record: ContainerRecord, sandbox: ProcessIdentity, options: ExecOptions): Promise<number> {
  if (options.tty || options.interactive) throw new BurrowError('INVALID_ARGUMENT', 'exec -d cannot be used with -i or -t: nothing would be attached');
  const started = spawnExec(store, record, sandbox, options, ['ignore', 'ignore', 'ignore']);
  const { child } = started;
  const exited = await new Promise<number | null | undefined>((resolve, reject) => {
    child.on('error', (error) => reject(new BurrowError('IO', `cannot run ${INIT_BINARY}: ${error.message} (run npm run build)`)));
    child.on('exit', (code) => resolve(code));
    (child.stdio[3] as NodeJS.ReadableStream | null)?.on('close', () => resolve(undefined));
  });
  const failure = exited === undefined ? undefined : started.failure(exited);
  if (failure !== undefined) throw failure;
  child.unref();
  return 0;
}
