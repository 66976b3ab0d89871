import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { bedSubtree, cgroupDirOf, keyedValue, readCgroupFile, V1_HOST } from '../helpers/cgroup.js';
import { burrow, expectOneLineError, removeAllContainers, run, sandbox, type Sandbox } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';

/**
 * Resource limits on this machine's cgroup v1 (issue 10's route `delegated-v1`),
 * as the unprivileged test user, inside the subtree the bed delegated
 * (test/bed/cgroup-v1.sh). Every limit is checked where the kernel keeps it
 * (the container's cgroup files, read from the host) and by what the job meets.
 */
const busybox = (): string => `${bed().registries.anon}/busybox:latest`;
const delegated = V1_HOST && bedSubtree('pids') !== undefined;
if (!delegated) {
  console.log(`limits: skipped: ${V1_HOST ? 'no delegated subtree burrow-<uid> (test/bed/cgroup-v1.sh makes it when the tests start as root)' : 'not a cgroup v1 host (the cgroup v2 routes are tested in the VM: cgroup2-vm-limits.test.ts)'}`);
}
let box: Sandbox;

interface Inspected {
  State: { Status: string; Running: boolean; Paused: boolean; Pid: number; ExitCode: number; OOMKilled?: boolean };
  HostConfig: { Memory?: number; PidsLimit?: number | null; NanoCpus?: number };
}
const inspect = async (name: string): Promise<Inspected> => {
  const result = await run(box, ['inspect', name]);
  if (result.exitCode !== 0) throw new Error(`burrow inspect ${name} failed (${result.exitCode}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as Inspected[])[0]!;
};
const runDetached = async (args: string[]): Promise<string> => {
  const result = await run(box, ['run', '-d', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
};
/** The container's directory in one v1 hierarchy, from its sandbox process's /proc/PID/cgroup. */
const dirOf = async (name: string, controller: string): Promise<string> => {
  const pid = (await inspect(name)).State.Pid;
  const dir = cgroupDirOf(pid, controller);
  if (dir === undefined) throw new Error(`no ${controller} cgroup for ${name} (pid ${pid})`);
  // Inside the delegated subtree, never the test run's own cgroup.
  expect(dir.startsWith(`${bedSubtree(controller)}/`), dir).toBe(true);
  return dir;
};
/** The hierarchies every container joins; cpu, cpuset and blkio only with a limit of theirs (cgroup/delegated-v1.ts: v1HierarchiesFor). */
const ALWAYS = ['memory', 'pids', 'freezer', 'cpuacct'] as const;
const dirsOf = async (name: string): Promise<string[]> => Promise.all(ALWAYS.map((controller) => dirOf(name, controller)));
/** The last number the job printed (its counting loop). */
const lastCount = async (name: string): Promise<number> => Number((await run(box, ['logs', name])).stdout.trim().split('\n').at(-1) ?? 'NaN');
const COUNT = 'i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  box = sandbox();
  if (delegated) expect((await run(box, ['pull', '-q', busybox()])).exitCode).toBe(0);
});
afterAll(() => (delegated ? removeAllContainers(box) : undefined));

describe.skipIf(!delegated)('resource limits on cgroup v1 through the delegated subtree', () => {
  it('--memory 64m: a job allocating past it is OOM-killed, exit 137 and OOMKilled, in the foreground and detached', async () => {
    // grep keeps the line it reads whole, and /dev/zero has no newline: 256 MiB of it (this host has no swap).
    const hog = ['sh', '-c', 'head -c 268435456 /dev/zero | grep -c x'];
    const fg = await run(box, ['run', '--name', 'oom-fg', '--memory', '64m', busybox(), ...hog]);
    expect(fg.exitCode, fg.stderr).toBe(137);
    const fgState = await inspect('oom-fg');
    expect(fgState.State).toMatchObject({ ExitCode: 137, OOMKilled: true });
    expect(fgState.HostConfig.Memory).toBe(64 * 1024 * 1024);

    await runDetached(['--name', 'oom-d', '--memory', '64m', busybox(), ...hog]);
    expect((await run(box, ['wait', 'oom-d'])).stdout.trim()).toBe('137');
    expect((await inspect('oom-d')).State).toMatchObject({ ExitCode: 137, OOMKilled: true });

    // Within its limit the same job is fine, and not reported as OOM-killed.
    const small = await run(box, ['run', '--name', 'oom-no', '--memory', '64m', busybox(), 'sh', '-c', 'head -c 16777216 /dev/zero | grep -c x']);
    // grep found no x: its status is 1, not a kill.
    expect(small.exitCode, small.stderr).toBe(1);
    expect((await inspect('oom-no')).State.OOMKilled).toBe(false);
  });

  it('--pids-limit 64: a fork bomb hits the limit (EAGAIN, pids.events) and the host stays responsive', async () => {
    // The forking shell dies at its first refused fork; the container lives on (exec: no fork needed) so its cgroup can be read.
    const bomb = "sh -c 'i=0; while [ $i -lt 300 ]; do sleep 300 & i=$((i+1)); done; echo spawned-all'; exec sleep 300";
    await runDetached(['--name', 'bomb', '--pids-limit', '64', busybox(), 'sh', '-c', bomb]);
    const pids = await dirOf('bomb', 'pids');
    await until(async () => /can't fork|Resource temporarily unavailable/.test((await run(box, ['logs', 'bomb'])).stderr), 30_000, 'the job to meet the pids limit');
    // The kernel's count: forks refused at the limit (the sleeps keep the container, and its cgroup, alive).
    expect(readCgroupFile(pids, 'pids.max')).toBe('64');
    expect(keyedValue(readCgroupFile(pids, 'pids.events'), 'max')).toBeGreaterThan(0);
    expect(Number(readCgroupFile(pids, 'pids.current'))).toBeLessThanOrEqual(64);
    expect((await run(box, ['logs', 'bomb'])).stdout).not.toContain('spawned-all');
    // The host is untouched: a command of the host still runs, and so does another container.
    expect((await execa('sh', ['-c', 'echo host-ok'])).stdout).toBe('host-ok');
    expect((await run(box, ['run', '--rm', busybox(), 'echo', 'neighbour-ok'])).stdout).toBe('neighbour-ok');
    expect((await run(box, ['rm', '-f', 'bomb'])).exitCode).toBe(0);
  });

  it('--cpus 0.5 holds a busy loop near half a core (cpuacct usage over wall time, loosely)', async () => {
    await runDetached(['--name', 'busy', '--cpus', '0.5', busybox(), 'sh', '-c', 'while true; do :; done']);
    const cpu = await dirOf('busy', 'cpu');
    expect(Number(readCgroupFile(cpu, 'cpu.cfs_quota_us')) / Number(readCgroupFile(cpu, 'cpu.cfs_period_us'))).toBe(0.5);
    expect((await inspect('busy')).HostConfig.NanoCpus).toBe(500_000_000);
    const cpuacct = await dirOf('busy', 'cpuacct');
    const usage = (): number => Number(readCgroupFile(cpuacct, 'cpuacct.usage'));
    const [u0, t0] = [usage(), process.hrtime.bigint()];
    await sleep(3000);
    const [u1, t1] = [usage(), process.hrtime.bigint()];
    const share = (u1 - u0) / Number(t1 - t0);
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.8);
    await run(box, ['rm', '-f', 'busy']);
  });

  it('stats --no-stream shows the memory and pids of a running container; update changes its limits in the kernel', async () => {
    await runDetached(['--name', 'stat', '--memory', '64m', '--pids-limit', '100', busybox(), 'sh', '-c', COUNT]);
    const stats = await run(box, ['stats', '--no-stream', '--format', 'json', 'stat']);
    expect(stats.exitCode, stats.stderr).toBe(0);
    const parsed = JSON.parse(stats.stdout) as unknown;
    const entry = (Array.isArray(parsed) ? parsed[0] : parsed) as Record<string, string>;
    expect(entry.Name).toBe('stat');
    expect(entry.MemUsage).toMatch(/^[\d.]+[KMG]?i?B \/ 64MiB$/);
    expect(Number(entry.PIDs)).toBeGreaterThanOrEqual(1);
    const table = await run(box, ['stats', '--no-stream', 'stat']);
    expect(table.stdout).toMatch(/MEM USAGE \/ LIMIT/);
    expect(table.stdout).toMatch(/PIDS/);

    const memory = await dirOf('stat', 'memory');
    const pids = await dirOf('stat', 'pids');
    expect(readCgroupFile(memory, 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect(readCgroupFile(pids, 'pids.max')).toBe('100');
    const updated = await run(box, ['update', '--memory', '128m', '--pids-limit', '200', 'stat']);
    expect(updated.exitCode, updated.stderr).toBe(0);
    expect(readCgroupFile(memory, 'memory.limit_in_bytes')).toBe(String(128 * 1024 * 1024));
    expect(readCgroupFile(pids, 'pids.max')).toBe('200');
    const after = await inspect('stat');
    expect(after.HostConfig).toMatchObject({ Memory: 128 * 1024 * 1024, PidsLimit: 200 });
    await run(box, ['rm', '-f', 'stat']);
  });

  it('pause/unpause a counting loop through the v1 freezer: the count stops while paused and resumes after', async () => {
    await runDetached(['--name', 'counter', busybox(), 'sh', '-c', COUNT]);
    await until(async () => (await lastCount('counter')) > 2, 15_000, 'the loop to count');
    const freezer = await dirOf('counter', 'freezer');
    expect((await run(box, ['pause', 'counter'])).exitCode).toBe(0);
    expect(readCgroupFile(freezer, 'freezer.state')).toBe('FROZEN');
    expect((await inspect('counter')).State.Paused).toBe(true);
    // What was printed before the freeze may still be on its way to the log.
    let frozenAt = -1;
    await until(async () => { const now = await lastCount('counter'); const same = now === frozenAt; frozenAt = now; return same; }, 10_000, 'the log to settle');
    await sleep(1000);
    expect(await lastCount('counter')).toBe(frozenAt);
    expect((await run(box, ['unpause', 'counter'])).exitCode).toBe(0);
    expect(readCgroupFile(freezer, 'freezer.state')).toBe('THAWED');
    await until(async () => (await lastCount('counter')) > frozenAt, 15_000, 'the count to resume');
    await run(box, ['rm', '-f', 'counter']);
  });

  it('a foreground run has its cgroup too: paused from another shell, its output stops, and resumes', async () => {
    let shown = '';
    const child = burrow(box, ['run', '--name', 'fg-counter', busybox(), 'sh', '-c', COUNT], { timeout: 60_000 });
    child.stdout!.on('data', (chunk: Buffer) => { shown += chunk.toString(); });
    const last = (): number => Number(shown.trim().split('\n').at(-1) ?? 'NaN');
    await until(() => last() > 2, 15_000, 'the foreground loop to count');
    const paused = await run(box, ['pause', 'fg-counter']);
    expect(paused.exitCode, paused.stderr).toBe(0);
    expect(readCgroupFile(await dirOf('fg-counter', 'freezer'), 'freezer.state')).toBe('FROZEN');
    let frozenAt = -1;
    await until(() => { const same = last() === frozenAt; frozenAt = last(); return same; }, 10_000, 'the output to settle');
    await sleep(1000);
    expect(last()).toBe(frozenAt);
    expect((await run(box, ['unpause', 'fg-counter'])).exitCode).toBe(0);
    await until(() => last() > frozenAt, 15_000, 'the foreground count to resume');
    await run(box, ['stop', '-t', '1', 'fg-counter']);
    await child;
  });

  it('the default pids limit 2048 is in force where pids is delegated; with BURROW_CGROUP_ROUTE=none it is absent', async () => {
    await runDetached(['--name', 'defaults', busybox(), 'sleep', '300']);
    expect(readCgroupFile(await dirOf('defaults', 'pids'), 'pids.max')).toBe('2048');
    expect((await inspect('defaults')).HostConfig.PidsLimit).toBe(2048);

    const none = { BURROW_CGROUP_ROUTE: 'none' };
    const started = await run(box, ['run', '-d', '--name', 'no-cgroup', busybox(), 'sleep', '300'], { env: none });
    expect(started.exitCode, started.stderr).toBe(0);
    expect([undefined, null, 0]).toContain((await inspect('no-cgroup')).HostConfig.PidsLimit);
    // Asked for, a limit the route cannot give is one line, not ignored.
    expect(expectOneLineError(await run(box, ['run', '--rm', '--memory', '64m', busybox(), 'true'], { env: none }))).toMatch(/^burrow: --memory needs a delegated cgroup: run 'burrow doctor'/);
    const ignored = await run(box, ['run', '--rm', '--memory', '64m', '--ignore-missing-limits', busybox(), 'echo', 'ran'], { env: none });
    expect(ignored.exitCode).toBe(0);
    expect(ignored.stdout).toBe('ran');
    expect(ignored.stderr).toMatch(/--memory/);
    await run(box, ['rm', '-f', 'defaults', 'no-cgroup']);
  });

  it('the job cannot lift its own limits or leave its cgroup: writes, a move out and a cgroup mount all fail, checked from the host', async () => {
    // Security: the container's root is the user who owns the delegated subtree on the
    // host; were any cgroup file writable from inside, a CI job could raise its own
    // memory or pids limit, or move itself out of its cgroup, and take the runner down.
    const attempts = [
      'echo 100000 > /sys/fs/cgroup/pids/pids.max && echo raised-pids',
      'echo -1 > /sys/fs/cgroup/memory/memory.limit_in_bytes && echo raised-memory',
      'echo $$ > /sys/fs/cgroup/pids/cgroup.procs && echo moved',
      'echo $$ > /sys/fs/cgroup/pids/../cgroup.procs && echo moved-up',
      'mount -t cgroup -o pids none /tmp && echo mounted-v1',
      'mount -t cgroup2 none /tmp && echo mounted-v2',
      'mount -o remount,rw /sys/fs/cgroup/pids && echo remounted',
    ].join('; ');
    await runDetached(['--name', 'jailed', '--pids-limit', '50', '--memory', '64m', busybox(), 'sh', '-c', `${attempts}; echo tried; exec sleep 300`]);
    await until(async () => (await run(box, ['logs', 'jailed'])).stdout.includes('tried'), 30_000, 'the attempts to be made');
    const logs = await run(box, ['logs', 'jailed']);
    expect(logs.stdout.trim()).toBe('tried');
    // The host's view: the limits as set, the job still inside its cgroups.
    const pids = await dirOf('jailed', 'pids');
    const memory = await dirOf('jailed', 'memory');
    expect(readCgroupFile(pids, 'pids.max')).toBe('50');
    expect(readCgroupFile(memory, 'memory.limit_in_bytes')).toBe(String(64 * 1024 * 1024));
    expect((await run(box, ['rm', '-f', 'jailed'])).exitCode).toBe(0);
  });

  it('nothing of a container is left in the cgroups: after rm, and after a SIGKILLed burrow run (the next command cleans up)', async () => {
    await runDetached(['--name', 'gone', busybox(), 'sleep', '300']);
    const dirs = await dirsOf('gone');
    for (const dir of dirs) expect(existsSync(dir)).toBe(true);
    // Without a cpu limit it stays out of the cpu hierarchy's subtree (a v1 move costs every start a few ms).
    expect(cgroupDirOf((await inspect('gone')).State.Pid, 'cpu')?.startsWith(`${bedSubtree('cpu')}/`)).toBe(false);
    expect((await run(box, ['rm', '-f', 'gone'])).exitCode).toBe(0);
    for (const dir of dirs) expect(existsSync(dir), dir).toBe(false);

    const child = burrow(box, ['run', '--name', 'crashed', busybox(), 'sleep', '300']);
    await until(async () => (await run(box, ['inspect', 'crashed'])).exitCode === 0 && (await inspect('crashed')).State.Pid > 0, 30_000, 'the container to start');
    const pid = (await inspect('crashed')).State.Pid;
    const crashed = await dirsOf('crashed');
    child.kill('SIGKILL');
    await child.catch(() => undefined);
    await until(() => !existsSync(`/proc/${pid}`), 15_000, 'the job to die with its burrow run');
    expect((await run(box, ['run', '--rm', busybox(), 'true'])).exitCode).toBe(0);
    for (const dir of crashed) expect(existsSync(dir), dir).toBe(false);
    await run(box, ['rm', '-f', 'crashed']);
  });
});
