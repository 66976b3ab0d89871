import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { sleep } from '../util/sleep.js';
import { hostEnv } from '../util/spawn.js';
import { networkDir, switchSocketPath, type NetworkRecord } from './records.js';

/**
 * The switch of a user-defined network (native/burrow-switch.c): started here
 * when a member starts and none runs; it ends itself a few seconds after its last
 * member. Its requests are NUL-terminated texts on its unix socket, answered by
 * one line.
 */
export const SWITCH_BINARY = nativeBinary('burrow-switch');
export const NETATTACH_BINARY = nativeBinary('burrow-netattach');

/** build/native beside the built modules; from the sources (the unit tests run them), the build's. */
function nativeBinary(name: string): string {
  const beside = fileURLToPath(new URL(`../native/${name}`, import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL(`../../build/native/${name}`, import.meta.url));
}

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
 * answers. Two starts at once are harmless: the switch keeps one instance per
 * network (flock), a second one exits at once and both callers find the first.
 */
export async function ensureSwitch(store: Store, network: NetworkRecord, timeoutMs = 5_000): Promise<void> {
  if (await switchRunning(store, network)) return;
  const dir = networkDir(store, network.id);
  const logPath = join(dir, 'switch.log');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const log = openSync(logPath, 'a', 0o600);
  let exited: number | null | undefined;
  try {
    const child = spawn(SWITCH_BINARY, [dir, network.name], { detached: true, stdio: ['ignore', log, log], env: hostEnv() });
    child.on('exit', (code) => { exited = code; });
    child.on('error', () => { exited = -1; });
    child.unref();
  } finally {
    closeSync(log);
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await switchRunning(store, network)) return;
    // Exit 0 is a second instance giving way to the first: keep asking.
    if ((exited !== undefined && exited !== 0) || Date.now() > deadline) {
      const why = lastLine(logPath) ?? (exited === -1 ? `${SWITCH_BINARY} could not be started (run npm run build)` : 'it did not answer');
      throw new BurrowError('NETWORK', `the switch of network ${network.name} did not start: ${why}`);
    }
    await sleep(10, undefined);
  }
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
