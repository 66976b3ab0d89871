import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupVersion, planSetup, readCgroupMounts, setup, userManagerDelegation, type HostPaths, type SetupUser } from '../../src/setup/index.js';

/**
 * `burrow setup`'s plan against temporary trees laid out like hosts' /proc,
 * /sys/fs/cgroup, /etc and systemd's unit directories (a simulation: mkdir in a
 * plain directory makes no cgroup files, and nothing here is a real cgroup). The
 * real cgroupfs is test/root/setup.test.ts's.
 */
const me: SetupUser = { name: 'alice', uid: process.getuid!(), gid: process.getgid!() };
const trees: string[] = [];
afterEach(() => {
  for (const tree of trees.splice(0)) rmSync(tree, { recursive: true, force: true });
});

const V1_MOUNTINFO = (root: string): string =>
  [
    `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755`,
    `32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct`,
    `34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset`,
    `35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory`,
    `36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices`,
    `39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids`,
    `40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd`,
    `41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`,
    `42 23 0:40 / ${root}/not-a-cgroup rw - ext4 /dev/vda rw`,
  ].join('\n');
const V2_MOUNTINFO = `30 23 0:27 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n`;

function fakeHost(options: { mountinfo: string; systemd?: boolean; userUnit?: string; dropIns?: Record<string, string> }): HostPaths {
  const root = mkdtempSync(join(tmpdir(), 'burrow-setup-sim-'));
  trees.push(root);
  const paths: HostPaths = {
    mountinfo: join(root, 'proc/self/mountinfo'),
    etc: join(root, 'etc'),
    systemdRunDir: join(root, 'run/systemd/system'),
    unitDirs: [join(root, 'usr/lib/systemd/system')],
    mountPrefix: root,
    procSys: join(root, 'proc/sys'),
    securityfs: join(root, 'sys/kernel/security'),
    binDirs: [join(root, 'usr/bin')],
    stateDir: join(root, 'var/lib/burrow/setup'),
    libexec: join(root, 'usr/local/lib/burrow'),
    apparmorDir: join(root, 'etc/apparmor.d'),
  };
  mkdirSync(join(root, 'proc/self'), { recursive: true });
  // Everything else setup gives is there already: its packages' programs, alice's subordinate ids.
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  for (const program of ['newuidmap', 'newgidmap', 'bwrap', 'fuse-overlayfs', 'pasta', 'unshare', 'apt-get']) writeFileSync(join(root, 'usr/bin', program), '');
  mkdirSync(paths.etc, { recursive: true });
  for (const file of ['subuid', 'subgid']) writeFileSync(join(paths.etc, file), 'alice:100000:65536\n');
  writeFileSync(paths.mountinfo, options.mountinfo);
  for (const mount of readCgroupMounts(paths).v1) mkdirSync(mount.mountPoint, { recursive: true });
  mkdirSync(join(root, 'sys/fs/cgroup/cpuset'), { recursive: true });
  writeFileSync(join(root, 'sys/fs/cgroup/cpuset/cpuset.cpus'), '0-3\n');
  writeFileSync(join(root, 'sys/fs/cgroup/cpuset/cpuset.mems'), '0\n');
  if (options.systemd === true) mkdirSync(paths.systemdRunDir, { recursive: true });
  if (options.userUnit !== undefined) {
    mkdirSync(paths.unitDirs[0]!, { recursive: true });
    writeFileSync(join(paths.unitDirs[0]!, 'user@.service'), options.userUnit);
  }
  for (const [name, text] of Object.entries(options.dropIns ?? {})) {
    const dir = join(paths.etc, 'systemd/system/user@.service.d');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return paths;
}

/** Runs setup the way the CLI does, recording the commands it shows. */
async function runSetup(paths: HostPaths, extra: { undo?: boolean; dryRun?: boolean; exec?: (file: string, args: string[]) => Promise<void> } = {}) {
  const commands: string[] = [];
  const result = await setup(me, {
    paths,
    privileged: true,
    onCommand: (command) => commands.push(command),
    // A fake tree's directories keep their files when "removed": cgroupfs's do not have any of their own.
    removeCgroup: async (dir) => rmSync(dir, { recursive: true }),
    ...extra,
  });
  return { ...result, commands };
}

describe('burrow setup on cgroup v1 (simulation: fake trees)', () => {
  it('reads the hierarchies burrow uses from mountinfo (co-mounted cpu,cpuacct once; devices, name=systemd and other file systems not)', () => {
    const paths = fakeHost({ mountinfo: V1_MOUNTINFO('/x') });
    const mounts = readCgroupMounts(paths);
    expect(mounts.v1.map((mount) => mount.mountPoint.slice(paths.mountPrefix.length))).toEqual(['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpuset', '/sys/fs/cgroup/memory', '/sys/fs/cgroup/pids']);
    expect(mounts.v1[0]!.controllers).toEqual(['cpu', 'cpuacct']);
    expect(cgroupVersion(mounts)).toBe('hybrid');
  });

  it('makes burrow-<uid> in each hierarchy, cpuset from the root, owned by the user; a second run has nothing to do', async () => {
    const paths = fakeHost({ mountinfo: V1_MOUNTINFO('/x') });
    const first = await runSetup(paths);
    const cg = join(paths.mountPrefix, 'sys/fs/cgroup');
    const name = `burrow-${me.uid}`;
    expect(first.commands).toContain(`mkdir ${cg}/memory/${name}`);
    expect(first.commands).toContain(`echo 0-3 > ${cg}/cpuset/${name}/cpuset.cpus`);
    expect(first.commands).toContain(`chown -R ${me.uid}:${me.gid} ${cg}/pids/${name}`);
    for (const hierarchy of ['cpu,cpuacct', 'cpuset', 'memory', 'pids']) expect(statSync(join(cg, hierarchy, name)).uid).toBe(me.uid);
    expect(existsSync(join(cg, 'devices', name))).toBe(false);
    expect(readFileSync(join(cg, 'cpuset', name, 'cpuset.cpus'), 'utf8').trim()).toBe('0-3');
    expect(readFileSync(join(cg, 'cpuset', name, 'cgroup.clone_children'), 'utf8').trim()).toBe('1');
    // No systemd as init here: nothing would make it again at boot, and setup says so.
    expect(first.notes.join('\n')).toMatch(/again after a reboot/);
    expect(existsSync(join(paths.etc, 'tmpfiles.d'))).toBe(false);

    const second = await runSetup(paths);
    expect(second.steps).toBe(0);
    expect(second.commands).toEqual([]);
    expect(second.nothing).toMatch(/^nothing to do: .*; alice's cgroup v1 subtree \(burrow-\d+\) is in place/);
  });

  it('plans only what is missing: an emptied cpuset.cpus is written again, nothing else', async () => {
    const paths = fakeHost({ mountinfo: V1_MOUNTINFO('/x') });
    await runSetup(paths);
    const cpus = join(paths.mountPrefix, `sys/fs/cgroup/cpuset/burrow-${me.uid}/cpuset.cpus`);
    writeFileSync(cpus, '');
    const plan = planSetup(me, { paths, tmpfiles: false });
    expect(plan.steps.map((step) => step.command)).toEqual([`echo 0-3 > ${cpus}`]);
  });

  it('--dry-run shows the commands and changes nothing', async () => {
    const paths = fakeHost({ mountinfo: V1_MOUNTINFO('/x') });
    const result = await runSetup(paths, { dryRun: true });
    expect(result.commands.length).toBeGreaterThan(4);
    expect(existsSync(join(paths.mountPrefix, `sys/fs/cgroup/memory/burrow-${me.uid}`))).toBe(false);
  });

  it('--undo removes the subtree, children (containers\' cgroups) first, and the tmpfiles file; then has nothing to do', async () => {
    const paths = fakeHost({ mountinfo: V1_MOUNTINFO('/x') });
    await runSetup(paths);
    const pids = join(paths.mountPrefix, `sys/fs/cgroup/pids/burrow-${me.uid}`);
    mkdirSync(join(pids, 'c1/inner'), { recursive: true });
    const undo = await runSetup(paths, { undo: true });
    const order = undo.commands.filter((command) => command.includes('/pids/'));
    expect(order).toEqual([`rmdir ${pids}/c1/inner`, `rmdir ${pids}/c1`, `rmdir ${pids}`]);
    expect(existsSync(pids)).toBe(false);
    expect((await runSetup(paths, { undo: true })).nothing).toMatch(/^nothing to do: burrow setup has made nothing for alice/);
  });

  it('where systemd is the init: the subtree through a tmpfiles.d file, made by the real systemd-tmpfiles', async () => {
    const paths = fakeHost({ mountinfo: V1_MOUNTINFO('/x'), systemd: true });
    const cpusetDir = join(paths.mountPrefix, `sys/fs/cgroup/cpuset/burrow-${me.uid}`);
    // systemd-tmpfiles' `w` writes only files that exist, as a new cgroup's do in
    // cgroupfs; in the fake tree they are made between its d and its w lines.
    const exec = async (file: string, args: string[]): Promise<void> => {
      await execa(file, args);
      for (const name of ['cpuset.cpus', 'cpuset.mems', 'cgroup.clone_children']) writeFileSync(join(cpusetDir, name), '');
      await execa(file, args);
    };
    const result = await runSetup(paths, { exec });
    const conf = join(paths.etc, 'tmpfiles.d/burrow-alice.conf');
    expect(result.commands.at(-1)).toBe(`systemd-tmpfiles --create ${conf}`);
    const text = readFileSync(conf, 'utf8');
    const cg = join(paths.mountPrefix, 'sys/fs/cgroup');
    expect(text).toContain(`d ${cg}/memory/burrow-${me.uid} 0755 ${me.uid} ${me.gid} -`);
    expect(text).toContain(`w ${cg}/cpuset/burrow-${me.uid}/cpuset.cpus - - - - 0-3`);
    expect(text).toContain(`Z ${cg}/pids/burrow-${me.uid} - ${me.uid} ${me.gid} -`);
    expect(readFileSync(join(cg, `cpuset/burrow-${me.uid}/cpuset.mems`), 'utf8').trim()).toBe('0');
    expect(result.notes).toEqual([]);
    expect((await runSetup(paths, { exec })).steps).toBe(0);
  });

  it('where systemd-tmpfiles makes nothing: by hand, the tmpfiles file goes, and setup says to run it again after a reboot', async () => {
    const paths = fakeHost({ mountinfo: V1_MOUNTINFO('/x'), systemd: true });
    const ran: string[] = [];
    const result = await runSetup(paths, { exec: async (file, args) => void ran.push([file, ...args].join(' ')) });
    expect(ran).toHaveLength(1);
    expect(existsSync(join(paths.etc, 'tmpfiles.d/burrow-alice.conf'))).toBe(false);
    expect(statSync(join(paths.mountPrefix, `sys/fs/cgroup/memory/burrow-${me.uid}`)).uid).toBe(me.uid);
    expect(result.notes.join('\n')).toMatch(/systemd-tmpfiles could not make the cgroup subtree here.*again after a reboot/);
  });
});

describe('burrow setup on cgroup v2 (simulation: fake trees)', () => {
  const STOCK_252 = '[Service]\nDelegate=pids memory cpu\n';
  const STOCK_249 = '[Service]\nDelegate=pids memory\n';

  it('reads the user manager\'s delegation as systemd does: lists add up, an empty line resets, yes means all', () => {
    expect(userManagerDelegation(fakeHost({ mountinfo: V2_MOUNTINFO, userUnit: STOCK_249 }))).toEqual(['memory', 'pids']);
    expect(userManagerDelegation(fakeHost({ mountinfo: V2_MOUNTINFO, userUnit: STOCK_249, dropIns: { 'a.conf': '[Service]\nDelegate=cpu\n' } }))).toEqual(['cpu', 'memory', 'pids']);
    expect(userManagerDelegation(fakeHost({ mountinfo: V2_MOUNTINFO, userUnit: STOCK_249, dropIns: { 'a.conf': '[Service]\nDelegate=\nDelegate=io\n' } }))).toEqual(['io']);
    expect(userManagerDelegation(fakeHost({ mountinfo: V2_MOUNTINFO, userUnit: '[Service]\nDelegate=yes\n' }))).toEqual(['cpu', 'cpuset', 'io', 'memory', 'pids']);
    expect(userManagerDelegation(fakeHost({ mountinfo: V2_MOUNTINFO }))).toBeUndefined();
  });

  it('systemd < 252 (no cpu, ubuntu-22.04): a user@.service drop-in delegating cpu cpuset io memory pids, then daemon-reload; a second run has nothing to do; --undo takes it away', async () => {
    const paths = fakeHost({ mountinfo: V2_MOUNTINFO, systemd: true, userUnit: STOCK_249 });
    const ran: string[] = [];
    const exec = async (file: string, args: string[]): Promise<void> => void ran.push([file, ...args].join(' '));
    const first = await runSetup(paths, { exec });
    const dropIn = join(paths.etc, 'systemd/system/user@.service.d/burrow-delegate.conf');
    expect(readFileSync(dropIn, 'utf8')).toMatch(/^\[Service\]\nDelegate=cpu cpuset io memory pids$/m);
    expect(first.commands.at(-1)).toBe('systemctl daemon-reload');
    expect(ran).toEqual(['systemctl daemon-reload']);
    expect(first.notes.join('\n')).toMatch(/it had memory pids/);
    expect(userManagerDelegation(paths)).toEqual(['cpu', 'cpuset', 'io', 'memory', 'pids']);

    const second = await runSetup(paths, { exec });
    expect(second.steps).toBe(0);
    expect(second.nothing).toContain('; the user manager delegates cpu cpuset io memory pids;');

    const undo = await runSetup(paths, { undo: true, exec });
    expect(undo.commands).toEqual([`rm ${dropIn}`, 'systemctl daemon-reload']);
    expect(existsSync(dropIn)).toBe(false);
  });

  it('systemd 252+ (cpu delegated) still lacks cpuset and io: the same drop-in', () => {
    const plan = planSetup(me, { paths: fakeHost({ mountinfo: V2_MOUNTINFO, systemd: true, userUnit: STOCK_252 }) });
    expect(plan.steps.map((step) => step.command.split('\n')[0])).toEqual([expect.stringMatching(/^mkdir -p /), expect.stringMatching(/^cat > .*burrow-delegate\.conf <<'EOF'$/), 'systemctl daemon-reload']);
  });

  it('no systemd user manager (a container\'s own delegated cgroup): nothing setup can add, and it says why', () => {
    const plan = planSetup(me, { paths: fakeHost({ mountinfo: V2_MOUNTINFO }) });
    expect(plan.steps).toEqual([]);
    expect(plan.nothing).toMatch(/no systemd user manager here/);
  });

  it('refuses to change anything when not privileged, but a dry run is fine', async () => {
    const paths = fakeHost({ mountinfo: V2_MOUNTINFO, systemd: true, userUnit: STOCK_249 });
    await expect(setup(me, { paths, privileged: false, onCommand: () => undefined })).rejects.toThrow(/run it as root \(sudo burrow setup\), or see what it would do with --dry-run/);
    const dry = await setup(me, { paths, privileged: false, dryRun: true, onCommand: () => undefined });
    expect(dry.steps).toBe(3);
  });
});
