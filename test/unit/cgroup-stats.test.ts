import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFrozen, oomKilled, readStats, removeContainerCgroup, removeOrphanCgroups, setFrozen, type ContainerCgroup } from '../../src/cgroup/index.js';
import { BurrowError } from '../../src/errors.js';
import { cgroupDir } from './cgroup-sim.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'burrow-cgstats-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const v2 = (files: Record<string, string>): ContainerCgroup & { dirs: { v2: string } } => ({ route: 'delegated-v2', dirs: { v2: cgroupDir(join(base, 'burrow-aaaaaaaaaaaa'), files) }, controllers: ['memory', 'pids', 'cpu', 'freezer'] });

describe('stats, OOM and the freezer from cgroup files (simulation)', () => {
  it('v2: memory less inactive file cache, peak, limit, cpu.stat usage, pids, io.stat', () => {
    const cgroup = v2({
      'memory.current': '10485760\n', 'memory.stat': 'anon 1\ninactive_file 1048576\nactive_file 2\n', 'memory.peak': '20971520\n', 'memory.max': '67108864\n',
      'cpu.stat': 'usage_usec 1500000\nuser_usec 1000000\n', 'pids.current': '3\n', 'pids.max': 'max\n',
      'io.stat': '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n8:16 rbytes=1 wbytes=2 rios=1 wios=1 dbytes=0 dios=0\n',
      'memory.events': 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n',
    });
    expect(readStats(cgroup)).toEqual({
      memoryBytes: 9437184, memoryPeakBytes: 20971520, memoryLimitBytes: 67108864, cpuNanos: 1_500_000_000, pids: 3, pidsLimit: undefined, blockReadBytes: 4097, blockWriteBytes: 8194,
    });
    expect(oomKilled(cgroup)).toBe(true);
    writeFileSync(join(cgroup.dirs.v2, 'memory.events'), 'max 0\noom 0\noom_kill 0\noom_group_kill 1\n');
    expect(oomKilled(cgroup)).toBe(false);
  });

  it('v1: usage, max usage, an unlimited limit as none, cpuacct.usage, pids, blkio, memory.oom_control', () => {
    const dirs = {
      memory: cgroupDir(join(base, 'memory'), {
        'memory.usage_in_bytes': '5000000\n', 'memory.max_usage_in_bytes': '6000000\n', 'memory.limit_in_bytes': '9223372036854771712\n',
        'memory.stat': 'cache 0\ntotal_inactive_file 1000000\n', 'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n',
      }),
      cpuacct: cgroupDir(join(base, 'cpuacct'), { 'cpuacct.usage': '123456789\n' }),
      pids: cgroupDir(join(base, 'pids'), { 'pids.current': '7\n', 'pids.max': '64\n' }),
      blkio: cgroupDir(join(base, 'blkio'), { 'blkio.throttle.io_service_bytes_recursive': '8:0 Read 100\n8:0 Write 200\n8:0 Sync 300\n8:0 Total 300\nTotal 300\n' }),
    };
    const cgroup: ContainerCgroup = { route: 'delegated-v1', dirs: { v1: dirs }, controllers: ['memory', 'pids'] };
    expect(readStats(cgroup)).toEqual({
      memoryBytes: 4000000, memoryPeakBytes: 6000000, memoryLimitBytes: undefined, cpuNanos: 123456789, pids: 7, pidsLimit: 64, blockReadBytes: 100, blockWriteBytes: 200,
    });
    expect(oomKilled(cgroup)).toBe(true);
  });

  it('v2 freezer: writes cgroup.freeze and waits for cgroup.events to say frozen', async () => {
    const cgroup = v2({ 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 1\nfrozen 0\n' });
    const events = join(cgroup.dirs.v2, 'cgroup.events');
    const kernel = setTimeout(() => writeFileSync(events, 'populated 1\nfrozen 1\n'), 100);
    await setFrozen(cgroup, true, 'job');
    clearTimeout(kernel);
    expect(readFileSync(join(cgroup.dirs.v2, 'cgroup.freeze'), 'utf8')).toBe('1');
    expect(isFrozen(cgroup)).toBe(true);
    writeFileSync(events, 'populated 1\nfrozen 0\n');
    await setFrozen(cgroup, false, 'job');
    expect(isFrozen(cgroup)).toBe(false);
  });

  it('v2 freezer: a cgroup that never reports frozen is an error after 2 s', async () => {
    const cgroup = v2({ 'cgroup.freeze': '0\n', 'cgroup.events': 'populated 1\nfrozen 0\n' });
    await expect(setFrozen(cgroup, true, 'job')).rejects.toThrow('job did not freeze within 2 s');
  });

  it('v1 freezer: freezer.state FROZEN / THAWED; no freezer is a one-line error', async () => {
    const freezer = cgroupDir(join(base, 'freezer'), { 'freezer.state': 'THAWED\n' });
    const cgroup: ContainerCgroup = { route: 'delegated-v1', dirs: { v1: { freezer } }, controllers: ['freezer'] };
    await setFrozen(cgroup, true, 'job');
    expect(isFrozen(cgroup)).toBe(true);
    await setFrozen(cgroup, false, 'job');
    expect(isFrozen(cgroup)).toBe(false);
    const error = await setFrozen({ route: 'delegated-v1', dirs: { v1: { pids: freezer } }, controllers: ['pids'] }, true, 'job').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BurrowError);
    expect((error as Error).message).toMatch(/^cannot pause job: it has no freezer cgroup/);
    await expect(setFrozen(undefined, false, 'job')).rejects.toThrow(/^cannot unpause job/);
    expect(isFrozen(undefined)).toBe(false);
  });
});

describe('removal (simulation: empty directories stand for empty cgroups)', () => {
  it('removes the container\'s cgroups; one that stays busy is left after about a second', async () => {
    const a = join(base, 'memory/burrow-1001/aaaaaaaaaaaa');
    const b = join(base, 'pids/burrow-1001/aaaaaaaaaaaa');
    mkdirSync(a, { recursive: true });
    mkdirSync(b, { recursive: true });
    writeFileSync(join(b, 'busy'), ''); // rmdir refuses it, as a populated cgroup
    await removeContainerCgroup({ route: 'delegated-v1', dirs: { v1: { memory: a, pids: b } }, controllers: [] });
    expect(existsSync(a)).toBe(false);
    expect(existsSync(b)).toBe(true);
    await removeContainerCgroup(undefined);
  });

  it('removes the empty cgroups of containers that are not live, and nothing else', () => {
    const parent = join(base, 'job.scope');
    for (const name of ['burrow-aaaaaaaaaaaa', 'burrow-bbbbbbbbbbbb', 'burrow-leaf', 'other', 'burrow-cccccccccccc']) mkdirSync(join(parent, name), { recursive: true });
    writeFileSync(join(parent, 'burrow-cccccccccccc', 'busy'), '');
    const subtree = join(base, 'pids/burrow-1001');
    for (const name of ['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'not-an-id']) mkdirSync(join(subtree, name), { recursive: true });
    const live = (id: string): boolean => id === 'bbbbbbbbbbbb';
    removeOrphanCgroups({ route: 'delegated-v2', controllers: [], reason: 'test', v2Parent: parent }, live);
    removeOrphanCgroups({ route: 'delegated-v1', controllers: [], reason: 'test', v1Subtrees: { pids: subtree } }, live);
    expect(['burrow-aaaaaaaaaaaa', 'burrow-bbbbbbbbbbbb', 'burrow-leaf', 'other', 'burrow-cccccccccccc'].map((name) => existsSync(join(parent, name)))).toEqual([false, true, true, true, true]);
    expect(['aaaaaaaaaaaa', 'bbbbbbbbbbbb', 'not-an-id'].map((name) => existsSync(join(subtree, name)))).toEqual([false, true, true]);
  });
});
