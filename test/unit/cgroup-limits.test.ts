import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyLimits, createContainerCgroup, entryArgv, resolveLimits, CGEXEC_BINARY, type CgroupHost } from '../../src/cgroup/index.js';
import { sharesToWeight, v1Writes, v2Writes, weightToShares } from '../../src/cgroup/limits-files.js';
import { BurrowError } from '../../src/errors.js';
import { cgroupDir, v2Files } from './cgroup-sim.js';

const MiB = 1024 * 1024;
let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'burrow-cglimits-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const read = (path: string): string => readFileSync(path, 'utf8');
const files = (writes: Array<{ file: string; value: string }>): string[] => writes.map((write) => `${write.file}=${write.value}`);

describe('limits as cgroup files (simulation)', () => {
  it('v2: memory, Docker\'s swap default and its -1, reservation, cpus, shares, cpuset, pids, io', () => {
    expect(files(v2Writes({ memory: 64 * MiB }))).toEqual([`memory.max=${64 * MiB}`, `memory.swap.max=${64 * MiB}`]);
    expect(files(v2Writes({ memory: 64 * MiB, memorySwap: 100 * MiB }))).toEqual([`memory.max=${64 * MiB}`, `memory.swap.max=${36 * MiB}`]);
    expect(files(v2Writes({ memory: 64 * MiB, memorySwap: -1 }))).toEqual([`memory.max=${64 * MiB}`, 'memory.swap.max=max']);
    expect(files(v2Writes({ memoryReservation: 32 * MiB, nanoCpus: 0.5e9, cpuShares: 1024, cpusetCpus: '0-1', pidsLimit: 64, ioWeight: 500 }))).toEqual([
      `memory.low=${32 * MiB}`, 'cpu.max=50000 100000', 'cpu.weight=39', 'cpuset.cpus=0-1', 'pids.max=64', 'io.weight=default 4950',
    ]);
    expect(files(v2Writes({ pidsLimit: -1 }))).toEqual(['pids.max=max']);
    expect(files(v2Writes({ pidsLimit: 0 }))).toEqual(['pids.max=max']);
    expect(files(v2Writes({ nanoCpus: 1.5e9, cpuWeight: 300 }))).toEqual(['cpu.max=150000 100000', 'cpu.weight=300']);
    expect(files(v2Writes({ ioWeight: 500 }, true))).toEqual(['io.bfq.weight=500']);
  });

  it('runc\'s shares↔weight conversion at its ends', () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(262144)).toBe(10000);
    expect(weightToShares(1)).toBe(2);
    expect(weightToShares(10000)).toBe(262144);
  });

  it('v1: memsw before the limit when raising, after it when lowering; none without swap accounting', () => {
    const state = { swapAccounting: true, currentMemory: 64 * MiB, blkioWeightFile: 'blkio.weight' };
    expect(files(v1Writes({ memory: 256 * MiB }, state))).toEqual([`memory.memsw.limit_in_bytes=${512 * MiB}`, `memory.limit_in_bytes=${256 * MiB}`]);
    expect(files(v1Writes({ memory: 16 * MiB }, state))).toEqual([`memory.limit_in_bytes=${16 * MiB}`, `memory.memsw.limit_in_bytes=${32 * MiB}`]);
    expect(files(v1Writes({ memory: 16 * MiB }, { ...state, currentMemory: Infinity }))).toEqual([`memory.limit_in_bytes=${16 * MiB}`, `memory.memsw.limit_in_bytes=${32 * MiB}`]);
    expect(files(v1Writes({ memory: 16 * MiB, memorySwap: -1 }, state))).toEqual(['memory.memsw.limit_in_bytes=-1', `memory.limit_in_bytes=${16 * MiB}`]);
    expect(files(v1Writes({ memory: 16 * MiB }, { ...state, swapAccounting: false }))).toEqual([`memory.limit_in_bytes=${16 * MiB}`]);
    expect(files(v1Writes({ nanoCpus: 0.5e9, cpuWeight: 100, pidsLimit: -1, ioWeight: 300, cpusetCpus: '1' }, { ...state, blkioWeightFile: 'blkio.bfq.weight' }))).toEqual([
      'cpu.cfs_period_us=100000', 'cpu.cfs_quota_us=50000', `cpu.shares=${weightToShares(100)}`, 'cpuset.cpus=1', 'pids.max=max', 'blkio.bfq.weight=300',
    ]);
  });
});

describe('resolveLimits', () => {
  const v1: CgroupHost = { route: 'delegated-v1', controllers: ['memory', 'pids', 'freezer'], reason: 'test', swapLimit: false };
  const none: CgroupHost = { route: 'none', controllers: [], reason: 'test' };
  const normal = { disabled: false, ignoreMissing: false };
  const message = (run: () => unknown): string => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(BurrowError);
      return (error as Error).message;
    }
    throw new Error('no error');
  };

  it('a limit the host cannot enforce is a one-line error pointing at burrow doctor', () => {
    expect(message(() => resolveLimits(none, { memory: 64 * MiB }, normal))).toBe("--memory needs a delegated cgroup: run 'burrow doctor' (or --ignore-missing-limits to run without it)");
    expect(message(() => resolveLimits(v1, { nanoCpus: 1e9 }, normal))).toMatch(/^--cpus needs the cpu controller delegated: run 'burrow doctor'/);
    expect(message(() => resolveLimits(v1, { memory: 64 * MiB, memorySwap: 128 * MiB }, normal))).toMatch(/^--memory-swap needs swap accounting/);
  });

  it('with --ignore-missing-limits the missing ones are named, the rest enforced, pids defaulted where delegated', () => {
    expect(resolveLimits(v1, { memory: 64 * MiB, nanoCpus: 1e9, cpusetCpus: '0' }, { disabled: false, ignoreMissing: true })).toEqual({
      cgroup: true, limits: { memory: 64 * MiB, pidsLimit: 2048 }, notEnforced: ['--cpus', '--cpuset-cpus'],
    });
    expect(resolveLimits(none, { pidsLimit: 10 }, { disabled: false, ignoreMissing: true })).toEqual({ cgroup: false, limits: {}, notEnforced: ['--pids-limit'] });
  });

  it('the default pids limit only where pids is delegated, never over an asked one (-1: unlimited)', () => {
    expect(resolveLimits(v1, {}, normal).limits).toEqual({ pidsLimit: 2048 });
    expect(resolveLimits(v1, { pidsLimit: -1 }, normal).limits).toEqual({ pidsLimit: -1 });
    expect(resolveLimits(none, {}, normal)).toEqual({ cgroup: false, limits: {}, notEnforced: [] });
  });

  it('--cgroups=disabled: no cgroup, and a limit with it is an error; Docker\'s value checks', () => {
    expect(resolveLimits(v1, {}, { disabled: true, ignoreMissing: false })).toEqual({ cgroup: false, limits: {}, notEnforced: [] });
    expect(message(() => resolveLimits(v1, { pidsLimit: 5 }, { disabled: true, ignoreMissing: false }))).toBe('--pids-limit cannot be enforced with --cgroups=disabled');
    expect(message(() => resolveLimits(v1, { memorySwap: 5 * MiB }, normal))).toMatch(/needs --memory/);
    expect(message(() => resolveLimits(v1, { memory: 64 * MiB, memorySwap: 32 * MiB }, normal))).toMatch(/at least --memory/);
    expect(message(() => resolveLimits(v1, { cpuShares: 512, cpuWeight: 50 }, normal))).toMatch(/give one/);
  });
});

describe('container cgroups on simulated trees', () => {
  it('v2: the delegated cgroup\'s processes go to the leaf, controllers are enabled, the container gets its files', async () => {
    const parent = cgroupDir(join(base, 'job.scope'), { ...v2Files('memory pids cpu'), 'cgroup.procs': '4242\n' });
    const host: CgroupHost = { route: 'delegated-v2', controllers: ['memory', 'pids', 'cpu', 'freezer'], reason: 'test', v2Parent: parent };
    const id = '0123456789abcdef0123';
    mkdirSync(join(parent, 'burrow-0123456789ab'));
    for (const file of ['memory.max', 'memory.swap.max', 'pids.max', 'cpu.max']) writeFileSync(join(parent, 'burrow-0123456789ab', file), 'max\n');
    const cgroup = await createContainerCgroup(host, id, { memory: 64 * MiB, pidsLimit: 64, nanoCpus: 0.5e9 });
    const dir = join(parent, 'burrow-0123456789ab');
    expect(cgroup).toEqual({ route: 'delegated-v2', dirs: { v2: dir }, controllers: host.controllers });
    expect(read(join(parent, 'burrow-leaf/cgroup.procs'))).toBe('4242');
    expect(read(join(parent, 'cgroup.subtree_control'))).toBe('+memory +pids +cpu');
    expect([read(join(dir, 'memory.max')), read(join(dir, 'memory.swap.max')), read(join(dir, 'pids.max')), read(join(dir, 'cpu.max'))]).toEqual([
      String(64 * MiB), String(64 * MiB), '64', '50000 100000',
    ]);
    expect(entryArgv(cgroup!)).toEqual([CGEXEC_BINARY, '--procs', join(dir, 'cgroup.procs'), '--']);
    applyLimits(cgroup!, { pidsLimit: 128 });
    expect(read(join(dir, 'pids.max'))).toBe('128');
  });

  it('v2: a value the kernel refuses is a one-line error naming the flag, and the half-made cgroup goes', async () => {
    const parent = cgroupDir(join(base, 'job.scope'), v2Files('cpuset'));
    writeFileSync(join(parent, 'cgroup.subtree_control'), 'cpuset\n');
    const host: CgroupHost = { route: 'delegated-v2', controllers: ['cpuset'], reason: 'test', v2Parent: parent };
    mkdirSync(join(parent, 'burrow-0123456789ab/cpuset.cpus'), { recursive: true }); // a write that fails (EISDIR)
    const error = await createContainerCgroup(host, '0123456789abcdef', { cpusetCpus: '7' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BurrowError);
    expect((error as Error).message).toMatch(/^--cpuset-cpus: cannot write 7 to .*cpuset\.cpus: /);
  });

  it('v1: one <id12> per subtree the limits need, cpuset.mems copied from the parent, limits in v1 spelling, argv enters all', async () => {
    const subtrees: Record<string, string> = {};
    for (const name of ['memory', 'pids', 'cpuset', 'freezer']) subtrees[name] = cgroupDir(join(base, name, 'burrow-1001'));
    writeFileSync(join(subtrees.cpuset!, 'cpuset.cpus'), '0-1\n');
    writeFileSync(join(subtrees.cpuset!, 'cpuset.mems'), '0\n');
    cgroupDir(join(subtrees.cpuset!, 'abcdefabcdef'), { 'cpuset.cpus': '\n', 'cpuset.mems': '\n' });
    cgroupDir(join(subtrees.memory!, 'abcdefabcdef'), { 'memory.memsw.limit_in_bytes': '' }); // swapaccount=1
    const host: CgroupHost = { route: 'delegated-v1', controllers: ['memory', 'pids', 'cpuset', 'freezer'], reason: 'test', v1Subtrees: subtrees };
    const cgroup = await createContainerCgroup(host, 'abcdefabcdef99', { memory: 64 * MiB, pidsLimit: 64, cpusetCpus: '1' });
    const dirs = Object.fromEntries(Object.entries(subtrees).map(([name, dir]) => [name, join(dir, 'abcdefabcdef')]));
    expect(cgroup).toEqual({ route: 'delegated-v1', dirs: { v1: dirs }, controllers: host.controllers });
    expect(read(join(dirs.cpuset!, 'cpuset.cpus'))).toBe('1');
    expect(read(join(dirs.cpuset!, 'cpuset.mems'))).toBe('0');
    expect(read(join(dirs.memory!, 'memory.limit_in_bytes'))).toBe(String(64 * MiB));
    expect(read(join(dirs.memory!, 'memory.memsw.limit_in_bytes'))).toBe(String(128 * MiB));
    expect(read(join(dirs.pids!, 'pids.max'))).toBe('64');
    expect(entryArgv(cgroup!)).toEqual([CGEXEC_BINARY, ...['memory', 'pids', 'freezer', 'cpuset'].map((name) => dirs[name]!).flatMap((dir) => ['--procs', join(dir, 'cgroup.procs')]), '--']);
    expect(existsSync(join(dirs.freezer!))).toBe(true);
  });

  it('v1: without a cpu, cpuset or blkio limit the container stays out of those hierarchies (each move costs the start); update brings one in (simulation)', async () => {
    const subtrees: Record<string, string> = {};
    for (const name of ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'blkio']) subtrees[name] = cgroupDir(join(base, name, 'burrow-1001'));
    const host: CgroupHost = { route: 'delegated-v1', controllers: ['memory', 'pids', 'cpu', 'cpuset', 'freezer'], reason: 'test', v1Subtrees: subtrees };
    const id = 'fedcbafedcba00';
    cgroupDir(join(subtrees.cpu!, 'fedcbafedcba'), { 'cpu.cfs_quota_us': '-1', 'cpu.cfs_period_us': '100000' });
    const cgroup = await createContainerCgroup(host, id, { pidsLimit: 2048 });
    expect(Object.keys((cgroup!.dirs as { v1: Record<string, string> }).v1).sort()).toEqual(['cpuacct', 'freezer', 'memory', 'pids']);
    writeFileSync(join(subtrees.pids!, 'fedcbafedcba', 'cgroup.procs'), '4242\n');
    const updated = applyLimits(cgroup!, { pidsLimit: 2048, nanoCpus: 5e8 }, id, () => host);
    const cpuDir = join(subtrees.cpu!, 'fedcbafedcba');
    expect((updated.dirs as { v1: Record<string, string> }).v1.cpu).toBe(cpuDir);
    expect(read(join(cpuDir, 'cpu.cfs_quota_us'))).toBe('50000');
    // The container's process was moved in (a plain file here keeps what was written last).
    expect(read(join(cpuDir, 'cgroup.procs'))).toBe('4242');
  });

  it('systemd-user: the argv asks the user manager for the holding unit\'s sub-cgroup', () => {
    expect(entryArgv({ route: 'systemd-user', dirs: { v2: '/cg/burrow-aaaaaaaaaaaa' }, controllers: [], systemd: { unit: 'burrow-holder.service', subPath: '/burrow-aaaaaaaaaaaa' } })).toEqual([
      CGEXEC_BINARY, '--systemd', 'burrow-holder.service', '/burrow-aaaaaaaaaaaa', '--procs', '/cg/burrow-aaaaaaaaaaaa/cgroup.procs', '--',
    ]);
  });
});
