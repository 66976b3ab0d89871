import { closeSync, fstatSync, openSync, readSync, statSync, watch, type FSWatcher } from 'node:fs';
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

/**
 * Receives log entries. A promise holds the reader back until it settles: a
 * client whose output is slow (a pipe nobody reads) is not given more than it can
 * take, so memory stays bounded whatever the job writes.
 */
export type LogSink = (entries: LogEntry[]) => unknown;

/** The log file the monitor writes (burrow-monitor.c: open_log); rotation renames it to ctr.log.1, ctr.log.2… (the highest number oldest). */
const LOG_NAME = 'ctr.log';
/** More rotated files than any --log-opt allows: where the search for them stops. */
const MAX_LOG_FILES = 100;
/** How much is read at a time: what a follower holds in memory, whatever the log's size. */
const CHUNK_BYTES = 64 * 1024;
/** The monitor writes a line of at most 6 × 16 KiB escaped bytes; a longer run without a newline is not a log line (a torn write on a full disk): dropped. */
const MAX_LINE_BYTES = 1024 * 1024;
/** How often a follower with nothing to read looks at whether the container still runs. */
const IDLE_POLL_MS = 100;

function parseLine(line: Buffer): LogEntry | undefined {
  if (line.length === 0) return undefined;
  try {
    return JSON.parse(line.toString('utf8')) as LogEntry;
  } catch {
    // Not a whole entry: the tail of a write the disk had no room for.
    return undefined;
  }
}

/** The json-file log (rotated parts first), read whole: for the few lines a report needs; `containerLogs` streams. */
export function readLogs(store: Store, record: ContainerRecord): LogEntry[] {
  const dir = containerDir(store, record.id);
  const names = [LOG_NAME];
  for (let index = 1; index < MAX_LOG_FILES && statSync(join(dir, `${LOG_NAME}.${index}`), { throwIfNoEntry: false }) !== undefined; index++) names.unshift(`${LOG_NAME}.${index}`);
  const entries: LogEntry[] = [];
  for (const name of names) {
    // Not there (yet), or renamed away by a rotation between two reads: nothing to show from it.
    for (const line of (readRunFile(join(dir, name)) ?? '').split('\n')) {
      const entry = parseLine(Buffer.from(line));
      if (entry !== undefined) entries.push(entry);
    }
  }
  return entries;
}

interface OpenLogFile {
  fd: number;
  /** Identity of the file: it keeps it across renames, so a rotation is seen as a new name for a known file. */
  dev: number;
  ino: number;
  /** How far it has been read. */
  offset: number;
}

/**
 * Reads a container's json-file log by file offset, across rotations, nothing lost
 * and nothing read twice. Every log file it has seen stays open until it is read
 * to its end: a rotation renames ctr.log to ctr.log.1 (and the oldest file is
 * deleted), but an open descriptor still reads the file, so a follower that is
 * behind loses nothing it has opened. Files are opened as soon as they appear
 * (`discover`, called before every read and on every change of the directory),
 * so a line is lost only if the monitor writes and rotates away a whole file
 * in between. The monitor closes a file before it renames it and creates the
 * next (burrow-monitor.c: rotate_log), so a file with a newer one after it is
 * complete once read to its end.
 */
export class LogReader {
  /** Open files, oldest first; the last one is the one being written. */
  private readonly files: OpenLogFile[] = [];
  /**
   * Files read to their end that are still in the directory (as ctr.log.N): kept
   * open so that they are not taken for new ones, and so that their inode number
   * cannot go to a new file while they are remembered by it.
   */
  private finished: OpenLogFile[] = [];
  /** Bytes of a line whose end is not written yet (of files[0]). */
  private partial: Buffer = Buffer.alloc(0);
  private readonly buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private closed = false;

  constructor(private readonly dir: string) {
    this.discover();
  }

  /**
   * Opens the log files it does not know yet. A file it has not seen was created
   * after every file it has (the monitor creates only ctr.log, and each file was
   * ctr.log first), and among new ones a higher rotation number is older. Names
   * are looked at from ctr.log upwards: a file renamed during the look is seen
   * twice (kept once), never missed.
   */
  discover(): void {
    if (this.closed) return;
    const found: OpenLogFile[] = [];
    const present: Array<{ dev: number; ino: number }> = [];
    for (let index = 0, missing = 0; index < MAX_LOG_FILES && missing < 2; index++) {
      const path = join(this.dir, index === 0 ? LOG_NAME : `${LOG_NAME}.${index}`);
      const seen = statSync(path, { throwIfNoEntry: false });
      // A rotation in progress leaves one name empty for a moment (burrow-monitor.c: rotate_log): two in a row is the end.
      missing = seen === undefined ? missing + 1 : 0;
      if (seen === undefined) continue;
      present.push({ dev: seen.dev, ino: seen.ino });
      if (this.known(seen.dev, seen.ino, found)) continue;
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch {
        continue; // rotated away (deleted) in between: not there to read
      }
      const opened = fstatSync(fd);
      if (this.known(opened.dev, opened.ino, found)) {
        closeSync(fd);
        continue;
      }
      found.push({ fd, dev: opened.dev, ino: opened.ino, offset: 0 });
    }
    this.files.push(...found.reverse());
    // A finished file no longer in the directory has been rotated out of it for good.
    this.finished = this.finished.filter((file) => {
      if (present.some((seen) => seen.dev === file.dev && seen.ino === file.ino)) return true;
      closeSync(file.fd);
      return false;
    });
  }

  /**
   * Opens new log files the moment the directory changes, not when the reader gets
   * to them: a reader held up (a slow client) still has every file it must read,
   * as long as it is less than max-file - 1 files behind. Returns what stops it.
   */
  watch(onChange: () => void): () => void {
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(this.dir, { persistent: false }, () => {
        this.discover();
        onChange();
      });
      // The directory removed (rm) while followed: the open files stay readable.
      watcher.on('error', () => watcher?.close());
    } catch {
      // No inotify watch to be had (the per-user limit): the look before each read does.
    }
    return () => watcher?.close();
  }

  private known(dev: number, ino: number, found: OpenLogFile[]): boolean {
    return [...this.files, ...this.finished, ...found].some((file) => file.dev === dev && file.ino === ino);
  }

  /**
   * The next entries written (at most a chunk's worth), or an empty list when
   * everything written so far has been read.
   */
  read(): LogEntry[] {
    this.discover();
    for (;;) {
      const file = this.files[0];
      if (file === undefined) return [];
      const count = readSync(file.fd, this.buffer, 0, CHUNK_BYTES, file.offset);
      if (count > 0) {
        file.offset += count;
        const entries = this.split(this.buffer.subarray(0, count));
        if (entries.length > 0 || this.files.length === 1) return entries;
        continue;
      }
      if (this.files.length === 1) {
        // A rotation since the look above would leave the newest lines in a file not opened yet.
        this.discover();
        if (this.files.length === 1) return [];
        continue;
      }
      // Read to its end, and a newer file exists: the monitor is done with it.
      const last = parseLine(this.partial);
      this.partial = Buffer.alloc(0);
      this.finished.push(file);
      this.files.shift();
      if (last !== undefined) return [last];
    }
  }

  private split(chunk: Buffer): LogEntry[] {
    const entries: LogEntry[] = [];
    let data = this.partial.length > 0 ? Buffer.concat([this.partial, chunk]) : chunk;
    for (let newline = data.indexOf(10); newline >= 0; newline = data.indexOf(10)) {
      const entry = parseLine(data.subarray(0, newline));
      if (entry !== undefined) entries.push(entry);
      data = data.subarray(newline + 1);
    }
    // Copied out of the shared read buffer; a run this long without a newline is no entry.
    this.partial = data.length > MAX_LINE_BYTES ? Buffer.alloc(0) : Buffer.from(data);
    return entries;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const file of [...this.files.splice(0), ...this.finished.splice(0)]) closeSync(file.fd);
  }
}

/**
 * Resolves after `ms`, or sooner when the directory changes (the monitor wrote a
 * line, rotated, or recorded the exit) or the signal fires.
 */
function changeOrTimeout(wake: { notify?: (() => void) | undefined }, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      wake.notify = undefined;
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    wake.notify = done;
  });
}

/**
 * Hands `reader`'s entries to `emit` as they are written, until the container is no
 * longer running (it is read to its end after it stops, so its final lines come
 * too), the signal fires or the clock passes `stopAtMs`. Returns how many entries
 * it handed over. New files are opened as soon as the directory changes, not
 * only when this loop gets to them, so a rotation while `emit` waits loses nothing.
 */
async function follow(store: Store, record: ContainerRecord, reader: LogReader, emit: LogSink, signal: AbortSignal | undefined, stopAtMs: number): Promise<number> {
  const wake: { notify?: (() => void) | undefined } = {};
  const unwatch = reader.watch(() => wake.notify?.());
  let count = 0;
  try {
    for (;;) {
      const running = containerState(store, record).status === 'running';
      for (let entries = reader.read(); entries.length > 0; entries = reader.read()) {
        count += entries.length;
        await emit(entries);
        if (signal?.aborted === true) return count;
      }
      if (!running || signal?.aborted === true || Date.now() > stopAtMs) return count;
      await changeOrTimeout(wake, IDLE_POLL_MS, signal);
    }
  } finally {
    unwatch();
  }
}

/**
 * Hands over log entries from the `from`th on as they are written, until the
 * container is no longer running (its final lines come too), the signal fires or
 * the clock passes `stopAtMs`. Returns how many entries the log held by then.
 */
export async function followLogs(store: Store, record: ContainerRecord, from: number, emit: LogSink, signal?: AbortSignal, stopAtMs = Infinity): Promise<number> {
  const reader = new LogReader(containerDir(store, record.id));
  try {
    let skipped = 0;
    const count = await follow(store, record, reader, async (entries) => {
      const skip = Math.min(entries.length, Math.max(0, from - skipped));
      skipped += skip;
      if (skip < entries.length) await emit(entries.slice(skip));
    }, signal, stopAtMs);
    return count;
  } finally {
    reader.close();
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
 * option is checked before anything is read. The log is streamed a chunk at a
 * time (only the tail's entries are held), and a follow goes on from the very
 * offset the first read stopped at.
 */
export async function containerLogs(store: Store, query: string, options: LogOptions, emit: LogSink): Promise<void> {
  const since = timeBound(options.since, 'since', -Infinity);
  const until = timeBound(options.until, 'until', Infinity);
  const tail = tailCount(options.tail);
  const record = findContainer(store, query);
  if (record.logDriver === 'none') throw new BurrowError('INVALID_ARGUMENT', `configured logging driver does not support reading: container ${record.name} was made with --log-driver none`);
  const inRange = (entries: LogEntry[]): LogEntry[] => entries.filter((entry) => {
    const at = Date.parse(entry.time);
    return !(at < since) && !(at > until);
  });
  const reader = new LogReader(containerDir(store, record.id));
  try {
    // What the log holds now: streamed through, or only its last `tail` entries kept.
    let last: LogEntry[] = [];
    for (let entries = reader.read(); entries.length > 0; entries = reader.read()) {
      if (tail === undefined) {
        const shown = inRange(entries);
        if (shown.length > 0) await emit(shown);
      } else if (tail > 0) {
        last.push(...entries);
        if (last.length > 2 * tail + 1024) last = last.slice(-tail);
      }
      if (options.signal?.aborted === true) return;
    }
    if (tail !== undefined) {
      const shown = inRange(last.slice(Math.max(0, last.length - tail)));
      if (shown.length > 0) await emit(shown);
    }
    if (options.follow === true) {
      await follow(store, record, reader, async (more) => {
        const shown = inRange(more);
        if (shown.length > 0) await emit(shown);
      }, options.signal, until);
    }
  } finally {
    reader.close();
  }
}

/** The container's log entries now, filtered as `containerLogs` does (no follow). */
export async function readContainerLogs(store: Store, query: string, options: Omit<LogOptions, 'follow' | 'signal'> = {}): Promise<LogEntry[]> {
  const collected: LogEntry[] = [];
  await containerLogs(store, query, options, (entries) => { collected.push(...entries); });
  return collected;
}
