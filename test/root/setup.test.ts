import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { readCgroupMounts } from '../../src/setup/host.js';
import { expectOneLineError, run, sandbox } from '../helpers/cli.js';

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

    const second = await setup();
    expect(second.exitCode).toBe(0);
    expect(second.stdout).not.toContain('+ ');
    expect(second.stdout).toContain(`nothing to do: nobody's cgroup v1 subtree (${NAME}) is in place`);
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
    expect((await setup('--undo')).stdout).toContain('nothing to do: burrow setup has made nothing for nobody here');
  });

  it('bad input is one line: an unknown user, root itself', async () => {
    expect(expectOneLineError(await run(box, ['setup', '--user', 'no-such-user-here']))).toBe('burrow: there is no user "no-such-user-here" on this host: pass --user with an existing user\'s name');
    expect(expectOneLineError(await run(box, ['setup', '--user', 'root']))).toMatch(/not root: pass --user NAME/);
  });
});
