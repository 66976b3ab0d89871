import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecord, type ContainerRecord } from '../../src/container/record.js';
import { containerState } from '../../src/container/state.js';
import type { Store } from '../../src/store/store.js';
import { until } from '../helpers/poll.js';

/**
 * Issue 13: every state file is replaced whole, and a reader never sees half of
 * one. A writer in another process (burrow's own code, as built: build/) replaces a
 * container's files as fast as it can while this process reads them through the
 * library's readers, until it has seen the file change hands many times.
 */
const BUILD = fileURLToPath(new URL('../../build/', import.meta.url));
const ID = 'c'.repeat(64);
/** Large enough that a write is several system calls: a torn read would show. */
const PADDING = 'x'.repeat(64 * 1024);

let dir: string;
let writer: ChildProcess | undefined;

afterEach(() => {
  writer?.kill('SIGKILL');
  writer = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function storeIn(root: string): Store {
  return { root, paths: { root, containers: join(root, 'containers') } } as unknown as Store;
}

function record(version: string): ContainerRecord {
  return {
    id: ID,
    name: 'hammered',
    image: { id: 'sha256:0', name: 'busybox' },
    created: '2026-12-02T00:00:00.000Z',
    labels: { version, padding: PADDING },
    autoRemove: true,
    restart: 'no',
    stopSignal: 'SIGTERM',
    tty: false,
    plan: { network: { mode: 'none' }, security: { seccomp: { kind: 'unconfined' }, privileged: false } },
  } as unknown as ContainerRecord;
}

/**
 * Starts a process that replaces `file` in the container's directory with `a`, then
 * `b`, then `a`… until killed: through burrow's writeFileAtomic, or (`inPlace`, the
 * control) truncated and rewritten 4 KB at a time, as a naive writer would.
 */
function startWriter(root: string, file: string, a: string, b: string, inPlace = false): ChildProcess {
  // The two versions go by file: together they exceed what one argument may hold.
  writeFileSync(join(root, 'version-a'), a);
  writeFileSync(join(root, 'version-b'), b);
  const script = `
    import { openSync, readFileSync, writeSync, closeSync } from 'node:fs';
    import { join } from 'node:path';
    const { writeFileAtomic } = await import(${JSON.stringify(join(BUILD, 'store', 'atomic.js'))});
    const [root, file, mode] = process.argv.slice(1);
    const path = join(root, 'containers', ${JSON.stringify(ID)}, file);
    const versions = [readFileSync(join(root, 'version-a'), 'utf8'), readFileSync(join(root, 'version-b'), 'utf8')];
    for (let i = 0; ; i += 1) {
      const text = versions[i % 2];
      if (mode === 'atomic') { writeFileAtomic(path, text, 0o644, { durable: false }); continue; }
      const fd = openSync(path, 'w');
      for (let at = 0; at < text.length; at += 4096) writeSync(fd, text.slice(at, at + 4096));
      closeSync(fd);
    }`;
  return spawn(process.execPath, ['--input-type=module', '-e', script, root, file, inPlace ? 'in-place' : 'atomic'], { stdio: 'ignore' });
}

/** Reads with `read` until `changes` changes of hands were seen; counts reads that were neither version. */
async function hammer<T>(read: () => T, versionOf: (value: T) => string | undefined, changes: number): Promise<{ reads: number; changes: number; torn: number }> {
  let reads = 0;
  let seen = 0;
  let torn = 0;
  let last: string | undefined;
  while (seen < changes) {
    const version = versionOf(read());
    reads += 1;
    if (version === undefined) torn += 1;
    else {
      if (last !== undefined && version !== last) seen += 1;
      last = version;
    }
    // Let the event loop breathe (the writer is another process: no need to yield to it).
    if (reads % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  return { reads, changes: seen, torn };
}

describe('state files under a concurrent writer', () => {
  it('readRecord sees the old record or the new one, never a part, while another process replaces container.json 200 times', async () => {
    dir = mkdtempSync(join(tmpdir(), 'burrow-atomic-'));
    mkdirSync(join(dir, 'containers', ID), { recursive: true });
    const store = storeIn(dir);
    writer = startWriter(dir, 'container.json', `${JSON.stringify(record('a'))}\n`, `${JSON.stringify(record('b'))}\n`);
    await until(() => existsSync(join(dir, 'containers', ID, 'container.json')), 15_000, 'the writer\'s first record');
    const result = await hammer(() => readRecord(store, ID), (found) => found?.labels.version, 200);
    expect(result.torn).toBe(0);
    expect(result.changes).toBe(200);
  });

  it('containerState reads a replaced exit file as one exit status or the other, never as no exit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'burrow-atomic-'));
    mkdirSync(join(dir, 'containers', ID), { recursive: true });
    const store = storeIn(dir);
    const exit = (code: number): string => JSON.stringify({ exitCode: code, finishedAt: '2026-12-02T00:00:00.000Z', padding: PADDING });
    writer = startWriter(dir, 'exit', exit(3), exit(4));
    await until(() => existsSync(join(dir, 'containers', ID, 'exit')), 15_000, 'the writer\'s first exit file');
    const result = await hammer(() => containerState(store, record('a')), (state) => (state.status === 'exited' && (state.exitCode === 3 || state.exitCode === 4) ? String(state.exitCode) : undefined), 200);
    expect(result.torn).toBe(0);
    expect(result.changes).toBe(200);
  });

  it('the same hammer catches a writer that rewrites the file in place (the control: the check can fail)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'burrow-atomic-'));
    mkdirSync(join(dir, 'containers', ID), { recursive: true });
    const store = storeIn(dir);
    writer = startWriter(dir, 'container.json', `${JSON.stringify(record('a'))}\n`, `${JSON.stringify(record('b'))}\n`, true);
    await until(() => existsSync(join(dir, 'containers', ID, 'container.json')), 15_000, 'the writer\'s first record');
    // Until the first torn read: the writer in place leaves the file empty or half written between its calls.
    let torn = 0;
    while (torn === 0) {
      const result = await hammer(() => readRecord(store, ID), (found) => found?.labels.version, 20);
      torn += result.torn;
    }
    expect(torn).toBeGreaterThan(0);
  });
});
