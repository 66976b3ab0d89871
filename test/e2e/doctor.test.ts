import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { bedSubtree, V1_HOST } from '../helpers/cgroup.js';
import { BURROW_BIN, expectOneLineError, run, sandbox, type CliResult } from '../helpers/cli.js';

/**
 * `burrow doctor` as the unprivileged test user on this machine. Everything the
 * bed gives passes; a missing program is simulated by a PATH without it (links to
 * every other host program), a missing subordinate range and a sysctl that allows
 * no user namespace in a user and mount namespace of the test's own (as
 * prerequisites.test.ts does). With the bed's delegated cgroup v1 subtree
 * (test/bed/cgroup-v1.sh) it finds route delegated-v1; with BURROW_CGROUP_ROUTE=none
 * it names the one command that gives more.
 */
const box = sandbox();
const delegated = V1_HOST && bedSubtree('pids') !== undefined;
const work = mkdtempSync(join(tmpdir(), 'burrow-doctor-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Check { name: string; status: string; detail: string; fix?: string }
interface Report {
  ok: boolean;
  checks: Check[];
  cgroup: { version: string; route: string; controllers: string[]; enforced: string[]; refused: string[]; more?: string };
  facts: { userns?: { program: string; ok: boolean; mapped: number }; sysctls: Record<string, number | undefined> };
  durationMs: number;
}

const ALL_CHECKS = ['kernel', 'sysctls', 'user namespace', 'newuidmap', 'newgidmap', 'subuid', 'subgid', 'overlay', 'fuse', 'fuse-overlayfs', 'bwrap', 'pasta', 'slirp4netns', 'tun', 'cgroup', 'limits', 'disk'];
const HOST_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** A PATH with every host program except `missing`. */
function pathWithout(...missing: string[]): string {
  const bin = join(work, `without-${missing.join('-')}`);
  if (existsSync(bin)) return bin;
  mkdirSync(bin);
  for (const dir of HOST_BIN_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (!missing.includes(name) && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
  }
  return bin;
}

const json = async (env: Record<string, string> = {}): Promise<Report> => JSON.parse((await run(box, ['doctor', '--format', 'json'], { env })).stdout) as Report;
const find = (report: Report, name: string): Check => report.checks.find((check) => check.name === name)!;

/**
 * burrow in a user and mount namespace of the test's own, after `setup` (a shell
 * line, as its root), with the test user mapped back unless `asRoot` (a sysctl of
 * 0 there would refuse the mapping back its own namespace).
 */
async function nested(setup: string, args: string[], asRoot = false): Promise<CliResult> {
  const { uid, gid } = userInfo();
  const then = asRoot ? 'exec "$@"' : `exec unshare --user --map-user=${uid} --map-group=${gid} -- "$@"`;
  const result = await execa('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c', `${setup} && ${then}`, 'sh', process.execPath, BURROW_BIN, ...args], {
    env: { ...process.env, ...box.env }, extendEnv: false, reject: false, timeout: 60_000, stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('burrow doctor', () => {
  it('a status line per check, the user namespace made as a container start makes it, and exit 0 when everything run needs is there', async () => {
    const result = await run(box, ['doctor']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => /^(ok|warn|fail) /.test(line));
    expect(lines.map((line) => line.slice(6).trim().split(/\s{2,}/)[0])).toEqual(ALL_CHECKS);
    // The bed: subuid ranges of 65536, setuid uidmap, kernel overlay and fuse-overlayfs in a user namespace, both network helpers, /dev/net/tun 0666.
    expect(lines.filter((line) => !line.startsWith('ok '))).toEqual([]);
    expect(result.stdout).toMatch(/^ok {4}user namespace +made by \S+\/build\/native\/burrow-userns, as a container start makes it \(ids 0-65536 mapped\)$/m);
    expect(result.stdout).toMatch(/^ok {4}sysctls +user\.max_user_namespaces=\d+.*: unprivileged user namespaces are allowed$/m);
    expect(result.stdout).toMatch(/^ok {4}newuidmap +setuid root$/m);
    expect(result.stdout).toMatch(/^ok {4}overlay +the kernel's overlayfs mounts in burrow's user namespace$/m);
    expect(result.stdout).toMatch(/^ok {4}fuse-overlayfs +mounts in burrow's user namespace$/m);
    expect(result.stdout).toMatch(/^ok {4}bwrap +bubblewrap \d+\.\d+/m);
    expect(result.stdout).toMatch(/^ok {4}disk +[\d.]+ GiB free under \//m);
    expect(result.stdout).toMatch(/^burrow can run containers here \(\d+ ms\)$/m);
    // doctor makes no store, and leaves no scratch directory of its probe where there is one.
    expect(existsSync(box.env.BURROW_ROOT!)).toBe(false);
    mkdirSync(box.env.BURROW_ROOT!, { recursive: true });
    expect((await run(box, ['doctor'])).exitCode).toBe(0);
    expect(readdirSync(box.env.BURROW_ROOT!)).toEqual([]);
  });

  it('--format json: the checks, the facts they were decided from, and ok', async () => {
    const report = await json();
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.name)).toEqual(ALL_CHECKS);
    expect(report.facts.userns).toMatchObject({ program: expect.stringMatching(/\/build\/native\/burrow-userns$/), ok: true, mapped: 65_537 });
    expect(report.facts.sysctls.maxUserNamespaces).toBeGreaterThan(0);
    expect(typeof report.durationMs).toBe('number');
  });

  it.skipIf(!delegated)('with the delegated v1 subtree: route delegated-v1, its controllers, and the flags they enforce', async () => {
    const report = await json();
    expect(report.cgroup).toMatchObject({ version: 'hybrid', route: 'delegated-v1' });
    expect(report.cgroup.controllers).toEqual(expect.arrayContaining(['memory', 'pids', 'cpu', 'freezer']));
    expect(report.cgroup.enforced).toEqual(expect.arrayContaining(['--memory', '--cpus', '--pids-limit', 'pause']));
    expect(find(report, 'cgroup')).toMatchObject({ status: 'ok' });
    const table = await run(box, ['doctor']);
    expect(table.stdout).toMatch(/^ok {4}cgroup +cgroup v1 \(hybrid.*route delegated-v1/m);
  });

  it('no network helper (simulated: a PATH without pasta and slirp4netns): warnings with the apt-get command, and still exit 0', async () => {
    const table = await run(box, ['doctor'], { env: { PATH: pathWithout('pasta', 'slirp4netns') } });
    expect(table.exitCode, table.stdout).toBe(0);
    expect(table.stdout).toMatch(/^warn {2}pasta +pasta is not installed: containers run without a network/m);
    expect(table.stdout).toMatch(/^ +fix: sudo apt-get install passt$/m);
    expect(table.stdout).toMatch(/^ +fix: sudo apt-get install slirp4netns$/m);
  });

  it('no bubblewrap (simulated: a PATH without bwrap): fail, the fix, and a non-zero exit', async () => {
    const table = await run(box, ['doctor'], { env: { PATH: pathWithout('bwrap') } });
    expect(table.exitCode).toBe(1);
    expect(table.stdout).toMatch(/^fail {2}bwrap +bwrap is not installed or not on PATH\n +fix: sudo apt-get install bubblewrap$/m);
    expect(table.stdout).toMatch(/^burrow cannot run containers here: bwrap failed/m);
  });

  it('no subordinate range (simulated: an empty /etc/subuid and /etc/subgid bound over the real ones): warnings naming usermod, one id mapped, exit 0', async () => {
    const empty = join(work, 'empty');
    writeFileSync(empty, '');
    const result = await nested(`mount --bind ${empty} /etc/subuid && mount --bind ${empty} /etc/subgid`, ['doctor']);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const name = userInfo().username;
    expect(result.stdout).toMatch(new RegExp(`^warn {2}subuid +no range for ${name} in /etc/subuid: containers map only your own id \\(sudo burrow setup adds one too\\)\\n +fix: sudo usermod --add-subuids \\d+-\\d+ ${name}$`, 'm'));
    expect(result.stdout).toMatch(/^warn {2}subgid /m);
    expect(result.stdout).toMatch(/^ok {4}user namespace +made by \S+\/build\/native\/burrow-userns, as a container start makes it \(only your own id mapped\)$/m);
  });

  it('a sysctl that allows no user namespace (simulated: user.max_user_namespaces 0 in a user namespace of the test\'s own): fail with the sysctl command, nothing tried, exit 1', async () => {
    const result = await nested('echo 0 > /proc/sys/user/max_user_namespaces', ['doctor'], true);
    expect(result.exitCode, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^fail {2}sysctls +user\.max_user_namespaces=0.*: this host allows no user namespace\n +fix: sudo sysctl -w user\.max_user_namespaces=28633$/m);
    expect(result.stdout).toMatch(/^fail {2}user namespace +not tried: the sysctls above allow none$/m);
  });

  it('with BURROW_CGROUP_ROUTE=none: nothing delegated, limits refused, and the one command that gives more', async () => {
    const env = { BURROW_CGROUP_ROUTE: 'none' };
    const table = await run(box, ['doctor'], { env });
    // Limits are not needed for run: a warning, not a failure.
    expect(table.exitCode).toBe(0);
    expect(table.stdout).toMatch(/^warn {2}cgroup +.*nothing is delegated to you/m);
    expect(table.stdout).toMatch(/^warn {2}limits +none enforced: --memory .*--pids-limit/m);
    const report = await json(env);
    expect(report.cgroup).toMatchObject({ route: 'none', controllers: [], enforced: [] });
    if (V1_HOST) {
      expect(report.cgroup.more).toMatch(/sudo burrow setup/);
      expect(table.stdout).toMatch(/sudo burrow setup/);
    }
  });

  it('a bad --format is one line', async () => {
    expect(expectOneLineError(await run(box, ['doctor', '--format', 'yaml']))).toBe('burrow: unknown --format "yaml": use table or json');
  });
});
