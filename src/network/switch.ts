import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { sleep } from '../util/sleep.js';
import { hostEnv } from '../util/spawn.js';
import { withLockFileSync } from '../store/lockfile.js';
import { findNetwork, networkDir, networkLock, switchSocketPath, type NetworkRecord } from './records.js';
import { nativeBinary } from '../util/native.js';

/**
 * The switch of a user-defined network (native/burrow-switch.c): started here
 * when a member starts and none runs; it ends itself a few seconds after its last
 * member. Its requests are NUL-terminated texts on its unix socket, answered by
 * one line.
 */
export const SWITCH_BINARY = nativeBinary('burrow-switch');
export const NETATTACH_BINARY = nativeBinary('burrow-netattach');

/** A unix socket path fits sun_path's 108 bytes (with its NUL). */
const SUN_PATH_MAX = 107;

/**
 * Sends one request to the switch; its answer line, or undefined when no switch
 * listens. A socket path too long for sun_path is reached through
 * /proc/self/fd/N of its directory (short, and resolved by the kernel).
 */
export async function askSwitch(socketPath: string, request: string, timeoutMs = 2_000): Promise<string | undefined> {
  let directoryFd: number | undefined;
  let path = socketPath;
  if (Buffer.byteLength(socketPath) > SUN_PATH_MAX) {
    try {
      directoryFd = openSync(dirname(socketPath), 'r');
    } catch {
      return undefined;
    }
    path = `/proc/self/fd/${directoryFd}/${basename(socketPath)}`;
  }
  try {
    return await new Promise<string | undefined>((resolve) => {
      const socket = connect(path);
      let answer = '';
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(undefined);
      }, timeoutMs);
      socket.on('connect', () => socket.write(`${request}\0`));
      socket.on('data', (chunk: Buffer) => {
        answer += chunk.toString();
        if (answer.includes('\n')) socket.end();
      });
      socket.on('error', () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(answer.includes('\n') ? answer.slice(0, answer.indexOf('\n')) : undefined);
      });
    });
  } finally {
    if (directoryFd !== undefined) closeSync(directoryFd);
  }
}

export async function switchRunning(store: Store, network: NetworkRecord): Promise<boolean> {
  return (await askSwitch(switchSocketPath(store, network.id), 'ping')) === 'ok';
}

/**
 * Makes sure the network's switch runs: asks it, else starts one (detached, in a
 * session of its own, its stderr in the network's switch.log) and waits until it
 * answers. The start is under the network's lock (as leases are): `network rm`
 * cannot remove the network's directory between the check that it exists and the
 * switch's start there. The wait for its answer is not (the switch needs no lock
 * to answer; a start of another member meanwhile only asks it too). Two starts at
 * once are harmless: the switch keeps one instance per network (flock), a second
 * one exits 0 at once and both callers find the first. One that gave way to a
 * switch that was closing (idle, its socket already removed) is started again.
 */
export async function ensureSwitch(store: Store, network: NetworkRecord, timeoutMs = 5_000): Promise<void> {
  if (await switchRunning(store, network)) return;
  const dir = networkDir(store, network.id);
  const logPath = join(dir, 'switch.log');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const started = withLockFileSync(networkLock(store, network.id), () => {
      if (findNetwork(store, network.id) === undefined) throw new BurrowError('NOT_FOUND', `no such network: ${network.name}`);
      return startSwitch(dir, logPath, network.name);
    });
    for (;;) {
      if (await switchRunning(store, network)) return;
      if ((started.exited !== undefined && started.exited !== 0) || Date.now() > deadline) {
        const why = lastLine(logPath) ?? (started.exited === -1 ? `${SWITCH_BINARY} could not be started (run npm run build)` : 'it did not answer');
        throw new BurrowError('NETWORK', `the switch of network ${network.name} did not start: ${why}`);
      }
      // Exit 0: it gave way to a running switch; once that one is gone (it was closing), start another.
      if (started.exited === 0 && !existsSync(join(dir, 'switch.sock'))) break;
      await sleep(10, undefined);
    }
    await sleep(10, undefined);
  }
}

/** Spawns a switch; its exit code is filled in when it exits (-1: it could not be run). */
function startSwitch(dir: string, logPath: string, name: string): { exited: number | null | undefined } {
  const started: { exited: number | null | undefined } = { exited: undefined };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = openSync(logPath, 'a', 0o600);
  try {
    const child = spawn(SWITCH_BINARY, [dir, name], { detached: true, stdio: ['ignore', log, log], env: hostEnv() });
    child.on('exit', (code) => { started.exited = code; });
    child.on('error', () => { started.exited = -1; });
    child.unref();
  } finally {
    closeSync(log);
  }
  return started;
}

function lastLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').pop() || undefined;
  } catch {
    return undefined;
  }
}

/** Tells the switch to drop the container's tap (`network disconnect` of a running container). Whether it had one. */
export async function disconnectFromSwitch(store: Store, network: NetworkRecord, containerId: string): Promise<boolean> {
  return (await askSwitch(switchSocketPath(store, network.id), `disconnect ${containerId}`)) === 'ok';
}
