import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { findOnPath } from './host-tools.js';
import { SPAWN_OPAQUE_BYTES, spawnLibc } from './libc.js';

/**
 * A child process started with posix_spawn(3), for the two spawns on a cold run's
 * path (the layer's inflater, the container's launcher). Node's spawn (libuv) forks:
 * it copies the page tables of the CLI's ~100 MB and holds the event loop until the
 * child has exec'd (4-5 ms here on a quiet machine, more under load), and every page
 * the CLI writes afterwards takes a copy-on-write fault (another ~3 ms of CPU).
 * glibc's posix_spawn is a vfork (clone with CLONE_VM | CLONE_VFORK): nothing is
 * copied, and the caller waits only for the exec (0.1-0.3 ms, measured).
 *
 * What the child gets is what Node gives its children: every signal at its default
 * disposition (Node ignores SIGPIPE, and an ignored signal survives exec), an empty
 * signal mask, the environment asked for, the descriptors asked for and no other
 * (everything Node and this module open is close-on-exec), a session of its own when
 * asked. libuv does not know the child, so it is reaped here: each SIGCHLD, and a
 * referenced timer that keeps the event loop alive until then, try waitpid(2) with
 * WNOHANG on it alone (libuv waits on its own children by pid, never on any child).
 */

/** How each of the child's descriptors 0..n is set up: Node's words (`inherit` passes the caller's own). */
export type SpawnStdio = 'pipe' | 'ignore' | 'inherit' | number;

export interface SpawnedChild {
  pid: number;
  /** The parent's ends: writable for descriptor 0, readable for the others; null where not `pipe`. */
  stdio: Array<Readable | Writable | null>;
  stdin: Writable | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface SpawnOutcome {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The start's own failure (errno name as `code`: ENOENT is a command not found). */
  error?: NodeJS.ErrnoException;
}

const POSIX_SPAWN_SETSIGDEF = 0x04;
const POSIX_SPAWN_SETSIGMASK = 0x08;
const POSIX_SPAWN_SETSID = 0x80;
/** sizeof(sigset_t) in glibc (1024 bits), on every architecture. */
const SIGSET_BYTES = 128;
const O_CLOEXEC = 0o2000000;
const O_RDWR = 2;
const WNOHANG = 1;

/** The children started here and not reaped yet, by pid. */
const pending = new Map<number, (status: number) => void>();
let watching: { timer: NodeJS.Timeout; onSignal: () => void } | undefined;

function reapAll(): void {
  const { waitpid } = spawnLibc();
  for (const [pid, settle] of pending) {
    const status = [0];
    const reaped = waitpid(pid, status, WNOHANG);
    // -1 (ECHILD): reaped by someone else, status unknown; read as killed.
    if (reaped === pid || reaped === -1) {
      pending.delete(pid);
      settle(reaped === pid ? status[0]! : 0x09);
    }
  }
  if (pending.size === 0 && watching !== undefined) {
    clearInterval(watching.timer);
    process.removeListener('SIGCHLD', watching.onSignal);
    watching = undefined;
  }
}

function watch(pid: number, settle: (status: number) => void): void {
  pending.set(pid, settle);
  if (watching !== undefined) return;
  const onSignal = (): void => reapAll();
  process.on('SIGCHLD', onSignal);
  // SIGCHLD is the prompt way; the timer keeps the loop alive and catches a child whose signal came before the listener.
  watching = { timer: setInterval(reapAll, 50), onSignal };
}

/** A signal's name from its number (a wait status's, a helper's report); SIGKILL for one unknown. */
export function signalName(signal: number): NodeJS.Signals {
  const found = Object.entries(constants.signals).find(([, number]) => number === signal);
  return (found?.[0] ?? 'SIGKILL') as NodeJS.Signals;
}

function decode(status: number): SpawnOutcome {
  const termination = status & 0x7f;
  return termination === 0 ? { exitCode: (status >> 8) & 0xff, signal: null } : { exitCode: null, signal: signalName(termination) };
}

function errnoName(code: number): string {
  const found = Object.entries(constants.errno).find(([, number]) => number === code);
  return found?.[0] ?? `errno ${code}`;
}

function makePipe(): [number, number] {
  const fds = Buffer.alloc(8);
  if (spawnLibc().pipe2(fds, O_CLOEXEC) !== 0) throw new Error('pipe2 failed');
  return [fds.readInt32LE(0), fds.readInt32LE(4)];
}

/**
 * Starts `command` (found on PATH) with `args`; `exited` settles once it has been
 * reaped. The caller reads and writes `stdio` as it would a ChildProcess's.
 */
export function posixSpawn(command: string, args: readonly string[], stdio: readonly SpawnStdio[], options: { env: NodeJS.ProcessEnv; setsid?: boolean }): { child: SpawnedChild; exited: Promise<SpawnOutcome> } {
  const libc = spawnLibc();
  const actions = Buffer.alloc(SPAWN_OPAQUE_BYTES);
  const attributes = Buffer.alloc(SPAWN_OPAQUE_BYTES);
  const allSignals = Buffer.alloc(SPAWN_OPAQUE_BYTES);
  // All zeros: the empty set.
  const noSignals = Buffer.alloc(SPAWN_OPAQUE_BYTES);
  libc.actionsInit(actions);
  libc.attrInit(attributes);
  const childEnds: number[] = [];
  const parentEnds: Array<number | undefined> = stdio.map(() => undefined);
  try {
    for (const [fd, how] of stdio.entries()) {
      if (how === 'pipe') {
        const [read, write] = makePipe();
        const [mine, theirs] = fd === 0 ? [write, read] : [read, write];
        childEnds.push(theirs);
        parentEnds[fd] = mine;
        libc.addDup2(actions, theirs, fd);
      } else if (how === 'ignore') {
        libc.addOpen(actions, fd, '/dev/null', O_RDWR, 0);
      } else if (how === 'inherit') {
        // dup2 of a descriptor onto itself clears its close-on-exec flag (glibc 2.29 and later).
        libc.addDup2(actions, fd, fd);
      } else {
        libc.addDup2(actions, how, fd);
      }
    }
    // Every bit set by hand: glibc's sigfillset leaves out its own two real-time signals (32, 33),
    // which posix_spawn then sets to ignored in the child, and an ignored signal outlives exec.
    allSignals.fill(0xff, 0, SIGSET_BYTES);
    libc.attrSetSigDefault(attributes, allSignals);
    libc.attrSetSigMask(attributes, noSignals);
    libc.attrSetFlags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | (options.setsid === true ? POSIX_SPAWN_SETSID : 0));
    const environment = Object.entries(options.env).filter((entry): entry is [string, string] => entry[1] !== undefined).map(([name, value]) => `${name}=${value}`);
    const pid = [0];
    // Found on the child's PATH, as Node's spawn finds it (posix_spawnp would search this process's).
    const file = findOnPath(command, options.env.PATH ?? '');
    const failed = file === undefined ? constants.errno.ENOENT : libc.spawn(pid, file, actions, attributes, [command, ...args, null], [...environment, null]);
    for (const fd of childEnds) closeSync(fd);
    childEnds.length = 0;
    if (failed !== 0) {
      for (const fd of parentEnds) if (fd !== undefined) closeSync(fd);
      const code = errnoName(failed);
      const error = Object.assign(new Error(`spawn ${command} ${code}`), { code, errno: -failed, syscall: 'posix_spawn', path: command }) as NodeJS.ErrnoException;
      const child: SpawnedChild = { pid: 0, stdio: stdio.map(() => null), stdin: null, kill: () => false };
      return { child, exited: Promise.resolve({ exitCode: null, signal: null, error }) };
    }
    const streams: Array<Socket | null> = parentEnds.map((fd, index) => (fd === undefined ? null : new Socket({ fd, readable: index !== 0, writable: index === 0 })));
    const child: SpawnedChild = {
      pid: pid[0]!,
      stdio: streams,
      stdin: streams[0] ?? null,
      kill: (signal: NodeJS.Signals = 'SIGTERM') => {
        if (!pending.has(pid[0]!)) return false;
        try {
          process.kill(pid[0]!, signal);
          return true;
        } catch {
          return false;
        }
      },
    };
    const exited = new Promise<SpawnOutcome>((resolve) => watch(pid[0]!, (status) => resolve(decode(status))));
    return { child, exited };
  } catch (error) {
    for (const fd of [...childEnds, ...parentEnds]) if (fd !== undefined) closeSync(fd);
    throw error;
  } finally {
    libc.actionsDestroy(actions);
    libc.attrDestroy(attributes);
  }
}
