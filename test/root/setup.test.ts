import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_PATHS, helperSource, planAppArmor, planAppArmorUndo, PROFILE_NAME, profileText, readCgroupMounts, type HostPaths, type SetupUser } from '../../src/setup/index.js';
import { BURROW_LIBEXEC } from '../../src/util/host-tools.js';
import { BURROW_BIN, expectOneLineError, run, sandbox } from '../helpers/cli.js';

/**
 * `burrow setup` for real, as root, on this machine's cgroup v1 hierarchies
 * (test/bed/run-tests.sh runs test/root/ as root, before the rest as the test
 * user). It works for the user `nobody` (burrow-65534 at each hierarchy's root: a
 * name only this test uses, never the bed's burrow-<uid of burrowtest>) and takes
 * it all away again with --undo.
 */
const isRoot = process.getuid?.() === 0;
const mounts = readCgroupMounts().v1;
const hierarchies = mounts.map((mount) => mount.mountPoint);
const pids = mounts.find((mount) => mount.controllers.includes('pids'))?.mountPoint ?? '';
const NOBODY_UID = 65534;
const NAME = `burrow-${NOBODY_UID}`;
const box = sandbox();
const setup = (...args: string[]) => run(box, ['setup', '--user', 'nobody', ...args]);

afterAll(async () => {
  if (isRoot && hierarchies.length > 0) await setup('--undo');
});

describe.skipIf(!isRoot || hierarchies.length === 0)('burrow setup as root on this cgroup v1 host', () => {
  it('makes the per-user subtree in each hierarchy, printing each command; a second run has nothing to do', async () => {
    for (const dir of hierarchies) expect(existsSync(join(dir, NAME)), `${dir}/${NAME} exists before the test: someone else's?`).toBe(false);
    const first = await setup();
    expect(first.exitCode, first.stderr).toBe(0);
    for (const dir of hierarchies) {
      expect(first.stdout).toContain(`+ mkdir ${dir}/${NAME}\n`);
      expect(statSync(join(dir, NAME)).uid).toBe(NOBODY_UID);
      expect(statSync(join(dir, NAME, 'cgroup.procs')).uid).toBe(NOBODY_UID);
    }
    const cpuset = hierarchies.find((dir) => existsSync(join(dir, 'cpuset.cpus')))!;
    expect(readFileSync(join(cpuset, NAME, 'cpuset.cpus'), 'utf8')).toBe(readFileSync(join(cpuset, 'cpuset.cpus'), 'utf8'));
    expect(readFileSync(join(cpuset, NAME, 'cgroup.clone_children'), 'utf8').trim()).toBe('1');

    // nobody has no subordinate ids: setup adds a range with usermod and records it for --undo.
    expect(first.stdout).toMatch(/^\+ usermod --add-subuids \d+-\d+ --add-subgids \d+-\d+ nobody$/m);
    expect(readFileSync('/etc/subuid', 'utf8')).toMatch(/^nobody:\d+:65536$/m);
    expect(JSON.parse(readFileSync('/var/lib/burrow/setup/nobody.json', 'utf8'))).toMatchObject({ subuid: { count: 65536 }, subgid: { count: 65536 } });

    const second = await setup();
    expect(second.exitCode).toBe(0);
    expect(second.stdout).not.toContain('+ ');
    expect(second.stdout).toMatch(new RegExp(`^nothing to do: the packages burrow uses are installed; nobody has subordinate ids; nobody's cgroup v1 subtree \\(${NAME}\\) is in place; AppArmor does not restrict user namespaces here`, 'm'));
  });

  it('the user can then make a child cgroup, limit it and move a process of its own in (what the delegated-v1 route does)', async () => {
    const child = join(pids, NAME, 'probe');
    const result = await execa('runuser', ['-u', 'nobody', '--', 'sh', '-c', `mkdir ${child} && echo 7 > ${child}/pids.max && echo $$ > ${child}/cgroup.procs && grep pids /proc/self/cgroup`], { reject: false });
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toMatch(new RegExp(`:pids:.*/${NAME}/probe$`));
    expect(readFileSync(join(child, 'pids.max'), 'utf8').trim()).toBe('7');
  });

  it('--dry-run of --undo prints the removals (children first) and removes nothing; --undo removes it all', async () => {
    const dry = await setup('--undo', '--dry-run');
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout.indexOf(`+ rmdir ${pids}/${NAME}/probe\n`)).toBeGreaterThanOrEqual(0);
    expect(dry.stdout.indexOf(`+ rmdir ${pids}/${NAME}/probe\n`)).toBeLessThan(dry.stdout.indexOf(`+ rmdir ${pids}/${NAME}\n`));
    expect(existsSync(join(pids, NAME, 'probe'))).toBe(true);

    const undo = await setup('--undo');
    expect(undo.exitCode, undo.stderr).toBe(0);
    for (const dir of hierarchies) expect(existsSync(join(dir, NAME))).toBe(false);
    expect(undo.stdout).toMatch(/^\+ usermod --del-subuids \d+-\d+ --del-subgids \d+-\d+ nobody$/m);
    expect(readFileSync('/etc/subuid', 'utf8')).not.toMatch(/^nobody:/m);
    expect(existsSync('/var/lib/burrow/setup/nobody.json')).toBe(false);
    expect((await setup('--undo')).stdout).toContain('nothing to do: burrow setup has made nothing for nobody here');
  });

  it('--dry-run prints every command and changes nothing (no range is added)', async () => {
    const dry = await setup('--dry-run');
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^\+ usermod --add-subuids /m);
    expect(dry.stdout).toMatch(/^dry run: \d+ commands not run$/m);
    expect(readFileSync('/etc/subuid', 'utf8')).not.toMatch(/^nobody:/m);
  });

  it('bad input is one line: an unknown user, root itself', async () => {
    expect(expectOneLineError(await run(box, ['setup', '--user', 'no-such-user-here']))).toBe('burrow: there is no user "no-such-user-here" on this host: pass --user with an existing user\'s name');
    expect(expectOneLineError(await run(box, ['setup', '--user', 'root']))).toMatch(/not root: pass --user NAME/);
  });
});

/**
 * The AppArmor part for real as root, with its kernel side simulated (this kernel
 * has no AppArmor: /proc/sys and securityfs are a tree saying it restricts user
 * namespaces, the profile goes to a temporary /etc/apparmor.d, apparmor_parser -r
 * is recorded, not run): the helper copy goes to the real /usr/local/lib/burrow,
 * for `nobody`, and burrow then runs it (doctor says so, as nobody), while another
 * user cannot run it.
 */
describe.skipIf(!isRoot)('burrow setup\'s AppArmor helper as root (simulation: the restriction read from a tree)', () => {
  const helper = `${BURROW_LIBEXEC}/${NOBODY_UID}/burrow-userns`;
  const tree = mkdtempSync(join(tmpdir(), 'burrow-apparmor-host-'));
  const paths: HostPaths = { ...HOST_PATHS, procSys: join(tree, 'proc/sys'), securityfs: join(tree, 'security'), apparmorDir: join(tree, 'apparmor.d'), stateDir: join(tree, 'state') };
  mkdirSync(join(tree, 'proc/sys/kernel'), { recursive: true });
  writeFileSync(join(tree, 'proc/sys/kernel/apparmor_restrict_unprivileged_userns'), '1\n');
  mkdirSync(join(tree, 'security/apparmor'), { recursive: true });
  const nobody: SetupUser = { name: 'nobody', uid: NOBODY_UID, gid: 65534 };
  const ran: string[] = [];
  const exec = async (file: string, args: string[]): Promise<void> => void ran.push([file, ...args].join(' '));
  const libexecWasThere = existsSync(BURROW_LIBEXEC);

  afterAll(async () => {
    for (const step of planAppArmorUndo(nobody, { paths, exec })) await step.run();
    rmSync(tree, { recursive: true, force: true });
  });

  it.skipIf(existsSync(helper))('installs a root-owned copy of burrow-userns only nobody can run, and the profile; a second run has nothing to do', async () => {
    const plan = planAppArmor(nobody, { paths, exec });
    for (const step of plan.steps) await step.run();
    expect(ran).toEqual([expect.stringMatching(new RegExp(`^(/usr)?/sbin/apparmor_parser -r ${join(tree, 'apparmor.d/burrow')}$`))]);
    const dir = statSync(join(BURROW_LIBEXEC, String(NOBODY_UID)));
    expect([dir.uid, dir.gid, dir.mode & 0o7777]).toEqual([0, 65534, 0o750]);
    const copy = statSync(helper);
    expect([copy.uid, copy.gid, copy.mode & 0o7777]).toEqual([0, 0, 0o755]);
    expect(readFileSync(helper).equals(readFileSync(helperSource()))).toBe(true);
    expect(readFileSync(join(tree, 'apparmor.d/burrow'), 'utf8')).toBe(profileText());
    // The kernel now lists the profile (simulated): nothing left to do.
    writeFileSync(join(tree, 'security/apparmor/profiles'), `${PROFILE_NAME} (unconfined)\n`);
    expect(planAppArmor(nobody, { paths, exec }).steps).toEqual([]);
  });

  it('burrow runs the copy: doctor, as nobody, made its user namespace with it', async () => {
    const result = await execa('runuser', ['-u', 'nobody', '--', process.execPath, BURROW_BIN, 'doctor', '--format', 'json'], { reject: false, env: { BURROW_ROOT: join(tree, 'store'), PATH: process.env.PATH ?? '' }, extendEnv: false });
    const report = JSON.parse(String(result.stdout)) as { facts: { userns: { program: string; ok: boolean } } };
    expect(report.facts.userns).toMatchObject({ program: helper, ok: true });
  });

  it('another user cannot run it (the restriction stays for everyone else): permission denied', async () => {
    const other = await execa('runuser', ['-u', 'daemon', '--', helper, '--user', 'true'], { reject: false });
    expect(other.exitCode).not.toBe(0);
    expect(String(other.stderr)).toMatch(/Permission denied/);
    // One who can reach it (its directory is open to nobody's group; root here) is refused by the copy itself.
    const reached = await execa(helper, ['--self-map', '0', '0', '--', '/bin/true'], { reject: false });
    expect(reached.exitCode).toBe(1);
    expect(String(reached.stderr)).toBe(`burrow-userns: this copy is for uid ${NOBODY_UID} alone (run 'sudo burrow setup' for your own user)`);
  });

  it('--undo takes the copy away (and the directory, when no other user has one)', async () => {
    for (const step of planAppArmorUndo(nobody, { paths, exec })) await step.run();
    expect(existsSync(helper)).toBe(false);
    expect(existsSync(join(tree, 'apparmor.d/burrow'))).toBe(false);
    expect(existsSync(BURROW_LIBEXEC)).toBe(libexecWasThere);
  });
});
