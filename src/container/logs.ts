import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import type { Store } from '../store/store.js';
import { parsePointInTime } from '../util/time.js';
import { containerDir, findContainer, type ContainerRecord } from './record.js';
import { containerState, readRunFile } from './state.js';

/** One line of the json-file log, as Docker's. */
export interface LogEntry {
  stream: 'stdout' | 'stderr';
  time: string;
  log: string;
}

/** The json-file log (rotated part first). */
export function readLogs(store: Store, record: ContainerRecord): LogEntry[] {
  const dir = containerDir(store, record.id);
  const entries: LogEntry[] = [];
  for (const name of ['ctr.log.1', 'ctr.log']) {
    // Not there (yet), or renamed away by a rotation between two reads: nothing to show from it.
    for (const line of (readRunFile(join(dir, name)) ?? '').split('\n')) {
      if (line === '') continue;
      try {
        entries.push(JSON.parse(line) as LogEntry);
      } catch {
        // A line being written: the next read has it.
      }
    }
  }
  return entries;
}

/**
 * Hands over log entries from index `from` on as they are written, until the
 * container is no longer running (one last read after it stops, so its final lines
 * come too), the signal fires or the clock passes `stopAtMs`. Returns how many
 * entries the log holds by then.
 */
export async function followLogs(store: Store, record: ContainerRecord, from: number, emit: (entries: LogEntry[]) => void, signal?: AbortSignal, stopAtMs = Infinity): Promise<number> {
  let seen = from;
  for (;;) {
    const running = containerState(store, record).status === 'running';
    const all = readLogs(store, record);
    emit(all.slice(seen));
    seen = all.length;
    if (!running || signal?.aborted === true || Date.now() > stopAtMs) return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A time bound of `logs`: a Date, milliseconds since the epoch, or text (RFC 3339, or a duration back from now such as 10m). */
export type LogTime = Date | number | string;

export interface LogOptions {
  /** Only entries written at or after this time. */
  since?: LogTime | undefined;
  /** Only entries written before or at this time; a follow ends when the clock passes it. */
  until?: LogTime | undefined;
  /** Only the last n entries of what the log holds when first read (before since/until, as Docker): a number, or 'all' (the default). */
  tail?: number | string | undefined;
  /** Keep handing over new entries until the container exits (or the signal fires). */
  follow?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

function timeBound(value: LogTime | undefined, name: 'since' | 'until', fallback: number): number {
  if (value === undefined) return fallback;
  const at = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : parsePointInTime(value);
  if (at === undefined || !Number.isFinite(at)) throw new BurrowError('INVALID_ARGUMENT', `invalid --${name} "${String(value)}": use an RFC 3339 time or a duration like 10m`);
  return at;
}

function tailCount(tail: number | string | undefined): number | undefined {
  if (tail === undefined || tail === 'all') return undefined;
  if (typeof tail === 'number' ? Number.isSafeInteger(tail) && tail >= 0 : /^\d+$/.test(tail)) return Number(tail);
  throw new BurrowError('INVALID_ARGUMENT', `invalid --tail "${String(tail)}": give a number or all`);
}

/**
 * `burrow logs`: hands the container's log entries to `emit` in order, filtered by
 * since/until and cut to the tail; with `follow`, new ones as they come. Every
 * option is checked before anything is read.
 */
export async function containerLogs(store: Store, query: string, options: LogOptions, emit: (entries: LogEntry[]) => void): Promise<void> {
  const since = timeBound(options.since, 'since', -Infinity);
  const until = timeBound(options.until, 'until', Infinity);
  const tail = tailCount(options.tail);
  const record = findContainer(store, query);
  if (record.logDriver === 'none') throw new BurrowError('INVALID_ARGUMENT', `configured logging driver does not support reading: container ${record.name} was made with --log-driver none`);
  const inRange = (entries: LogEntry[]): LogEntry[] => entries.filter((entry) => {
    const at = Date.parse(entry.time);
    return !(at < since) && !(at > until);
  });
  const entries = readLogs(store, record);
  emit(inRange(tail === undefined ? entries : entries.slice(Math.max(0, entries.length - tail))));
  // Following starts right after what was read, so no line written meanwhile is lost.
  if (options.follow === true) await followLogs(store, record, entries.length, (more) => emit(inRange(more)), options.signal, until);
}

/** The container's log entries now, filtered as `containerLogs` does (no follow). */
export async function readContainerLogs(store: Store, query: string, options: Omit<LogOptions, 'follow' | 'signal'> = {}): Promise<LogEntry[]> {
  const collected: LogEntry[] = [];
  await containerLogs(store, query, options, (entries) => collected.push(...entries));
  return collected;
}
