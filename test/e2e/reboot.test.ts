import { existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { expectOneLineError, removeAllContainers, run, sandbox, type Sandbox, jsonLines } from '../helpers/cli.js';
import { until } from '../helpers/poll.js';
import { recordedProcesses } from '../helpers/records.js';
import { formatIdentity, identify, parseIdentity, type ProcessIdentity } from '../../src/util/process-identity.js';

/**
 * A machine reboot, simulated (issue 13): a test cannot reboot the machine, so it does
 * what a reboot does to burrow's state. Every process of the containers ends (killed
 * here, by their recorded pids), their cgroups go, the user's runtime directory is
 * emptied (XDG_RUNTIME_DIR, a tmpfs on a real host: burrow keeps nothing it needs
 * there, its run files are in each container's directory and survive, naming pids of
 * the boot before), and the kernel's boot id changes (BURROW_BOOT_ID, read by
 * util/process-identity.ts alone, stands for it). Then the stale records are pointed at
 * live processes that have nothing to do with the containers, with their true pid and
 * start time: after a real reboot pids and early start times come round again, and only
 * the boot id tells the old process from the new one. None of them may be signalled.
 */

const busybox = (): string => `${bed().registries.anon}/busybox:latest`;
let box: Sandbox;
let runtimeDir: string;
const decoys: ResultPromise[] = [];

beforeAll(async () => {
  box = sandbox();
  runtimeDir = join(box.dir, 'run-user');
  mkdirSync(runtimeDir, { mode: 0o700 });
  box.env.XDG_RUNTIME_DIR = runtimeDir;
  expect((await run(box, ['pull', '-q', busybox()])).exitCode).toBe(0);
});

afterAll(async () => {
  for (const decoy of decoys) decoy.kill('SIGKILL');
  await removeAllContainers(box);
});

const containerDir = (id: string): string => join(box.root, 'containers', id);

/** An unrelated process of the test user that lives until the test ends, named `name` (its comm). */
async function decoy(name: string): Promise<ProcessIdentity> {
  const bin = join(box.dir, 'decoys');
  mkdirSync(bin, { recursive: true });
  const path = join(bin, name);
  if (!existsSync(path)) symlinkSync('/bin/sleep', path);
  const child = execa(path, ['1000'], { reject: false });
  decoys.push(child);
  await until(() => identify(child.pid!) !== undefined, 5_000, `decoy ${name} to start`);
  return identify(child.pid!)!;
}

/** The decoy still runs: the same pid with the same start time, not killed, not stopped. */
function alive(process: ProcessIdentity): boolean {
  const now = identify(process.pid);
  if (now === undefined || now.startTime !== process.startTime) return false;
  return /^State:\s+[RS]/m.test(readFileSync(`/proc/${process.pid}/status`, 'utf8'));
}

interface Listed { Names: string; State: string }
const ps = async (): Promise<Record<string, string>> => {
  const listed = jsonLines<Listed>((await run(box, ['ps', '-a', '--format', 'json'])).stdout);
  return Object.fromEntries(listed.map((container) => [container.Names, container.State]));
};

describe('a machine reboot, simulated: stale run files, a new boot id, pids in use by others', () => {
  it('every container is exited, no stale pid is signalled by ps, stop, kill, rm or start, and start works again', async () => {
    const ids: Record<string, string> = {};
    for (const [name, network] of [['quiet', 'none'], ['networked', 'private']] as const) {
      const result = await run(box, ['run', '-d', '--name', name, ...(network === 'none' ? ['--network', 'none'] : []), busybox(), 'sleep', '1000']);
      expect(result.exitCode, result.stderr).toBe(0);
      ids[name] = result.stdout.trim();
    }
    expect((await run(box, ['create', '--name', 'fresh', busybox(), 'true'])).exitCode).toBe(0);
    expect(await ps()).toEqual({ quiet: 'running', networked: 'running', fresh: 'created' });
    const cgroups = Object.values(ids).flatMap((id) => {
      const record = JSON.parse(readFileSync(join(containerDir(id), 'container.json'), 'utf8')) as { cgroup?: { dirs: { v2?: string } & Record<string, unknown> } };
      const dirs = record.cgroup?.dirs;
      if (dirs === undefined) return [];
      return 'v2' in dirs && typeof dirs.v2 === 'string' ? [dirs.v2] : Object.values((dirs as { v1: Record<string, string> }).v1 ?? {});
    });
    // A private network has a helper where the host offers pasta or slirp4netns (asked here; without one it runs as --network none).
    const helperFile = join(containerDir(ids.networked!), 'network-helper');
    const helper = existsSync(helperFile) ? parseIdentity(readFileSync(helperFile, 'latin1').trim()) : undefined;
    console.log(helper === undefined ? 'this host gives no network helper: the stale helper record is tested without one running before' : 'the networked container has a network helper');

    // The reboot: every process of the containers ends (monitor, PID 1, the network helper).
    const before = Object.fromEntries(Object.entries(ids).map(([name, id]) => [name, recordedProcesses(containerDir(id))]));
    for (const { monitor, sandbox: pid1 } of Object.values(before)) for (const victim of [monitor, pid1]) process.kill(victim.pid, 'SIGKILL');
    if (helper !== undefined) process.kill(helper.pid, 'SIGKILL');
    for (const victim of [...Object.values(before).flatMap((records) => [records.monitor, records.sandbox]), ...(helper === undefined ? [] : [helper])]) {
      await until(() => identify(victim.pid)?.startTime !== victim.startTime, 10_000, `pid ${victim.pid} to end`);
    }
    // Cgroups do not outlive a boot (the processes are gone, so they are empty).
    for (const dir of cgroups) {
      await until(() => {
        try {
          rmdirSync(dir);
          return true;
        } catch (error) {
          return (error as NodeJS.ErrnoException).code === 'ENOENT';
        }
      }, 10_000, `cgroup ${dir} to empty`);
    }
    rmSync(runtimeDir, { recursive: true, force: true });
    mkdirSync(runtimeDir, { mode: 0o700 });
    const oldBoot = before.quiet!.monitor.bootId;
    const newBoot = randomUUID();
    expect(newBoot).not.toBe(oldBoot);
    box.env.BURROW_BOOT_ID = newBoot;

    // After the reboot, the old pids belong to unrelated processes, even with the same start times.
    const victims: ProcessIdentity[] = [];
    for (const [name, id] of Object.entries(ids)) {
      const dir = containerDir(id);
      const monitor = await decoy(`monitor-of-${name}`);
      const pid1 = await decoy(`pid1-of-${name}`);
      const old = before[name]!;
      writeFileSync(join(dir, 'monitor'), JSON.stringify({ ...old.monitorFile, monitor: formatIdentity({ ...monitor, bootId: oldBoot }) }));
      writeFileSync(join(dir, 'pid'), `${formatIdentity({ ...pid1, bootId: oldBoot })}\n`);
      victims.push(monitor, pid1);
    }
    const pasta = await decoy('pasta');
    writeFileSync(join(containerDir(ids.networked!), 'network-helper'), `${formatIdentity({ ...pasta, bootId: oldBoot })}\n`);
    // pasta's own pid file (a bare pid), written before the reboot, so before the process that has its pid now started.
    const pastaPid = join(containerDir(ids.networked!), 'pasta.pid');
    writeFileSync(pastaPid, `${pasta.pid}\n`);
    const anHourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(pastaPid, anHourAgo, anHourAgo);
    victims.push(pasta);
    expect(victims.every(alive)).toBe(true);

    // Every container is exited: a monitor of another boot is gone, whatever has its pid now.
    expect(await ps()).toEqual({ quiet: 'exited', networked: 'exited', fresh: 'created' });
    expect((await run(box, ['stop', '-t', '1', 'quiet'])).exitCode).toBe(0);
    expect(expectOneLineError(await run(box, ['kill', 'networked']))).toMatch(/not running/);
    expect(victims.every(alive)).toBe(true);

    // start works again, and signals only its own new processes.
    const started = await run(box, ['start', 'quiet']);
    expect(started.exitCode, started.stderr).toBe(0);
    expect((await ps()).quiet).toBe('running');
    const exec = await run(box, ['exec', 'quiet', 'echo', 'after the reboot']);
    expect(exec.stdout.trim(), exec.stderr).toBe('after the reboot');
    const fresh = await run(box, ['start', 'fresh']);
    expect(fresh.exitCode, fresh.stderr).toBe(0);
    expect(victims.every(alive)).toBe(true);

    // rm of a stale container (its helper's files name the pasta decoy) and stop, rm of the restarted one.
    expect((await run(box, ['rm', 'networked'])).exitCode).toBe(0);
    expect((await run(box, ['stop', '-t', '1', 'quiet'])).exitCode).toBe(0);
    expect((await ps()).quiet).toBe('exited');
    expect((await run(box, ['rm', '-f', 'quiet', 'fresh'])).exitCode).toBe(0);
    expect(await ps()).toEqual({});
    expect(victims.filter((victim) => !alive(victim)).map((victim) => victim.pid)).toEqual([]);
    expect((await run(box, ['system', 'check'])).exitCode).toBe(0);
  });
});
