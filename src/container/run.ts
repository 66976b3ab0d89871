import type { Store } from '../store/store.js';
import { createContainer, type CreateOptions } from './create.js';
import { removeContainerFiles, startDetached, startForeground, type AttachedStreams } from './start.js';
import type { ContainerRecord } from './record.js';
import { trace } from '../util/trace.js';
import { removeAnonymousVolumes } from './volumes.js';

export interface RunOptions extends CreateOptions {
  detach: boolean;
  /** -a: the standard streams the job is attached to (default: all three; stdin only with -i). */
  streams?: AttachedStreams | undefined;
  /** Called once the container exists, before it starts (--cidfile). */
  onCreated?: ((record: ContainerRecord) => void) | undefined;
}

export interface RunResult {
  id: string;
  name: string;
  /** The job's exit status (undefined for a detached container). */
  exitCode: number | undefined;
}

/** `burrow run`: create, then start attached (the job's exit status) or detached (the id). */
export async function runContainer(store: Store, options: RunOptions): Promise<RunResult> {
  // Started unlocked (start.ts: startLocked), under the start claim taken as it is created.
  const record = await createContainer(store, { ...options, claimStart: true });
  try {
    options.onCreated?.(record);
  } catch (error) {
    await discardContainer(store, record);
    throw error;
  }
  if (options.detach) {
    try {
      await startDetached(store, record, { onNote: options.onNote, fresh: true });
    } catch (error) {
      await discardContainer(store, record);
      throw error;
    }
    return { id: record.id, name: record.name, exitCode: undefined };
  }
  try {
    const exitCode = await startForeground(store, record, { signal: options.signal, onNote: options.onNote, fresh: true, streams: options.streams });
    return { id: record.id, name: record.name, exitCode };
  } finally {
    if (options.remove) {
      await discardContainer(store, record);
      trace('removed');
    }
  }
}

/** A container of this run's that must go (--rm, or a failed run): its files, then its anonymous volumes, as Docker's --rm takes them. */
export async function discardContainer(store: Store, record: ContainerRecord): Promise<void> {
  await removeContainerFiles(store, record);
  if (record.anonymousVolumes !== undefined) await removeAnonymousVolumes(store, record.anonymousVolumes);
}

/**
 * CreateOptions for `image` with Docker's defaults for everything not given
 * (no extra env, mounts, capabilities or labels; not interactive; kept after exit),
 * for library callers that set a few options rather than every flag.
 */
export function containerOptions(image: string, options: Partial<Omit<CreateOptions, 'image'>> = {}): CreateOptions {
  return { command: [], env: [], volumes: [], readOnly: false, init: false, interactive: false, tty: false, remove: false, capAdd: [], capDrop: [], labels: {}, ...options, image };
}
