import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { BURROW_BIN, burrow, removeAllContainers, run, sandbox } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';
import { recordedMonitor } from '../helpers/records.js';

// Jobs that misbehave (issue 13): each as the unprivileged test user, checked from the host.
const box = suiteSandbox();

interface State { Status: string; ExitCode: number; Pid: number }
const state = async (id: string): Promise<State> => (JSON.parse((await run(box, ['inspect', id])).stdout) as Array<{ State: State }>)[0]!.State;
const runDetached = async (args: string[]): Promise<string> => {
  const result = await run(box, ['run', '-d', ...args]);
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout.trim();
};
const logsOf = async (id: string): Promise<string> => (await run(box, ['logs', id])).stdout;

/** The host's view of a process: undefined once it is gone. */
function procStatus(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
}
const field = (status: string, name: string): string => new RegExp(`^${name}:\\s+(\\S+)`, 'm').exec(status)?.[1] ?? '';
function pidNamespace(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/pid`);
  } catch {
    return undefined;
  }
}
/** Every host process (live) in pid namespace `ns`, and the zombies whose parent is one of them. */
function inNamespace(ns: string): { live: number[]; zombies: number[] } {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number);
  const live = pids.filter((pid) => pidNamespace(pid) === ns);
  const zombies = pids.filter((pid) => {
    const status = procStatus(pid);
    return status !== undefined && field(status, 'State') === 'Z' && live.includes(Number(field(status, 'PPid')));
  });
  return { live: live.filter((pid) => !zombies.includes(pid)), zombies };
}

describe('a job that ignores SIGTERM', () => {
  it('is killed by stop -t after the timeout (137), and nothing of it is left', async () => {
    const id = await runDetached([busybox(), 'sh', '-c', 'trap "" TERM; echo ready; while true; do sleep 1; done']);
    await until(async () => (await logsOf(id)) === 'ready');
    const { Pid } = await state(id);
    const ns = pidNamespace(Pid)!;
    expect(ns).toMatch(/^pid:\[\d+\]$/);
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    expect(await state(id)).toMatchObject({ Status: 'exited', ExitCode: 137 });
    await until(() => inNamespace(ns).live.length === 0 && inNamespace(ns).zombies.length === 0, 10_000, 'the sandbox to be gone');
    expect((await run(box, ['rm', id])).exitCode).toBe(0);
  });
});

describe('a job that closes stdout and stderr and keeps running', () => {
  it('still runs, is stoppable, and `logs -f` ends cleanly with what it wrote', async () => {
    const id = await runDetached([busybox(), 'sh', '-c', 'echo before; echo err-before >&2; exec >&- 2>&-; touch /tmp/closed; while true; do sleep 1; done']);
    await until(async () => (await run(box, ['exec', id, 'test', '-f', '/tmp/closed'])).exitCode === 0, 20_000, 'the job to close its output');
    // Its output pipes are closed: the monitor must not take that for the job's end.
    expect((await state(id)).Status).toBe('running');
    const following = burrow(box, ['logs', '-f', id]);
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    const followed = await following;
    expect(followed.exitCode).toBe(0);
    expect(String(followed.stdout)).toBe('before');
    expect(String(followed.stderr)).toBe('err-before');
    expect((await state(id)).Status).toBe('exited');
    expect((await run(box, ['rm', id])).exitCode).toBe(0);
  });
});

describe('a job that leaves daemons behind', () => {
  for (const init of [false, true]) {
    it(`loses every double-forked and setsid daemon when the container stops${init ? ' (--init)' : ''}`, async () => {
      // Unique arguments, so that the host can tell these sleeps from any other.
      const tag = 4_000_000 + 10 * Math.floor(Math.random() * 90_000);
      const script = [
        `(sleep ${tag + 1} &)`, // double fork: reparented to PID 1
        `setsid sh -c "sleep ${tag + 2} & exec sleep ${tag + 3}" &`, // a new session
        `(setsid sh -c "(sleep ${tag + 4} &)" &)`, // both
        'echo ready; while true; do sleep 1; done',
      ].join('\n');
      const id = await runDetached([...(init ? ['--init'] : []), busybox(), 'sh', '-c', script]);
      await until(async () => (await logsOf(id)) === 'ready');
      const { Pid } = await state(id);
      const ns = pidNamespace(Pid)!;
      const daemons = async (): Promise<number[]> => String((await execa('pgrep', ['-f', `^sleep ${tag + 1}|^sleep ${tag + 2}|^sleep ${tag + 3}|^sleep ${tag + 4}`], { reject: false })).stdout).split('\n').filter(Boolean).map(Number);
      await until(async () => (await daemons()).length === 4, 10_000, 'the four daemons to run');
      // They are in the container's pid namespace, whatever session or parent they have.
      for (const pid of await daemons()) expect(pidNamespace(pid)).toBe(ns);
      expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
      await until(async () => (await daemons()).length === 0, 10_000, 'the daemons to be gone');
      await until(() => inNamespace(ns).live.length === 0 && inNamespace(ns).zombies.length === 0, 10_000, 'the pid namespace to be empty');
      expect((await run(box, ['rm', id])).exitCode).toBe(0);
    }, 60_000);
  }
});

describe('a job that spawns thousands of short-lived processes', () => {
  for (const init of [false, true]) {
    it(`leaves no zombie${init ? ' (--init reaps them while it runs)' : ' once it stops'}`, async () => {
      // Orphans (a subshell's child outlives it): reaped by PID 1 or by nobody.
      const id = await runDetached([...(init ? ['--init'] : []), busybox(), 'sh', '-c', 'i=0; while [ $i -lt 2000 ]; do (true &); i=$((i+1)); done; echo spawned; while true; do sleep 1; done']);
      await until(async () => (await logsOf(id)) === 'spawned', 120_000, 'the processes to be spawned');
      const { Pid } = await state(id);
      const ns = pidNamespace(Pid)!;
      if (init) {
        // burrow-init is PID 1 and reaps every orphan: none stays a zombie while the job runs.
        await until(() => inNamespace(ns).zombies.length === 0, 20_000, 'every orphan to be reaped');
        expect(inNamespace(ns).live.length).toBeGreaterThanOrEqual(2);
      } else {
        // The job itself is PID 1; which of its orphans a shell reaps is the shell's business
        // (as with Docker without --init). What is asserted: none survives the container.
        console.log(`without --init: ${inNamespace(ns).zombies.length} zombies while the job ran`);
      }
      expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
      await until(() => inNamespace(ns).live.length === 0 && inNamespace(ns).zombies.length === 0, 20_000, 'the pid namespace to be empty');
      expect((await run(box, ['rm', id])).exitCode).toBe(0);
    }, 180_000);
  }
});

describe('a job that holds a socket and open files on a volume', () => {
  it('rm -f still removes the container, and the volume can be removed after it', async () => {
    // busybox syslogd binds its socket where /dev/log points: on the volume. A file held open,
    // a working directory and a FIFO reader on the volume too.
    const script = 'ln -sf /data/log /dev/log && syslogd -n -O /data/messages & mkfifo /data/fifo; (cat /data/fifo &); exec 9>/data/held; cd /data; until [ -S /data/log ]; do sleep 0.1; done; echo ready; while true; do sleep 1; done';
    const id = await runDetached(['-v', 'held:/data', busybox(), 'sh', '-c', script]);
    await until(async () => (await logsOf(id)) === 'ready', 20_000, 'the socket to be bound');
    const mountpoint = (await run(box, ['volume', 'inspect', '--format', '{{.Mountpoint}}', 'held'])).stdout.trim();
    const { Pid } = await state(id);
    const ns = pidNamespace(Pid)!;
    const removed = await run(box, ['rm', '-f', id]);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect((await run(box, ['ps', '-a', '-q', '--no-trunc'])).stdout.split('\n')).not.toContain(id);
    expect(existsSync(join(box.root, 'containers', id))).toBe(false);
    await until(() => inNamespace(ns).live.length === 0, 10_000, 'the sandbox to be gone');
    // The volume kept what the job made, socket included, and is free to go.
    if (mountpoint !== '') expect(readdirSync(mountpoint).sort()).toEqual(expect.arrayContaining(['fifo', 'held', 'log']));
    expect((await run(box, ['volume', 'rm', 'held'])).exitCode).toBe(0);
  });
});

describe('a job that fills the disk', () => {
  // The bed's tmpfs of a few MB stands for a full disk (shared: every test makes its own store on it).
  for (const where of ['writable layer', 'volume'] as const) {
    it.skipIf(bed().tinyfs === null)(`in its ${where}: the job gets ENOSPC, burrow's store stays consistent and usable`, async () => {
      const root = join(bed().tinyfs!, `misbehave-${where === 'volume' ? 'vol' : 'layer'}-${process.pid}-${Date.now()}`);
      const small = sandbox({ root });
      try {
        expect((await run(small, ['pull', '-q', busybox()])).exitCode).toBe(0);
        const target = where === 'volume' ? '/data/fill' : '/fill';
        const filled = await run(small, ['run', '--name', 'filler', ...(where === 'volume' ? ['-v', 'fillvol:/data'] : []), busybox(), 'sh', '-c', `cat /dev/zero > ${target}; echo "cat=$?"; ls -l ${target} >/dev/null && echo still-there`]);
        // A clear error for the job itself: the kernel's ENOSPC, which the job reports and survives.
        expect(filled.exitCode, filled.stderr).toBe(0);
        expect(filled.stderr).toMatch(/No space left on device/);
        expect(filled.stdout).toBe('cat=1\nstill-there');
        const checked = await run(small, ['system', 'check']);
        expect(checked.exitCode, checked.stdout + checked.stderr).toBe(0);
        // The space comes back with the container (or volume), and the store works on.
        expect((await run(small, ['rm', 'filler'])).exitCode).toBe(0);
        if (where === 'volume') expect((await run(small, ['volume', 'rm', 'fillvol'])).exitCode).toBe(0);
        const again = await run(small, ['run', '--rm', busybox(), 'sh', '-c', 'echo fine > /file && cat /file']);
        expect(again.stdout, again.stderr).toBe('fine');
        expect((await run(small, ['system', 'check'])).exitCode).toBe(0);
      } finally {
        await removeAllContainers(small);
        rmSync(root, { recursive: true, force: true });
      }
    }, 120_000);
  }
});

describe('a job that writes a lot of output', () => {
  // The CI volume: 400 000 numbered lines (about 32 MB of json-file) in 1 MiB files, 8 kept.
  // The 1 GB run is the same with LINES raised (BENCHMARKS.md: "Misbehaving jobs").
  const LINES = Number(process.env.BURROW_MISBEHAVE_LINES ?? 400_000);
  // By hand, BURROW_MISBEHAVE_LINES=10000000 BURROW_MISBEHAVE_PAD=90: 1 GB of output (each line padded).
  const PAD = 'x'.repeat(Number(process.env.BURROW_MISBEHAVE_PAD ?? 0));
  const writer = PAD === '' ? `seq 1 ${LINES}` : `seq 1 ${LINES} | sed 's/$/ ${PAD}/'`;
  it('rotates at max-size; `logs -f` follows across rotations with no line lost or repeated; memory stays bounded', async () => {
    // The job waits for the follower to be there: what it follows is every line from the first.
    const id = await runDetached(['--log-opt', 'max-size=1m', '--log-opt', 'max-file=8', busybox(), 'sh', '-c', `echo waiting; until [ -f /tmp/go ]; do sleep 0.1; done; ${writer}; echo end-of-output; while true; do sleep 1; done`]);
    const dir = join(box.root, 'containers', id);
    const monitor = recordedMonitor(dir);
    // The follower, measured: GNU time's peak RSS of the whole CLI process.
    const following = execa('/usr/bin/time', ['-v', process.execPath, BURROW_BIN, 'logs', '-f', id], { env: { ...process.env, ...box.env }, extendEnv: false, reject: false, timeout: 600_000, buffer: { stdout: false } });
    let expected = 1;
    let lost = 0;
    let pending = '';
    let ended = false;
    let waiting = false;
    following.stdout!.setEncoding('utf8');
    following.stdout!.on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line === 'waiting') waiting = true;
        else if (line === 'end-of-output') ended = true;
        else if (Number(line.split(' ', 1)[0]) === expected) expected++;
        else lost++;
      }
    });
    await until(() => waiting, 30_000, 'logs -f to show the job waiting');
    expect((await run(box, ['exec', id, 'touch', '/tmp/go'])).exitCode).toBe(0);
    await until(() => ended || lost > 0, 600_000, 'logs -f to reach the end of the output');
    // The monitor's peak while it wrote everything (it is still running: the job goes on).
    const monitorPeakKiB = Number(field(procStatus(monitor.pid) ?? '', 'VmHWM'));
    const files = readdirSync(dir).filter((name) => name.startsWith('ctr.log'));
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    const result = await following;
    const followerPeakKiB = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(String(result.stderr))?.[1]);
    console.log(`output of ${LINES} lines: monitor peak RSS ${monitorPeakKiB} KiB, logs -f peak RSS ${followerPeakKiB} KiB, log files ${files.join(' ')}`);
    expect(lost, `first out-of-order line after ${expected - 1}`).toBe(0);
    expect(expected - 1).toBe(LINES);
    // It rotated at the limit, and kept max-file files.
    expect(files.sort()).toEqual(['ctr.log', ...Array.from({ length: 7 }, (_, index) => `ctr.log.${index + 1}`)].sort());
    for (const name of files) expect(readFileSync(join(dir, name)).length).toBeLessThan(1024 * 1024 + 128 * 1024);
    // Bounded: the monitor a few MB whatever the volume; the follower Node's own ~60 MB plus a chunk.
    expect(monitorPeakKiB).toBeGreaterThan(0);
    expect(monitorPeakKiB).toBeLessThan(16 * 1024);
    expect(followerPeakKiB).toBeLessThan(200 * 1024);
    expect((await run(box, ['rm', id])).exitCode).toBe(0);
  }, 700_000);
});

describe('fuse-overlayfs containers die with their monitor or CLI', () => {
  /** fuse-overlayfs daemons whose arguments name the container (its upper layer is in the container's directory). */
  const fuseDaemons = async (id: string): Promise<string> => String((await execa('pgrep', ['-af', `fuse-overlayfs.*${id}`], { reject: false })).stdout);

  // Until 2026-12-02 fuse-overlayfs was left running in 2 of 3 runs: the launcher's dash wrote
  // "Killed" for the bwrap it had just killed to its stderr, a pipe to the dead monitor, and
  // died of SIGPIPE before the unmount (rootfs/shell.ts: LAUNCH_STEP).
  it('kill -9 of the monitor: the job, fuse-overlayfs and its mount go', async () => {
    const id = await runDetached(['--storage-driver', 'fuse-overlayfs', busybox(), 'sh', '-c', 'echo ready; while true; do sleep 1; done']);
    await until(async () => (await logsOf(id)) === 'ready');
    expect(await fuseDaemons(id)).not.toBe('');
    const { Pid } = await state(id);
    const ns = pidNamespace(Pid)!;
    process.kill(recordedMonitor(join(box.root, 'containers', id)).pid, 'SIGKILL');
    await until(() => inNamespace(ns).live.length === 0, 15_000, 'the job to die with its monitor');
    await until(async () => (await fuseDaemons(id)) === '', 15_000, 'fuse-overlayfs to exit').catch(async (error: unknown) => {
      // Which process is left (fuse-overlayfs itself, or the launcher whose script names it), in the failure's words.
      throw new Error(`${String(error)}: ${(await fuseDaemons(id)).split('\n').map((line) => line.slice(0, 60)).join(' | ')}`);
    });
    expect((await run(box, ['rm', id])).exitCode).toBe(0);
  });

  it('a detached one starts, stops and is removed as usual, leaving no fuse-overlayfs behind', async () => {
    const id = await runDetached(['--storage-driver', 'fuse-overlayfs', busybox(), 'sh', '-c', 'echo ready; while true; do sleep 1; done']);
    await until(async () => (await logsOf(id)) === 'ready');
    expect(await fuseDaemons(id)).not.toBe('');
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    await until(async () => (await fuseDaemons(id)) === '', 15_000, 'fuse-overlayfs to exit');
    expect((await run(box, ['start', id])).exitCode).toBe(0);
    await until(async () => (await state(id)).Status === 'running' && (await fuseDaemons(id)) !== '', 15_000, 'the restarted job and its fuse-overlayfs');
    expect((await run(box, ['stop', '-t', '1', id])).exitCode).toBe(0);
    await until(async () => (await fuseDaemons(id)) === '', 15_000, 'fuse-overlayfs to exit');
    expect((await run(box, ['rm', id])).exitCode).toBe(0);
  }, 60_000);

  it('kill -9 of the CLI of a foreground run: the job, fuse-overlayfs and its mount go', async () => {
    const name = `fuse-fg-${Date.now()}`;
    const child = burrow(box, ['run', '--name', name, '--storage-driver', 'fuse-overlayfs', busybox(), 'sh', '-c', 'echo ready; while true; do sleep 1; done']);
    child.catch(() => {});
    let id = '';
    await until(async () => {
      id = (await run(box, ['ps', '-q', '--no-trunc', '--filter', `name=${name}`])).stdout.trim();
      return id !== '' && (await state(id)).Status === 'running';
    }, 30_000, 'the job to run');
    await until(async () => (await fuseDaemons(id)) !== '', 10_000, 'fuse-overlayfs to run');
    const { Pid } = await state(id);
    const ns = pidNamespace(Pid)!;
    child.kill('SIGKILL');
    await until(() => inNamespace(ns).live.length === 0, 15_000, 'the job to die with the CLI');
    await until(async () => (await fuseDaemons(id)) === '', 15_000, 'fuse-overlayfs to exit');
    expect((await run(box, ['rm', name])).exitCode).toBe(0);
  }, 60_000);
});

