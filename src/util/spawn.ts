import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { DEFAULT_HOST_PATH, notInstalled, RUN_DOCTOR } from './host-tools.js';
import { preloadLibc } from './libc.js';
import { posixSpawn, type SpawnStdio } from './posix-spawn.js';

/**
 * Child processes on `burrow run`'s start path. execa is the project's choice for
 * child processes, but it costs ~80 ms to load, more than all of a container's
 * namespaces, mounts and exec together; here node:child_process is enough.
 */
export interface Finished {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The spawn itself failed (ENOENT: not installed; its message then names the package to install). */
  error?: NodeJS.ErrnoException;
}

export { DEFAULT_HOST_PATH } from './host-tools.js';

/**
 * The environment of every host program burrow starts (unshare, sh, mount, bwrap,
 * nsenter, the monitor, its workers): the caller's PATH and nothing else. Never a
 * container's environment (its LD_PRELOAD or PATH would run host code outside the
 * sandbox), and none of the caller's variables either (LD_*, NODE_OPTIONS, a shell's
 * ENV…): what those programs do depends on their arguments alone. A container's
 * environment reaches its job through bubblewrap's --setenv or burrow-init's -E.
 */
export function hostEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH || DEFAULT_HOST_PATH };
}

export interface StartOptions {
  /** Default: hostEnv(). */
  env?: NodeJS.ProcessEnv;
  /** A session of its own (setsid): the caller's terminal signals do not reach it. */
  detached?: boolean;
  /**
   * A process group of its own (a new session), killed as a whole once the child
   * exits, so that nothing it forked can hold the pipes open after it (util-linux
   * 2.38's unshare, failing, left its newuidmap helper blocked for ever;
   * burrow-userns's mapper ends at EOF, but the guard costs nothing).
   */
  ownGroup?: boolean;
}

/** ownGroup's end: what the child left in its group goes with it. */
function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // No one left in the group: the usual case.
  }
}

/** A start's failure; a command not found names the package to install. */
function namedFailure(command: string, error: NodeJS.ErrnoException): NodeJS.ErrnoException {
  if (error.code === 'ENOENT') error.message = `${notInstalled(command)}; ${RUN_DOCTOR}`;
  return error;
}

export function start(command: string, args: readonly string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe'], options: StartOptions = {}): { child: ChildProcess; finished: Promise<Finished> } {
  const child = spawn(command, args, { stdio, env: options.env ?? hostEnv(), detached: options.detached ?? options.ownGroup ?? false });
  if (options.ownGroup === true) child.on('exit', () => killGroup(child.pid!));
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const finished = new Promise<Finished>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ exitCode: null, signal: null, stdout, stderr, error: namedFailure(command, error) }));
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
  return { child, finished };
}

/** What the cold run's path uses of a child: a ChildProcess, or one of util/posix-spawn.ts. */
export interface Child {
  pid?: number | undefined;
  stdin: Writable | null;
  stdio: ReadonlyArray<Readable | Writable | null | undefined>;
  kill(signal?: NodeJS.Signals): boolean;
}

/**
 * start() for the spawns on a run's path (the launcher; a cold run's inflater): through
 * posix_spawn (util/posix-spawn.ts: no fork of this ~100 MB process, whose every page
 * the fork marks copy-on-write), loading koffi's native module for it when no lock has
 * loaded it yet. Measured on a warm run (41 interleaved runs): 6 ms less wall time and 7
 * ms less CPU than Node's fork, koffi's load included. Where koffi cannot load, start().
 */
export function startLight(command: string, args: readonly string[], stdio: readonly SpawnStdio[], options: StartOptions = {}): { child: Child; finished: Promise<Finished> } {
  try {
    preloadLibc(); // Loaded once: a later call returns at once.
  } catch {
    return start(command, args, [...stdio], options);
  }
  const setsid = options.detached ?? options.ownGroup ?? false;
  const { child, exited } = posixSpawn(command, args, stdio, { env: options.env ?? hostEnv(), setsid });
  let stdout = '';
  let stderr = '';
  const closed: Array<Promise<void>> = [];
  for (const [fd, stream] of child.stdio.entries()) {
    if (stream === null || stream === undefined || fd === 0) continue;
    const readable = stream as Readable;
    if (fd === 1) readable.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    if (fd === 2) readable.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    // Node's 'close' of a child comes once it has exited and its pipes are drained: the same here.
    closed.push(new Promise((resolve) => { readable.once('close', () => resolve()); readable.once('error', () => resolve()); }));
  }
  child.stdin?.on('error', () => undefined); // A child that stops reading: the writer's pipeline sees it.
  const finished = exited.then(async (outcome): Promise<Finished> => {
    if (outcome.error !== undefined) return { exitCode: null, signal: null, stdout, stderr, error: namedFailure(command, outcome.error) };
    if (options.ownGroup === true) killGroup(child.pid);
    await Promise.all(closed);
    return { exitCode: outcome.exitCode, signal: outcome.signal, stdout, stderr };
  });
  return { child, finished };
}

export function runToEnd(command: string, args: readonly string[], options: StartOptions = {}): Promise<Finished> {
  return start(command, args, ['ignore', 'pipe', 'pipe'], options).finished;
}
