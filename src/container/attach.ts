import { connect } from 'node:net';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { waitContainer } from './ops.js';
import { containerDir, findContainer } from './record.js';
import { containerState } from './state.js';

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
  if (containerState(store, record).status !== 'running') throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} is not running: use "burrow logs"`);
  const stdin = record.plan.process.stdin;
  const input = process.stdin;
  const output = process.stdout;
  // The socket is bound by a relative name (absolute store paths can exceed sun_path).
  const previous = process.cwd();
  process.chdir(containerDir(store, record.id));
  const socket = connect('attach.sock');
  process.chdir(previous);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (error) => reject(new BurrowError('IO', `cannot attach to ${record.name}: ${error.message}`)));
  });
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
