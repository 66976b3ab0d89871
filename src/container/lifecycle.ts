import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Socket } from 'node:net';
import { attachContainer, attachSession, connectToMonitor, holdForAttach } from './attach.js';
import { followLogs, type LogEntry } from './logs.js';
import { stopContainer, waitContainer } from './ops.js';
import { findContainer, type ContainerRecord } from './record.js';
import { startDetached } from './start.js';

export interface StartOptions {
  /**
   * Stay with the container until it exits and resolve to its exit status (`start -a`).
   * A container created with -i or -t is attached to this process's terminal
   * (input too); any other one hands its output to `onOutput`.
   */
  attach?: boolean | undefined;
  /** Output of an attached container, from its first line on, stdout and stderr kept apart. */
  onOutput?: ((entry: LogEntry) => void) | undefined;
  onNote?: ((note: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * `burrow start`: starts a created or stopped container under its own monitor.
 * Detached, it resolves once the job runs (to undefined); attached, to the exit status.
 */
export async function startContainer(store: Store, query: string, options: StartOptions = {}): Promise<number | undefined> {
  const record = findContainer(store, query);
  if (options.attach !== true) {
    await startDetached(store, record, { onNote: options.onNote });
    return undefined;
  }
  // Its output is only in the log, which --log-driver none does not keep: say so rather than print nothing.
  if (record.logDriver === 'none' && !record.plan.process.stdin && !record.tty) {
    throw new BurrowError('INVALID_ARGUMENT', `container ${record.name} was created with --log-driver none: start -a has no output to show; start it without -a, or create it with the json-file driver`);
  }
  // Held from before the job starts: a --rm container's clean-up waits until this
  // process has all the output and the exit status (else a quick job could be
  // removed under it: exit 125, "no such container", output lost).
  const hold = await holdForAttach(store, record);
  // Connected before the job starts (the monitor waits for it), as Docker attaches
  // before it starts: output printed at once is not lost. Undefined when the
  // container was running already (start is then a no-op): attach as to any running one.
  let socket: Socket | undefined;
  try {
    if (record.plan.process.stdin || record.tty) {
      await startDetached(store, record, {
        onNote: options.onNote,
        connectClient: async () => {
          // A second monitor (fall-back from overlay): the first one's socket is done.
          socket?.destroy();
          socket = await connectToMonitor(store, record);
        },
      });
      if (socket === undefined) return await attachContainer(store, record.id, { signal: options.signal });
      const connected = socket;
      socket = undefined;
      return await attachSession(store, record, connected, { signal: options.signal });
    }
    await startDetached(store, record, { onNote: options.onNote });
    // Output only: follow the log from its first line, so nothing printed before
    // this process caught up is lost.
    await followLogs(store, record, 0, (entries) => {
      for (const entry of entries) options.onOutput?.(entry);
    }, options.signal);
    return await waitContainer(store, record.id, options.signal);
  } finally {
    socket?.destroy();
    hold?.release();
  }
}

/** `burrow restart`: stop (StopSignal, then SIGKILL after the timeout), then start detached. */
export async function restartContainer(store: Store, query: string, options: { timeoutSeconds?: number; onNote?: (note: string) => void } = {}): Promise<ContainerRecord> {
  const record = await stopContainer(store, query, options.timeoutSeconds);
  await startDetached(store, record, { onNote: options.onNote });
  return record;
}
