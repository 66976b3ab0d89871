/**
 * The escape suite (SECURITY.md): each test is an attempt to get out of the
 * container that must fail, run as the unprivileged test user against the real
 * kernel, and checked from the host — a sentinel tree that must not change, a
 * host process that must still run, a host uid that must stay the user's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed, busyboxLayerTar } from '../helpers/bed.js';
import { expectOneLineError, run, sandbox, type CliResult } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';
import { buildSyscallProbe, parseProbeAnswers } from '../helpers/syscall-probe.js';
import { dockerArchive, tarArchive } from '../helpers/tar-writer.js';

const debian = (): string => `${bed().registries.anon}/debian:latest`;

const box = suiteSandbox();
let probe: string;
/** A host directory the jobs must never read or change: hashed before and after each attempt. */
let sentinel: string;

beforeAll(async () => {
  probe = buildSyscallProbe(box.dir);
  sentinel = mkdtempSync(join(tmpdir(), 'burrow-sentinel-'));
  mkdirSync(join(sentinel, 'inner'));
  writeFileSync(join(sentinel, 'secret'), 'host only secret\n');
  writeFileSync(join(sentinel, 'inner', 'victim'), 'delete me if you can\n');
});

/** Every name, type, mode and content under `dir`, hashed: any change shows. */
function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (path: string): void => {
    for (const name of readdirSync(path).sort()) {
      const child = join(path, name);
      const stat = statSync(child, { throwIfNoEntry: false });
      hash.update(`${child} ${stat?.mode} ${stat?.size}\n`);
      if (stat?.isDirectory()) walk(child);
      else if (stat?.isFile()) hash.update(readFileSync(child));
    }
  };
  walk(dir);
  return hash.digest('hex');
}

const sh = (script: string, flags: string[] = [], image = busybox()): Promise<CliResult> =>
  run(box, ['run', '--rm', ...flags, image, 'sh', '-c', script]);

/** Runs the probe in a busybox container (bound read-only at /probe) and returns its verdicts. */
async function attempt(names: string[], flags: string[] = []): Promise<Record<string, string>> {
  const result = await run(box, ['run', '--rm', '-v', `${probe}:/probe:ro`, ...flags, busybox(), '/probe', ...names]);
  expect(result.stderr).not.toMatch(/^burrow: /m);
  return parseProbeAnswers(result.stdout);
}

describe('escape suite: the host\'s files', () => {
  it('finds only the container through /proc/*/root and /proc/*/cwd', async () => {
    const before = treeHash(sentinel);
    const result = await sh(`for p in /proc/[0-9]* /proc/self /proc/thread-self; do cat $p/root${sentinel}/secret $p/cwd${sentinel}/secret; echo x > $p/root${sentinel}/planted; rm -f $p/root${sentinel}/inner/victim; done 2>&1; true`, ['-w', '/']);
    expect(result.stdout).not.toContain('host only secret');
    expect(treeHash(sentinel)).toBe(before);
  });

  it('climbs `..` out of a bind mount only to the container\'s root', async () => {
    const before = treeHash(sentinel);
    const result = await sh(`cat /mnt/../secret /mnt/../../secret /mnt/../../../..${sentinel}/secret 2>&1; cd /mnt/../..; ls; rm -rf /mnt/../victim /mnt/../inner 2>&1; true`, ['-v', `${join(sentinel, 'inner')}:/mnt:ro`]);
    expect(result.stdout).not.toContain('host only secret');
    expect(treeHash(sentinel)).toBe(before);
  });

  it('follows a symlink planted in a volume inside the container, never on the host', async () => {
    const before = treeHash(sentinel);
    const plant = await sh(`ln -s ${sentinel} /v/out; ln -s / /v/root; ln -s ${sentinel}/secret /v/secret-link; echo pwned > /v/out/planted 2>&1; rm -f /v/out/inner/victim 2>&1; true`, ['-v', 'planted:/v']);
    expect(plant.exitCode, plant.stderr).toBe(0);
    // A second container, and burrow itself (cp, volume rm), meet the links too.
    const read = await sh('cat /v/out/secret /v/secret-link /v/root/v/out/secret 2>&1; true', ['-v', 'planted:/v']);
    expect(read.stdout).not.toContain('host only secret');
    const created = await run(box, ['create', '--name', 'cp-through-link', '-v', 'planted:/v', busybox(), 'true']);
    expect(created.exitCode, created.stderr).toBe(0);
    const copied = join(box.dir, 'copied-secret');
    await run(box, ['cp', 'cp-through-link:/v/secret-link', copied]);
    // A symlink is copied as a symlink (Docker's cp without -L), so lstat: what must never come out is the host file's content.
    expect(lstatSync(copied, { throwIfNoEntry: false })?.isFile() === true ? readFileSync(copied, 'utf8') : '').not.toContain('host only secret');
    // Through a symlinked directory of the volume: resolved inside the container's root, where the host's path is not.
    const throughDir = join(box.dir, 'copied-through-dir');
    await run(box, ['cp', 'cp-through-link:/v/out/secret', throughDir]);
    expect(lstatSync(throughDir, { throwIfNoEntry: false })?.isFile() === true ? readFileSync(throughDir, 'utf8') : '').not.toContain('host only secret');
    await run(box, ['cp', join(sentinel, 'secret'), 'cp-through-link:/v/out/']);
    expect((await run(box, ['rm', 'cp-through-link'])).exitCode).toBe(0);
    expect((await run(box, ['volume', 'rm', 'planted'])).exitCode).toBe(0);
    expect(treeHash(sentinel)).toBe(before);
  });

  it('cannot open host files by handle (open_by_handle_at)', async () => {
    expect((await attempt(['open_by_handle_at'])).open_by_handle_at).toBe('EPERM');
  });

  it('gets no write access from a hard link to a read-only file it can see', async () => {
    const before = treeHash(sentinel);
    const scratch = mkdtempSync(join(tmpdir(), 'burrow-rw-'));
    const result = await sh('ln /ro/secret /rw/link 2>&1; echo changed >> /ro/secret 2>&1; ln -s /ro/secret /rw/sym; echo changed >> /rw/sym 2>&1; true', ['-v', `${sentinel}:/ro:ro`, '-v', `${scratch}:/rw`]);
    expect(result.stdout).toMatch(/cross-device|Read-only|not permitted/i);
    expect(treeHash(sentinel)).toBe(before);
  });
});

describe('escape suite: the host\'s processes', () => {
  let hostJob: ChildProcess;
  beforeAll(() => {
    hostJob = spawn('sleep', ['600'], { stdio: 'ignore' });
  });
  afterAll(() => hostJob.kill('SIGKILL'));

  it('neither sees nor signals nor traces a host process', async () => {
    const pid = hostJob.pid!;
    const result = await sh(`ls /proc | grep -cx ${pid}; kill -9 ${pid} 2>&1; kill -9 -1 2>&1; true`);
    expect(result.stdout.split('\n')[0]).toBe('0');
    const traced = await attempt([`ptrace:${pid}`, `kill:${pid}`]);
    expect(traced[`ptrace:${pid}`]).toBe('ESRCH');
    expect(traced[`kill:${pid}`]).toBe('ESRCH');
    // Still running, from the host's side.
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(hostJob.exitCode).toBeNull();
  });

  it('cannot raise a capability it was not given', async () => {
    const verdict = await attempt(['capset:21', 'capset:16']);
    expect(verdict['capset:21'], 'CAP_SYS_ADMIN').toBe('EPERM');
    expect(verdict['capset:16'], 'CAP_SYS_MODULE').toBe('EPERM');
    // Every set, bounding set included, of the job, of a job under --init, of another user, and of an exec'd process.
    const statuses = [
      (await sh('grep -E "^Cap(Eff|Prm|Inh|Bnd|Amb)" /proc/self/status')).stdout,
      (await sh('grep -E "^Cap(Eff|Prm|Inh|Bnd|Amb)" /proc/self/status', ['--init'])).stdout,
      (await sh('grep -E "^Cap(Eff|Prm|Inh|Bnd|Amb)" /proc/self/status', ['-u', '1000'])).stdout,
    ];
    const started = await run(box, ['run', '-d', '--name', 'caps-exec', busybox(), 'sleep', '60']);
    expect(started.exitCode, started.stderr).toBe(0);
    statuses.push((await run(box, ['exec', 'caps-exec', 'grep', '-E', '^Cap(Eff|Prm|Inh|Bnd|Amb)', '/proc/self/status'])).stdout);
    await run(box, ['rm', '-f', 'caps-exec']);
    const lines = statuses.join('\n').split('\n').filter(Boolean);
    expect(lines).toHaveLength(20);
    for (const line of lines) {
      const mask = BigInt(`0x${line.split('\t')[1]}`);
      // Nothing beyond Docker's default set (0xa80425fb), in any set.
      expect(mask & ~0xa80425fbn, line).toBe(0n);
    }
  });

  it('runs setuid binaries of the image as the user on the host, never as anyone else', async () => {
    // An image whose probe is setuid root: no_new_privs keeps the caller's uid, so setuid(0) is refused.
    const archive = join(box.dir, 'setuid.tar');
    writeFileSync(archive, dockerArchive('setuid-probe:latest', [busyboxLayerTar(), tarArchive([
      { name: 'usr/', type: 'dir' }, { name: 'usr/local/', type: 'dir' }, { name: 'usr/local/bin/', type: 'dir' },
      { name: 'usr/local/bin/probe', content: readFileSync(probe), mode: 0o4755, uid: 0, gid: 0 },
    ])]));
    expect((await run(box, ['load', '-q', '-i', archive])).exitCode).toBe(0);
    const setuid = await run(box, ['run', '--rm', '-u', '1000', 'setuid-probe:latest', 'sh', '-c', 'stat -c %a:%u /usr/local/bin/probe; /usr/local/bin/probe setuid-root']);
    expect(setuid.stdout).toBe('4755:0\nsetuid-root=EPERM');
    // From the host: every process of a running container has one of the user's ids.
    const started = await run(box, ['run', '-d', '--name', 'uid-check', busybox(), 'sleep', '60']);
    expect(started.exitCode, started.stderr).toBe(0);
    const inspected = JSON.parse((await run(box, ['inspect', 'uid-check'])).stdout) as Array<{ State: { Pid: number } }>;
    const ids = readFileSync('/etc/subuid', 'utf8').split('\n').map((line) => line.split(':')).find(([user]) => user === process.env.USER);
    const [start, count] = [Number(ids?.[1] ?? 0), Number(ids?.[2] ?? 0)];
    const mine = (uid: number): boolean => uid === process.getuid!() || (uid >= start && uid < start + count);
    const uids = readFileSync(`/proc/${inspected[0]!.State.Pid}/status`, 'utf8').split('\n').find((line) => line.startsWith('Uid:'))!.split('\t').slice(1).map(Number);
    expect(uids.every(mine), `host uids ${uids.join(' ')}`).toBe(true);
    await run(box, ['rm', '-f', 'uid-check']);
  });

  it('cannot make `exec` run a program of its choosing with the namespace\'s privileges: PID 1 chrooted into a tree with a fake /dev/.burrow-init', async () => {
    // The job plants a fake init (a script that would print a marker) and moves PID 1's root into
    // its tree (CAP_SYS_CHROOT is a default capability). nsenter --root took PID 1's root, and ran the
    // fake with every capability of the namespace, no filter and no no_new_privs.
    const plant = 'mkdir -p /fake/bin /fake/dev && cp /bin/busybox /fake/bin/ && ln -s busybox /fake/bin/sh && ln -s busybox /fake/bin/sleep'
      + ' && printf "#!/bin/sh\\necho FAKE-INIT-RAN\\n" > /fake/dev/.burrow-init && chmod 755 /fake/dev/.burrow-init'
      + ' && exec chroot /fake /bin/sleep 1000';
    const bounding = (await sh('grep CapBnd /proc/self/status')).stdout;
    expect(bounding).toMatch(/^CapBnd:\t[0-9a-f]{16}$/);
    for (const flags of [[], ['--init']]) {
      const started = await run(box, ['run', '-d', ...flags, busybox(), 'sh', '-c', plant]);
      expect(started.exitCode, started.stderr).toBe(0);
      const id = started.stdout.trim();
      const pid = (JSON.parse((await run(box, ['inspect', id])).stdout) as Array<{ State: { Pid: number } }>)[0]!.State.Pid;
      // Planted and chrooted: the job (PID 1, or under --init its child) now runs sleep in /fake.
      const jobIsChrooted = (): boolean => readdirSync('/proc').some((entry) => {
        try {
          return /^\d+$/.test(entry) && readFileSync(`/proc/${entry}/comm`, 'utf8') === 'sleep\n' && readlinkSync(`/proc/${entry}/ns/pid`) === readlinkSync(`/proc/${pid}/ns/pid`);
        } catch {
          return false;
        }
      });
      await until(jobIsChrooted, 15_000, `the job of ${flags.join(' ') || 'a plain run'} to chroot`);
      const exec = await run(box, ['exec', id, 'grep', '-E', '^(CapBnd|Seccomp|NoNewPrivs):', '/proc/self/status']);
      expect(exec.stdout, `${flags.join(' ')} ${exec.stderr}`).not.toContain('FAKE-INIT-RAN');
      // The real burrow-init ran: the container's bounding set, no_new_privs and the filter.
      expect(exec.stdout, flags.join(' ')).toBe(`${bounding}\nNoNewPrivs:\t1\nSeccomp:\t2`);
      // And in the container's real root, not the job's: there /fake is a directory of the image's upper layer.
      expect((await run(box, ['exec', id, 'sh', '-c', 'test -x /fake/dev/.burrow-init && test -d /fake/bin && echo real-root'])).stdout).toBe('real-root');
      await run(box, ['rm', '-f', id]);
    }
  });

  it('cannot ptrace exec\'s burrow-init before it has dropped the container\'s capabilities, even with CAP_SYS_PTRACE', async () => {
    // A job given SYS_PTRACE watches for burrow-init processes and attaches to each it sees
    // (runc's CVE-2016-9962). Each exec gets a deep new working directory to create, which keeps
    // burrow-init in its privileged setup long enough to be seen.
    const started = await run(box, ['run', '-d', '--cap-add', 'SYS_PTRACE', '-v', `${probe}:/probe:ro`, busybox(), '/probe', 'ptrace-init:12']);
    expect(started.exitCode, started.stderr).toBe(0);
    const id = started.stdout.trim();
    const deep = (index: number): string => `/tmp/${index}${'/d'.repeat(300)}`;
    for (let index = 0; index < 12; index++) {
      const exec = await run(box, ['exec', '-w', deep(index), id, 'true']);
      // The watcher may have finished first: then the container has too.
      if (exec.exitCode !== 0) expect(exec.stderr).toMatch(/is not running/);
    }
    expect((await run(box, ['wait', id], { timeout: 60_000 })).stdout).toBe('0');
    const logs = (await run(box, ['logs', id])).stdout;
    const [, seen, attached] = /^ptrace-init: seen (\d+), attached (\d+)$/m.exec(logs) ?? [];
    expect(Number(seen), logs).toBeGreaterThan(0);
    expect(attached, logs).toBe('0');
    expect(parseProbeAnswers(logs)['ptrace-init:12']).toBe('EPERM');
    await run(box, ['rm', id]);
  }, 60_000);
});

describe('other users of the host', () => {
  it('see neither the job\'s environment on a command line nor the container\'s record', async () => {
    const secret = `s3cr3t-${process.pid}-token`;
    const started = await run(box, ['run', '-d', '--name', 'env-secret', '-e', `CI_TOKEN=${secret}`, busybox(), 'sleep', '60']);
    expect(started.exitCode, started.stderr).toBe(0);
    expect((await run(box, ['exec', 'env-secret', 'sh', '-c', 'echo $CI_TOKEN'])).stdout).toBe(secret);
    // Every command line on the host: the monitor's, the launcher's, bubblewrap's, the job's.
    const commandLines = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      } catch {
        return '';
      }
    });
    expect(commandLines.filter((line) => line.includes(secret))).toEqual([]);
    const id = (JSON.parse((await run(box, ['inspect', 'env-secret'])).stdout) as Array<{ Id: string }>)[0]!.Id;
    expect(statSync(join(box.root, 'containers', id)).mode & 0o077).toBe(0);
    await run(box, ['rm', '-f', 'env-secret']);
  });

  it('cannot reach the store, even one whose directory a CI cache step made world-readable', async () => {
    const cached = sandbox();
    mkdirSync(cached.root, { mode: 0o755 });
    chmodSync(cached.root, 0o755);
    expect((await run(cached, ['pull', '-q', busybox()])).exitCode).toBe(0);
    // Layers hold images' setuid files, owned by the user on the host.
    expect(statSync(cached.root).mode & 0o077).toBe(0);
  });
});

describe('escape suite: the kernel', () => {
  it('refuses mounts and remounts: root, /proc, new file systems', async () => {
    // Each attempt's exit status, then whether the root is still read-only and /mnt untouched.
    const attempts = ['mount -o remount,rw /', 'mount -o remount,rw /proc', 'mount -t tmpfs none /mnt', 'mount -t proc proc /mnt', 'mount --bind /etc /mnt'];
    const result = await sh(`${attempts.map((attempt) => `${attempt} 2>/dev/null; echo $?`).join('; ')}; touch /x 2>&1; grep -c " /mnt " /proc/mounts`, ['--read-only']);
    const lines = result.stdout.trim().split('\n');
    expect(lines.slice(0, attempts.length).every((status) => status !== '0'), result.stdout).toBe(true);
    expect(lines).toHaveLength(attempts.length + 2);
    expect(lines.at(-2)).toMatch(/Read-only file system/);
    expect(lines.at(-1)).toBe('0');
  });

  it('refuses modules, the clock, reboot, keys, bpf, userfaultfd and perf events', async () => {
    const names = ['init_module', 'finit_module', 'settimeofday', 'settime', 'reboot', 'keyctl', 'add_key', 'request_key', 'bpf', 'userfaultfd', 'perf_event_open', 'swapon', 'acct', 'mount'];
    const verdict = await attempt(names);
    for (const name of names) expect(verdict[name], name).toBe('EPERM');
    const before = Date.now();
    const clock = await sh('date -s "2000-01-01 00:00:00" 2>&1; date -s "2099-01-01 00:00:00" 2>&1; hwclock -w 2>&1; reboot -f 2>&1; echo still-here');
    expect(clock.stdout).toContain('still-here');
    expect(clock.stdout).toMatch(/date: can't set date: Operation not permitted/);
    // The host's clock is untouched: neither set back nor forward (an hour is far more than the attempt takes).
    const after = Date.now();
    expect(after).toBeGreaterThanOrEqual(before);
    expect(after - before).toBeLessThan(60 * 60 * 1000);
  });

  it('refuses a new user namespace while the default profile is on (and only then)', async () => {
    const confined = await attempt(['unshare-user', 'clone-newuser', 'clone3', 'fork', 'thread']);
    expect(confined).toMatchObject({ 'unshare-user': 'EPERM', 'clone-newuser': 'EPERM', clone3: 'ENOSYS', fork: 'ok', thread: 'ok' });
    expect((await sh('unshare -U true 2>&1; echo $?')).stdout.trim().split('\n').at(-1)).not.toBe('0');
    const unconfined = await attempt(['unshare-user'], ['--security-opt', 'seccomp=unconfined']);
    expect(unconfined['unshare-user']).toBe('ok');
  });

  it('hides Docker\'s masked /proc paths and keeps its read-only ones read-only', async () => {
    const result = await sh('for f in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug /proc/latency_stats; do [ -e $f ] && wc -c < $f; done; for f in /proc/sys/kernel/domainname /proc/sysrq-trigger /proc/sys/vm/drop_caches /proc/irq/default_smp_affinity; do [ -e $f ] && { echo x > $f; } 2>&1; done; true');
    const counts = result.stdout.split('\n').filter((line) => /^\d+$/.test(line));
    expect(counts.length).toBeGreaterThan(0);
    expect(counts.every((count) => count === '0')).toBe(true);
    const refusals = result.stdout.split('\n').filter((line) => /Read-only file system|Permission denied/.test(line));
    expect(refusals.length).toBeGreaterThanOrEqual(2);
  });
});

describe('seccomp and --privileged, as asked for', () => {
  it('--privileged lifts seccomp, the capability set and the masks, and stays inside the user namespace', async () => {
    const verdict = await attempt(['unshare-user', 'keyctl', 'mount'], ['--privileged']);
    expect(verdict['unshare-user']).toBe('ok');
    expect(verdict.keyctl).not.toBe('EPERM');
    // Docker's masks are mounts over /proc paths: none with --privileged.
    const result = await sh('grep CapEff /proc/self/status; grep -c -e " /proc/timer_list " -e " /proc/sys " /proc/self/mountinfo; cat /proc/self/uid_map | wc -l', ['--privileged']);
    const [capEff, masks, mapLines] = result.stdout.split('\n');
    expect(BigInt(`0x${capEff!.split('\t')[1]}`) & (1n << 21n)).not.toBe(0n);
    expect(masks).toBe('0');
    expect(mapLines).toBe('2');
    const inspected = await run(box, ['create', '--privileged', '--name', 'privileged-one', busybox(), 'true']);
    expect(inspected.exitCode, inspected.stderr).toBe(0);
    const hostConfig = (JSON.parse((await run(box, ['inspect', 'privileged-one'])).stdout) as Array<{ HostConfig: { Privileged: boolean; SecurityOpt: string[] } }>)[0]!.HostConfig;
    expect(hostConfig).toMatchObject({ Privileged: true, SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'] });
    await run(box, ['rm', 'privileged-one']);
  });

  it('refuses unknown --security-opt values and invalid profiles in one line, before the container exists', async () => {
    const containers = (): string[] => readdirSync(join(box.root, 'containers'));
    const before = containers();
    const unknown = await run(box, ['run', '--rm', '--security-opt', 'apparmor=docker-default', busybox(), 'true']);
    expect(expectOneLineError(unknown)).toMatch(/unsupported --security-opt "apparmor=docker-default"/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--security-opt', 'mystery', busybox(), 'true']))).toMatch(/unknown --security-opt "mystery"/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--security-opt', 'no-new-privileges=false', busybox(), 'true']))).toMatch(/cannot be turned off/);
    const bad = join(box.dir, 'bad-profile.json');
    writeFileSync(bad, JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 9, value: 1, op: 'SCMP_CMP_EQ' }] }] }));
    expect(expectOneLineError(await run(box, ['run', '--rm', '--security-opt', `seccomp=${bad}`, busybox(), 'true']))).toMatch(/bad-profile\.json.*syscalls\[0\]\.args\[0\]\.index/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--security-opt', `seccomp=${join(box.dir, 'none.json')}`, busybox(), 'true']))).toMatch(/none\.json/);
    expect(containers()).toEqual(before);
    // Accepted as Docker users write them, meaning what burrow does anyway.
    for (const option of ['no-new-privileges', 'no-new-privileges:true', 'label=disable', 'seccomp=unconfined']) {
      expect((await run(box, ['run', '--rm', '--security-opt', option, busybox(), 'true'])).exitCode, option).toBe(0);
    }
  });
});

describe('everyday programs under the default seccomp profile', () => {
  it('busybox applets', async () => {
    const result = await sh('set -e; cd /tmp; tar cf x.tar /etc 2>/dev/null; gzip x.tar; gunzip x.tar.gz; tar tf x.tar >/dev/null; seq 1 100 | sort -rn | head -1; echo abc | sed s/b/B/ | awk "{print toupper(\\$0)}"; find /etc -name passwd; ps >/dev/null; top -bn1 >/dev/null; sha256sum x.tar >/dev/null; timeout 5 sleep 0.1; date >/dev/null; mkfifo f; (echo through-fifo > f &); cat f; nproc >/dev/null; echo done');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('100\nABC\n/etc/passwd\nthrough-fifo\ndone');
  });

  describe('Debian', () => {
    beforeAll(async () => {
      const pulled = await run(box, ['pull', '-q', debian()], { timeout: 300_000 });
      expect(pulled.exitCode, `the Debian fixture (test/bed/debian-fixture.sh, built by install.sh): ${pulled.stderr}`).toBe(0);
    }, 300_000);

    it('apt-get in simulate mode, and dpkg', async () => {
      const result = await run(box, ['run', '--rm', debian(), 'sh', '-c', 'apt-get -s install hello && dpkg -l | grep -c "^ii"']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^Inst hello /m);
    });

    it('Python: threads, processes, subprocesses, sockets and a test suite', async () => {
      const suite = [
        'import unittest, threading, multiprocessing, subprocess, socket, os, tempfile',
        'def square(n): return n * n',
        'class Everyday(unittest.TestCase):',
        '    def test_threads(self):',
        '        out = []',
        '        ts = [threading.Thread(target=out.append, args=(i,)) for i in range(8)]',
        '        [t.start() for t in ts]; [t.join() for t in ts]',
        '        self.assertEqual(sorted(out), list(range(8)))',
        '    def test_processes(self):',
        '        with multiprocessing.Pool(4) as pool: self.assertEqual(pool.map(square, range(5)), [0, 1, 4, 9, 16])',
        '    def test_subprocess(self):',
        '        self.assertEqual(subprocess.run(["echo", "hi"], capture_output=True, text=True).stdout, "hi\\n")',
        '    def test_socketpair(self):',
        '        a, b = socket.socketpair(); a.sendall(b"ping"); self.assertEqual(b.recv(4), b"ping")',
        '    def test_files(self):',
        '        with tempfile.TemporaryDirectory() as d:',
        '            p = os.path.join(d, "f"); open(p, "w").write("x"); os.chmod(p, 0o600); self.assertEqual(open(p).read(), "x")',
        'unittest.main(verbosity=2)',
      ].join('\n');
      const result = await run(box, ['run', '--rm', '-i', debian(), 'python3', '-'], { input: suite });
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stderr).toMatch(/Ran 5 tests[\s\S]*OK/);
    });

    it('git', async () => {
      const result = await run(box, ['run', '--rm', '-w', '/work', debian(), 'sh', '-c', 'set -e; git init -q .; git config user.email ci@example.com; git config user.name CI; echo hello > f; git add f; git commit -qm first; git log --format=%s; git status --short | wc -l']);
      expect(result.exitCode, result.stderr).toBe(0);
      expect(result.stdout).toBe('first\n0');
    });
  });
});
