import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { acquireLock, type Lock } from '../store/flock.js';
import type { Store } from '../store/store.js';
import { waitContainer } from './ops.js';
import { containerDir, findContainer, type ContainerRecord } from './record.js';
import { ATTACH_HOLD_FILE } from './start.js';
import { containerState } from './state.js';


/**
 * Keeps a --rm container from being removed while this process still reads it:
 * the monitor runs the --rm clean-up only once every holder has let go, so an
 * attached client gets the job's last output and its exit status before the
 * container goes (Docker's client waits for the daemon the same way). The kernel
 * drops the lock when the holder dies, so a killed client never keeps a container.
 * Undefined for a container without --rm: nothing removes it under the client.
 */
export async function holdForAttach(store: Store, record: ContainerRecord): Promise<Lock | undefined> {
  if (!record.autoRemove) return undefined;
  const dir = containerDir(store, record.id);
  if (!existsSync(dir)) throw new BurrowError('NOT_FOUND', `no such container: ${record.name} (removed by another burrow command)`);
  try {
    // Never made here: a container removed meanwhile must not come back as an empty directory.
    return await acquireLock(join(dir, ATTACH_HOLD_FILE), { mode: 'shared', createParent: false });
  } catch (error) {
    if (!existsSync(dir)) throw new BurrowError('NOT_FOUND', `no such container: ${record.name} (removed by another burrow command)`);
    throw error;
  }
}

/** A frame to the monitor: type, 16-bit length, payload (see native/burrow-monitor.c). */
function frame(type: 'd' | 'r' | 'e', payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.from([type.charCodeAt(0), payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}

/**
 * `burrow attach` (and `start -a`, `run -d` then attach): connects to the
 * container's monitor, shows its output as it comes, sends standard input when
 * the container was created with -i (raw, on a terminal, with -t) and keeps the
 * window size in sync. Returns the container's exit status.
 */
export async function attachContainer(store: Store, query: string, options: { signal?: AbortSignal | undefined } = {}): Promise<number> {
  const record = findContainer(store, query);
  // Taken before the state is read: a --rm container found running then stays until this client has its exit status.
  const hold = await holdForAttach(store, record);
  try {
    return await attachRunning(store, record, options);
  } finally {
    hold?.release();
  }
}

async function attachRunning(store: Store, record: ContainerRecord, options: { signal?: AbortSignal | undefined }): Promise<number> {
  if (containerState(store, record).status !== 'running') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: use "burrow logs"`);
  return attachSession(store, record, await connectToMonitor(store, record), options);
}

/**
 * Connects to the container's monitor (its attach socket). `start -a` connects
 * before the job starts (the monitor waits for it: --wait-attach), so that the
 * job's first output reaches it; what comes before the session reads it waits in the socket.
 */
export async function connectToMonitor(store: Store, record: ContainerRecord): Promise<Socket> {
  // The socket is bound by a relative name (absolute store paths can exceed sun_path).
  const previous = process.cwd();
  process.chdir(containerDir(store, record.id));
  const socket = connect('attach.sock');
  process.chdir(previous);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (error) => reject(new BurrowError('IO', `cannot attach to ${record.name}: ${error.message}`)));
  });
  return socket;
}

/**
 * The attached session on a connected socket: output shown as it comes, input
 * and window size sent, until the monitor closes it; resolves to the exit status.
 */
export async function attachSession(store: Store, record: ContainerRecord, socket: Socket, options: { signal?: AbortSignal | undefined } = {}): Promise<number> {
  const stdin = record.plan.process.stdin;
  const input = process.stdin;
  const output = process.stdout;
  socket.on('data', (chunk: Buffer) => output.write(chunk));
  const resize = (): void => {
    if (output.isTTY !== true) return;
    const size = Buffer.alloc(4);
    size.writeUInt16BE(output.rows, 0);
    size.writeUInt16BE(output.columns, 2);
    socket.write(frame('r', size));
  };
  const wasRaw = input.isTTY === true ? input.isRaw : false;
  const onInput = (chunk: Buffer): void => {
    for (let at = 0; at < chunk.length; at += 65535) socket.write(frame('d', chunk.subarray(at, at + 65535)));
  };
  const onEnd = (): void => { socket.write(frame('e')); };
  if (record.tty) {
    resize();
    output.on('resize', resize);
    if (input.isTTY === true) input.setRawMode(true);
  }
  if (stdin) {
    input.on('data', onInput);
    input.on('end', onEnd);
  }
  try {
    await new Promise<void>((resolve) => {
      // Connected before the job started (start -a), it may be over already.
      if (socket.closed) resolve();
      socket.once('close', () => resolve());
      options.signal?.addEventListener('abort', () => socket.destroy(), { once: true });
    });
  } finally {
    output.off('resize', resize);
    if (stdin) {
      input.off('data', onInput);
      input.off('end', onEnd);
      input.pause();
    }
    if (input.isTTY === true) input.setRawMode(wasRaw);
  }
  return waitContainer(store, record.id, options.signal);
}
