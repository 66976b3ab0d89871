import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogReader, type LogEntry } from '../../src/container/logs.js';

// The real writer: build/native/burrow-monitor, running a host command in place of
// a container's launcher (what it does with the output does not depend on which).
const MONITOR = join(import.meta.dirname, '../../build/native/burrow-monitor');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Starts the monitor on `script` (it detaches at once) with a small rotation size. */
function monitor(script: string, maxSize: number, maxFiles = 2): string {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-logreader-'));
  dirs.push(dir);
  const started = spawnSync(MONITOR, [dir, '--log-max-size', String(maxSize), '--log-max-files', String(maxFiles), '--', 'sh', '-c', script], { stdio: 'ignore' });
  expect(started.status).toBe(0);
  return dir;
}

/** Reads the log as `logs -f` does, `pause` between reads, until the monitor has recorded the job's end and everything is read. */
async function followToEnd(dir: string, pause: () => Promise<void>): Promise<LogEntry[]> {
  const reader = new LogReader(dir);
  const unwatch = reader.watch(() => undefined);
  const entries: LogEntry[] = [];
  try {
    for (;;) {
      const ended = existsSync(join(dir, 'exit'));
      for (let more = reader.read(); more.length > 0; more = reader.read()) {
        entries.push(...more);
        await pause();
      }
      if (ended) return entries;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    unwatch();
    reader.close();
  }
}

/** Lines in ctr.log now. */
const readLines = (dir: string): number => (existsSync(join(dir, 'ctr.log')) ? readFileSync(join(dir, 'ctr.log'), 'utf8').split('\n').length - 1 : 0);
const numbered = (entries: LogEntry[]): number[] => entries.map((entry) => Number(entry.log));
const oneTo = (n: number): number[] => Array.from({ length: n }, (_, index) => index + 1);

describe('LogReader (the offset follower of `logs -f`)', () => {
  it('follows the monitor across many rotations: every numbered line once, in order', async () => {
    // About 15 MB of json at full speed, 1 MiB files, 10 kept: the reader opens each file as it appears.
    const dir = monitor('seq 1 200000', 1024 * 1024, 10);
    const entries = await followToEnd(dir, () => Promise.resolve());
    const got = numbered(entries);
    // Each line whole in one entry (the monitor once cut lines at its 16 KiB buffer's edge), none lost or repeated.
    expect(entries.every((entry) => entry.log.endsWith('\n'))).toBe(true);
    expect(got.length).toBe(200000);
    expect(got.every((value, index) => value === index + 1)).toBe(true);
    // It did rotate, many times: what the test is about.
    expect(readdirSync(dir)).toContain('ctr.log.9');
    expect(entries.every((entry) => entry.stream === 'stdout')).toBe(true);
  });

  it('reads a file to its end after rotation has deleted it, then the newer ones in order (it holds it open)', async () => {
    // The job writes a first batch, then waits; the reader takes one chunk of it; then the
    // job writes enough to rotate the reader's file out of existence (two files kept).
    const fifo = join(mkdtempSync(join(tmpdir(), 'burrow-logreader-go-')), 'go');
    dirs.push(dirname(fifo));
    execFileSync('mkfifo', [fifo]);
    const dir = monitor(`seq 1 2000; read go < ${fifo}; seq 2001 12000`, 256 * 1024, 2);
    for (let tries = 0; tries < 500 && readLines(dir) < 2000; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    const reader = new LogReader(dir);
    const entries = reader.read();
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.length).toBeLessThan(2000);
    const first = statSync(join(dir, 'ctr.log')).ino;
    writeFileSync(fifo, 'go\n');
    for (let tries = 0; tries < 500 && !existsSync(join(dir, 'exit')); tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    // The file being read is gone from the directory: rotated twice.
    expect([statSync(join(dir, 'ctr.log')).ino, statSync(join(dir, 'ctr.log.1')).ino]).not.toContain(first);
    for (let more = reader.read(); more.length > 0; more = reader.read()) entries.push(...more);
    reader.close();
    // The whole of the deleted file (the first batch and what followed it until its rotation),
    // then the newest lines; what rotated out before the reader saw it is lost (max-file's limit).
    const got = numbered(entries);
    expect(got.slice(0, 2001)).toEqual(oneTo(2001));
    expect(got.at(-1)).toBe(12000);
    expect(got.every((value, index) => index === 0 || value > got[index - 1]!)).toBe(true);
  });

  it('reads a log that is complete already from the oldest rotated file to the newest', async () => {
    const dir = monitor('seq 1 5000', 8 * 1024, 3);
    for (let tries = 0; !existsSync(join(dir, 'exit')) && tries < 500; tries++) await new Promise((resolve) => setTimeout(resolve, 20));
    const reader = new LogReader(dir);
    const entries: LogEntry[] = [];
    for (let more = reader.read(); more.length > 0; more = reader.read()) entries.push(...more);
    reader.close();
    // ctr.log, ctr.log.1 and ctr.log.2 are kept: the last lines, with no gap or repeat.
    expect(readdirSync(dir)).toContain('ctr.log.2');
    expect(readdirSync(dir)).not.toContain('ctr.log.3');
    const got = numbered(entries);
    expect(got.at(-1)).toBe(5000);
    expect(got.length).toBeGreaterThan(8 * 1024 * 2 / 100);
    expect(got).toEqual(oneTo(5000).slice(5000 - got.length));
  });
});
