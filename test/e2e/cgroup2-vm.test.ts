import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';

/**
 * burrow on a host like a GitHub ubuntu-24.04 runner: pure cgroup v2, systemd user
 * manager with a delegated subtree, user `runner` (uid 1001) with a subuid range.
 * shared/cgroup2-vm boots it under software emulation; one boot runs every check.
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const VM_TOOL = join(REPO, '..', 'shared', 'cgroup2-vm', 'run-in-vm.sh');
const VM_IMAGE = join(process.env.VM_CACHE ?? '/tmp/vm/cache', 'rootfs.img');
const available = existsSync(VM_TOOL) && existsSync(VM_IMAGE);
if (!available) {
  console.log(`cgroup2-vm: skipped: ${existsSync(VM_TOOL) ? `no VM image at ${VM_IMAGE}` : `no VM harness at ${VM_TOOL}`} (as root, test/bed/install.sh builds it with ../shared/cgroup2-vm/build-image.sh)`);
}

let share = '';
let output = '';

const SCRIPT = `
export PATH=/mnt/work/.vmbin:$PATH BURROW_ROOT=/tmp/store HOME=/tmp/home
mkdir -p $HOME; cd /mnt/work
b() { node bin/burrow.js "$@"; }
echo "cgroup=$(cat /proc/self/cgroup)"
echo "controllers=$(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"
b load -i busybox-docker.tar
b run --rm busybox sh -c 'echo "maps=$(cat /proc/self/uid_map | tr -s " " | tr "\\n" "|")"; echo "root=$(grep " / " /proc/mounts | cut -d" " -f3)"; echo "inside-cgroup=$(cat /proc/self/cgroup)"'
echo "run-status=$?"
b run -d --name svc busybox sh -c 'echo hello-from-svc; while true; do sleep 0.2; done' >/dev/null
sleep 2
echo "ps=$(b ps --format json | grep -c '"State":"running"')"
echo "logs=$(b logs svc)"
echo "exec=$(b exec svc sh -c 'echo $$')"
echo "exec-cgroup=$(b exec svc cat /proc/self/cgroup)"
b pause svc >/dev/null; echo "pause-status=$?"
echo "paused=$(b inspect svc | grep -c '"Paused": true')"
echo "ps-paused=$(b ps | grep -c '(Paused)')"
own=$(cut -d: -f3 /proc/self/cgroup); own=\${own%/burrow-leaf}
echo "frozen=$(cat /sys/fs/cgroup$own/burrow-[0-9a-f]*/cgroup.events | grep -c 'frozen 1')"
echo "exec-paused=$(b exec svc true 2>&1)"
b unpause svc >/dev/null; echo "unpaused=$(b inspect svc | grep -c '"Paused": false')"
b stop -t 1 svc >/dev/null; echo "stopped=$(b inspect svc | grep -c '"Status": "exited"')"
b rm svc >/dev/null; echo "left=$(b ps -a -q | wc -l)"
echo "fuse=$(b run --rm --storage-driver fuse-overlayfs busybox sh -c 'grep " / " /proc/mounts | cut -d" " -f3')"
b doctor --format json > /tmp/doctor.json; echo "doctor-status=$?"
echo "doctor=$(tr -d '\n' < /tmp/doctor.json)"
`;

beforeAll(async () => {
  if (!available) return;
  share = mkdtempSync(join(tmpdir(), 'burrow-vm-'));
  for (const entry of ['bin', 'build', 'node_modules', 'schemas', 'package.json']) cpSync(join(REPO, entry), join(share, entry), { recursive: true });
  // The VM image has no bubblewrap; the host's binary runs there (same Debian release).
  cpSync('/usr/bin/bwrap', join(share, '.vmbin', 'bwrap'));
  cpSync(bed().archives['busybox-docker'], join(share, 'busybox-docker.tar'));
  const result = await execa('bash', [VM_TOOL, SCRIPT], { env: { ...process.env, VM_SHARE_DIR: share, VM_SHARE_CHOWN: '1', VM_TIMING: '0' }, reject: false, timeout: 600_000 });
  output = `${String(result.stdout)}\n${String(result.stderr)}`;
}, 620_000);

afterAll(() => {
  if (share !== '') rmSync(share, { recursive: true, force: true });
});

const value = (key: string): string | undefined => new RegExp(`^${key}=(.*)$`, 'm').exec(output)?.[1];

describe.skipIf(!available)('on a pure cgroup v2 host (the GitHub runner VM)', () => {
  it('runs a container: the same id mapping, kernel overlay, its own cgroup namespace', () => {
    expect(value('cgroup'), output).toMatch(/^0::\/user\.slice\/.*\.scope$/);
    expect(value('maps')).toBe(' 0 1001 1| 1 100000 65536|');
    expect(value('root')).toBe('overlay');
    expect(value('inside-cgroup')).toBe('0::/');
    expect(value('run-status')).toBe('0');
    expect(value('fuse')).toBe('fuse.fuse-overlayfs');
  });

  it('pauses and unpauses a detached container with the cgroup v2 freezer', () => {
    expect(value('pause-status'), output).toBe('0');
    expect(value('paused')).toBe('1');
    expect(value('ps-paused')).toBe('1');
    // The kernel's own word: the container's cgroup is frozen.
    expect(value('frozen')).toBe('1');
    expect(value('exec-paused')).toMatch(/is paused: unpause it first/);
    expect(value('unpaused')).toBe('1');
  });

  it('manages a detached container: ps, logs, exec, stop, rm', () => {
    expect(value('ps'), output).toBe('1');
    expect(value('logs')).toBe('hello-from-svc');
    expect(value('exec')).toMatch(/^\d+$/);
    // exec'd processes join the container's cgroup (seen from its cgroup namespace: the root).
    expect(value('exec-cgroup')).toBe('0::/');
    expect(value('stopped')).toBe('1');
    expect(value('left')).toBe('0');
  });

  it('burrow doctor there (--format json): user namespace, newuidmap, subordinate ids, both overlays and the cgroup route pass; no network helper in the image is a warning, not a failure', () => {
    expect(value('doctor-status'), output).toBe('0');
    const report = JSON.parse(value('doctor') ?? '{}') as { ok: boolean; checks: Array<{ name: string; status: string; detail: string }>; cgroup: { version: string; route: string; controllers: string[]; enforced: string[] }; facts: { userns: { ok: boolean; mapped: number } } };
    const status = (name: string): string | undefined => report.checks.find((check) => check.name === name)?.status;
    expect(report.ok).toBe(true);
    expect(report.facts.userns).toMatchObject({ ok: true, mapped: 65_537 });
    for (const name of ['sysctls', 'user namespace', 'newuidmap', 'newgidmap', 'subuid', 'subgid', 'overlay', 'fuse', 'fuse-overlayfs', 'bwrap', 'cgroup']) expect(`${name}: ${status(name)}`).toBe(`${name}: ok`);
    expect(report.cgroup).toMatchObject({ version: 'v2', route: 'delegated-v2' });
    expect(report.cgroup.controllers).toEqual(expect.arrayContaining(['cpu', 'memory', 'pids']));
    // Stock systemd delegates no cpuset or io: those flags are refused, a warning naming what gives more.
    expect(status('limits')).toBe('warn');
    expect(report.cgroup.enforced).toEqual(expect.arrayContaining(['--memory', '--cpus', '--pids-limit', 'pause']));
    // The image has neither pasta nor slirp4netns.
    expect([status('pasta'), status('slirp4netns')]).toEqual(['warn', 'warn']);
  });
});
