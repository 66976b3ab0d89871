import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { diagnose, readFileFacts, type DoctorCheck, type HostFacts, type UsernsProbe } from '../../src/doctor/index.js';
import { userNamespaceFailure } from '../../src/userns/failure.js';
import { helperPaths, helperSource, planAll, planAllUndo, profileText, readCgroupMounts, setup, type HostPaths, type SetupUser } from '../../src/setup/index.js';

/**
 * doctor's decisions (which fixes it proposes) and setup's plan (what it would
 * do) against recorded host trees (test/fixtures/hosts/README.md): GitHub's
 * ubuntu-24.04 and ubuntu-22.04 runners (simulations: trees written from their
 * published descriptions), this Debian host (recorded), and one whose user has
 * no subordinate ids. What a tree cannot hold (the user-namespace proof, PATH,
 * /dev nodes) is given as the facts such a host would show, per test.
 */
const HOSTS = fileURLToPath(new URL('../fixtures/hosts/', import.meta.url));
const runner: SetupUser = { name: 'runner', uid: 1001, gid: 1001 };
// The test's own ids, so that setup's chown of the (fake) cgroup subtree works when the test is not root.
const debianUser: SetupUser = { name: 'burrowtest', uid: process.getuid!(), gid: process.getgid!() };
const trees: string[] = [];
afterEach(() => {
  for (const tree of trees.splice(0)) rmSync(tree, { recursive: true, force: true });
});

/** A writable copy of a recorded tree, and its HostPaths. */
function host(name: string): HostPaths {
  const root = mkdtempSync(join(tmpdir(), `burrow-host-${name}-`));
  trees.push(root);
  cpSync(join(HOSTS, name), root, { recursive: true });
  return {
    mountinfo: join(root, 'proc/self/mountinfo'),
    etc: join(root, 'etc'),
    systemdRunDir: join(root, 'run/systemd/system'),
    unitDirs: [join(root, 'usr/lib/systemd/system')],
    mountPrefix: root,
    procSys: join(root, 'proc/sys'),
    securityfs: join(root, 'sys/kernel/security'),
    binDirs: [join(root, 'usr/sbin'), join(root, 'usr/bin')],
    stateDir: join(root, 'var/lib/burrow/setup'),
    libexec: join(root, 'usr/local/lib/burrow'),
    apparmorDir: join(root, 'etc/apparmor.d'),
  };
}

/** A host's facts: its tree's, and what the rest of such a host shows (`live`). */
function factsOf(paths: HostPaths, user: SetupUser, live: { userns: UsernsProbe | undefined; programs?: Partial<HostFacts['programs']> }): HostFacts {
  return {
    kernel: '6.8.0-1021-azure',
    user,
    ...readFileFacts(paths, user),
    programs: { unshare: true, bwrap: true, 'fuse-overlayfs': true, pasta: true, slirp4netns: true, ...live.programs },
    newuidmap: { found: true, setuidRoot: true },
    newgidmap: { found: true, setuidRoot: true },
    userns: live.userns,
    bwrap: { version: 'bubblewrap 0.9.0' },
    fuseDevice: undefined,
    tun: undefined,
    disk: { path: '/home/runner', freeBytes: 20 * 1024 ** 3 },
    cgroup: { version: 'v2', route: 'systemd-user', controllers: ['cpu', 'memory', 'pids'], reason: 'the systemd user manager delegates', enforced: ['--memory', '--cpus', '--pids-limit'], refused: [] },
  };
}

const check = (checks: DoctorCheck[], name: string): DoctorCheck => {
  const found = checks.find((entry) => entry.name === name);
  if (found === undefined) throw new Error(`no check ${name}: ${checks.map((entry) => entry.name).join(', ')}`);
  return found;
};
const made = (program = 'unshare'): UsernsProbe => ({ program, ok: true, mapped: 65_537, overlay: 'ok', fuseOverlayfs: 'ok' });
const commands = (paths: HostPaths, user: SetupUser, undo = false): string[] => (undo ? planAllUndo : planAll)(user, { paths }).steps.map((step) => step.command.split('\n')[0]!);

describe('ubuntu-24.04 runner (simulation: a tree written from GitHub\'s image; AppArmor restricts user namespaces)', () => {
  it('doctor: the sysctls and the user namespace fail, and the fix is setup\'s narrow profile, not the sysctl', () => {
    const paths = host('ubuntu-24.04-runner');
    const facts = factsOf(paths, runner, { userns: { program: 'unshare', ok: false, mapped: 0, error: 'cannot create a user namespace: the kernel refused it (Operation not permitted)' } });
    expect(facts.sysctls).toEqual({ maxUserNamespaces: 63698, unprivilegedUsernsClone: 1, apparmorRestrict: 1 });
    expect(facts.apparmor).toMatchObject({ enabled: true, profileInstalled: false, helper: { usable: false } });
    const checks = diagnose(facts);
    expect(check(checks, 'sysctls')).toMatchObject({ status: 'fail', fix: 'sudo burrow setup', detail: expect.stringMatching(/setup's narrow profile lets burrow's own helper alone through; sysctl -w kernel\.apparmor_restrict_unprivileged_userns=0 would lift the restriction for every program/) });
    // Never the sysctl as the fix.
    expect(checks.filter((entry) => /sysctl/.test(entry.fix ?? ''))).toEqual([]);
    expect(check(checks, 'user namespace')).toMatchObject({ status: 'fail', fix: 'sudo burrow setup' });
    expect(check(checks, 'subuid').status).toBe('ok');
  });

  it('setup: packages (passt, as 24.04 has it), the user manager\'s delegation, then the helper copy and the profile; nothing for subordinate ids', () => {
    const paths = host('ubuntu-24.04-runner');
    const libexec = paths.libexec;
    const profile = join(paths.apparmorDir, 'burrow');
    expect(commands(paths, runner)).toEqual([
      'apt-get update',
      'apt-get install -y --no-install-recommends bubblewrap fuse-overlayfs passt',
      `mkdir -p ${paths.stateDir} && echo '{"packages":["bubblewrap","fuse-overlayfs","passt"]}' > ${paths.stateDir}/runner.json`,
      `mkdir -p ${paths.etc}/systemd/system/user@.service.d`,
      `cat > ${paths.etc}/systemd/system/user@.service.d/burrow-delegate.conf <<'EOF'`,
      'systemctl daemon-reload',
      `install -d -m 0755 ${libexec}`,
      `install -d -m 0750 -o root -g 1001 ${libexec}/1001`,
      `install -m 0755 -o root -g root ${helperSource()} ${libexec}/1001/burrow-userns`,
      `cat > ${profile} <<'EOF'`,
      `apparmor_parser -r ${profile}`,
    ]);
  });

  it('doctor after setup: the profile lets burrow\'s helper through, and the namespace it makes passes', () => {
    const paths = host('ubuntu-24.04-runner');
    // What setup leaves (its own steps need root: chown to root); the helper is a copy of this build's burrow-userns.
    const helper = helperPaths(paths.libexec, runner).helper;
    mkdirSync(join(helper, '..'), { recursive: true });
    cpSync(helperSource(), helper);
    chmodSync(helper, 0o755);
    writeFileSync(join(paths.apparmorDir, 'burrow'), profileText());
    const checks = diagnose(factsOf(paths, runner, { userns: made(helper) }));
    expect(check(checks, 'sysctls')).toMatchObject({ status: 'ok', detail: expect.stringContaining(`burrow's profile lets its helper ${helper} through`) });
    expect(check(checks, 'user namespace')).toMatchObject({ status: 'ok', detail: `made by ${helper}, as a container start makes it (ids 0-65536 mapped)` });
    expect(checks.filter((entry) => entry.status !== 'ok')).toEqual([]);
    // Installed but refused (the profile not loaded): setup again, which loads it.
    const refused = diagnose(factsOf(paths, runner, { userns: { program: helper, ok: false, mapped: 0, error: 'cannot create a user namespace: AppArmor restricts them' } }));
    expect(check(refused, 'sysctls')).toMatchObject({ status: 'fail', detail: expect.stringMatching(/could not make one \(is the profile loaded\?\)$/), fix: 'sudo burrow setup' });
    expect(check(refused, 'user namespace')).toMatchObject({ status: 'fail', fix: 'sudo burrow setup' });
    // A helper copied from an older burrow: setup again.
    writeFileSync(helper, 'older');
    expect(check(diagnose(factsOf(paths, runner, { userns: made(helper) })), 'user namespace')).toMatchObject({ status: 'warn', fix: 'sudo burrow setup' });
  });
});

describe('ubuntu-22.04 runner (simulation: a tree written from GitHub\'s image)', () => {
  it('doctor: user namespaces allowed, but newuidmap missing (util-linux 2.37 does not matter: burrow-userns maps the ids): the fix installs uidmap', () => {
    const paths = host('ubuntu-22.04-runner');
    // What burrow-userns says when newuidmap cannot be run, as the probe words it.
    const error = userNamespaceFailure('burrow-userns: cannot run newuidmap: No such file or directory\n');
    expect(error).toMatch(/^cannot run newuidmap \(No such file or directory\).*apt-get install uidmap/);
    const program = helperSource();
    const facts = factsOf(paths, runner, { userns: { program, ok: false, mapped: 0, error: error!.replace(/; run 'burrow doctor'$/, '') } });
    const checks = diagnose(facts);
    expect(check(checks, 'sysctls')).toMatchObject({ status: 'ok', detail: expect.stringContaining('kernel.apparmor_restrict_unprivileged_userns=0') });
    expect(check(checks, 'user namespace')).toMatchObject({ status: 'fail', fix: 'sudo apt-get install uidmap' });
  });

  it('setup: slirp4netns (22.04 has no passt) and the drop-in for systemd 249; no AppArmor profile', () => {
    const paths = host('ubuntu-22.04-runner');
    const planned = commands(paths, runner);
    expect(planned.slice(0, 2)).toEqual(['apt-get update', 'apt-get install -y --no-install-recommends bubblewrap fuse-overlayfs slirp4netns']);
    expect(planned).toContain('systemctl daemon-reload');
    expect(planned.filter((command) => /apparmor|install -d|usermod/.test(command))).toEqual([]);
  });
});

describe('this Debian 12 host (recorded tree)', () => {
  it('doctor: the one sysctl it has allows user namespaces, no AppArmor; everything passes with what this host shows', () => {
    const paths = host('debian-12-host');
    const facts = factsOf(paths, debianUser, { userns: made() });
    expect(facts.sysctls).toEqual({ maxUserNamespaces: 96549, unprivilegedUsernsClone: undefined, apparmorRestrict: undefined });
    expect(facts.apparmor.enabled).toBe(false);
    expect(diagnose(facts).filter((entry) => entry.status !== 'ok')).toEqual([]);
  });

  it('setup: nothing to install, no ids to add, no profile: only the cgroup v1 subtree', () => {
    const planned = commands(host('debian-12-host'), debianUser);
    expect(planned.length).toBeGreaterThan(0);
    expect(planned.every((command) => new RegExp(`^(mkdir|echo|chown) .*burrow-${debianUser.uid}`).test(command)), planned.join('\n')).toBe(true);
  });

  it('doctor with a sysctl that allows none (simulated: max_user_namespaces 0 in the tree): fail, the sysctl command, and no proof tried', () => {
    const paths = host('debian-12-host');
    writeFileSync(join(paths.procSys, 'user/max_user_namespaces'), '0\n');
    const checks = diagnose(factsOf(paths, debianUser, { userns: undefined }));
    expect(check(checks, 'sysctls')).toMatchObject({ status: 'fail', fix: 'sudo sysctl -w user.max_user_namespaces=28633' });
    expect(check(checks, 'user namespace')).toMatchObject({ status: 'fail', detail: 'not tried: the sysctls above allow none' });
  });
});

describe('a host whose user has no subordinate ids (recorded Debian tree, its subuid without the user)', () => {
  it('doctor: subuid and subgid warn, one id mapped, with the usermod command for a free range', () => {
    const paths = host('no-subuid');
    const checks = diagnose(factsOf(paths, debianUser, { userns: { ...made(), mapped: 1 } }));
    expect(check(checks, 'subuid')).toMatchObject({ status: 'warn', fix: 'sudo usermod --add-subuids 196608-262143 burrowtest' });
    expect(check(checks, 'subgid')).toMatchObject({ status: 'warn', fix: 'sudo usermod --add-subgids 196608-262143 burrowtest' });
    expect(check(checks, 'user namespace').detail).toMatch(/only your own id mapped/);
    expect(diagnose(factsOf(paths, debianUser, { userns: { ...made(), mapped: 1 } })).some((entry) => entry.status === 'fail')).toBe(false);
  });

  it('setup adds a range above every other (usermod, recorded for --undo); a second run adds none; --undo takes exactly it away', async () => {
    const paths = host('no-subuid');
    // usermod, simulated on the tree's files: the same lines shadow's usermod appends or removes.
    const ran: string[] = [];
    const exec = async (file: string, args: string[]): Promise<void> => {
      ran.push([file, ...args].join(' '));
      if (file !== 'usermod') return;
      const user = args.at(-1)!;
      for (let at = 0; at < args.length - 1; at += 2) {
        const [flag, span] = [args[at]!, args[at + 1]!];
        const [start, end] = span.split('-').map(Number) as [number, number];
        const target = join(paths.etc, flag.includes('uid') ? 'subuid' : 'subgid');
        const line = `${user}:${start}:${end - start + 1}`;
        const lines = readFileSync(target, 'utf8').split('\n').filter((entry) => entry !== '');
        writeFileSync(target, `${(flag.startsWith('--add') ? [...lines, line] : lines.filter((entry) => entry !== line)).join('\n')}\n`);
      }
    };
    // The tree's cgroup v1 hierarchies as directories (cpuset with cpus and memory nodes to hand down), for the cgroup part.
    for (const mount of readCgroupMounts(paths).v1) mkdirSync(mount.mountPoint, { recursive: true });
    writeFileSync(join(paths.mountPrefix, 'sys/fs/cgroup/cpuset/cpuset.cpus'), '0-1\n');
    writeFileSync(join(paths.mountPrefix, 'sys/fs/cgroup/cpuset/cpuset.mems'), '0\n');
    const options = { paths, privileged: true, onCommand: () => undefined, exec, removeCgroup: async (dir: string) => rmSync(dir, { recursive: true }) };
    await setup(debianUser, options);
    expect(ran[0]).toBe('usermod --add-subuids 196608-262143 --add-subgids 196608-262143 burrowtest');
    expect(readFileSync(join(paths.etc, 'subuid'), 'utf8')).toBe('someone:100000:65536\nburrowtest:196608:65536\n');
    expect(JSON.parse(readFileSync(join(paths.stateDir, 'burrowtest.json'), 'utf8'))).toEqual({ subuid: { start: 196608, count: 65536 }, subgid: { start: 196608, count: 65536 } });
    expect(commands(paths, debianUser).filter((command) => command.startsWith('usermod'))).toEqual([]);
    expect(check(diagnose(factsOf(paths, debianUser, { userns: made() })), 'subuid').status).toBe('ok');

    ran.length = 0;
    await setup(debianUser, { ...options, undo: true });
    expect(ran).toContain('usermod --del-subuids 196608-262143 --del-subgids 196608-262143 burrowtest');
    expect(readFileSync(join(paths.etc, 'subuid'), 'utf8')).toBe('someone:100000:65536\n');
    expect(existsSync(join(paths.stateDir, 'burrowtest.json'))).toBe(false);
  });
});
