import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { preloadLibc } from '../../src/util/libc.js';
import { startLight } from '../../src/util/spawn.js';
import { until } from '../helpers/poll.js';

/**
 * util/posix-spawn.ts through startLight (koffi loaded): the child gets what Node
 * gives its children (default signal dispositions, an empty mask, only the
 * descriptors asked for), its output and exit status come back, and a command that
 * is not there is an error naming it, as with Node's spawn.
 */
preloadLibc();

function text(stream: Readable | null | undefined): Promise<string> {
  return new Promise((resolve) => {
    let seen = '';
    stream!.on('data', (chunk: Buffer) => { seen += chunk.toString(); });
    stream!.on('close', () => resolve(seen));
  });
}

describe('startLight (posix_spawn)', () => {
  it('gives the child every signal at its default, none blocked, even those this process ignores (SIGPIPE, glibc\'s own 32 and 33)', async () => {
    // Node ignores SIGPIPE: an ignored signal would outlive exec.
    expect(readFileSync('/proc/self/status', 'utf8')).toMatch(/^SigIgn:\s*0*[1-9a-f]/m);
    const { finished } = startLight('sh', ['-c', 'grep -E "^Sig(Ign|Blk)" /proc/self/status'], ['ignore', 'pipe', 'pipe']);
    const result = await finished;
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it('feeds stdin, reads stdout, stderr and a fourth descriptor, and returns the exit status', async () => {
    const { child, finished } = startLight('sh', ['-c', 'cat; echo err >&2; echo three >&3; exit 7'], ['pipe', 'pipe', 'pipe', 'pipe']);
    const third = text(child.stdio[3] as Readable);
    child.stdin!.end('from the parent\n');
    const result = await finished;
    expect(result).toMatchObject({ exitCode: 7, signal: null, stdout: 'from the parent\n', stderr: 'err\n' });
    expect(await third).toBe('three\n');
  });

  it('reports a death by signal, and kill() reaches the child', async () => {
    const { child, finished } = startLight('sleep', ['30'], ['ignore', 'ignore', 'ignore']);
    expect(child.kill('SIGTERM')).toBe(true);
    expect(await finished).toMatchObject({ exitCode: null, signal: 'SIGTERM' });
    expect(child.kill('SIGTERM')).toBe(false);
  });

  it('passes only the descriptors asked for: an open file of this process is not the child\'s', async () => {
    const fd = openSync(join(tmpdir(), `posix-spawn-${process.pid}`), 'w');
    try {
      const { finished } = startLight('sh', ['-c', `[ -e /proc/self/fd/${fd} ] && echo leaked || echo closed`], ['ignore', 'pipe', 'ignore']);
      expect((await finished).stdout).toBe('closed\n');
      const passed = startLight('sh', ['-c', 'echo to-the-file >&1'], ['ignore', fd, 'ignore']);
      expect((await passed.finished).exitCode).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(join(tmpdir(), `posix-spawn-${process.pid}`), 'utf8')).toBe('to-the-file\n');
  });

  it('with ownGroup: a session of its own, and what the child left running in it is killed when it exits', async () => {
    const { finished } = startLight('sh', ['-c', 'sleep 30 & echo "$!"; ps -o sid= -p $$'], ['ignore', 'pipe', 'ignore'], { ownGroup: true });
    const result = await finished;
    const [orphan, sid] = result.stdout.trim().split('\n').map((line) => Number(line.trim()));
    // Fields after the command name: state, ppid, pgrp, session.
    const ownSession = Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ')[3]);
    expect(sid).toBeGreaterThan(0);
    expect(sid).not.toBe(ownSession);
    // The group's SIGKILL is sent as the child is reaped: the sleep dies (gone, or a zombie of init's till it reaps it).
    const state = (): string => { try { return readFileSync(`/proc/${orphan}/stat`, 'utf8').split(') ')[1]![0]!; } catch { return 'gone'; } };
    await until(() => ['gone', 'Z'].includes(state()), 5_000, 'the orphaned sleep to die');
  });

  it('a command that is not there: an error naming it, as Node\'s spawn gives (ENOENT)', async () => {
    const result = await startLight('burrow-no-such-program', [], ['ignore', 'pipe', 'pipe']).finished;
    expect(result.error?.code).toBe('ENOENT');
    expect(result.error?.message).toMatch(/burrow-no-such-program/);
  });
});
