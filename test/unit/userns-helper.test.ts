import { execa } from 'execa';
import { closeSync, mkdtempSync, openSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { idMapLines, idMapping, unshareArgs, type IdMapping } from '../../src/userns/idmap.js';
import { userNamespaceFailure } from '../../src/userns/failure.js';
import { unshareProgram } from '../../src/util/host-tools.js';

/*
 * burrow-userns (native/burrow-userns.c), the program that makes burrow's user
 * namespace, and the arguments idmap.ts gives it.
 */

const UID = process.getuid!();
const GID = process.getgid!();
const RANGES: IdMapping = { uidRange: { start: 100000, count: 65536 }, gidRange: { start: 200000, count: 65536 }, single: false };

describe('unshareArgs (burrow-userns\'s arguments)', () => {
  it('maps only the caller, as root, when there are no subordinate ids', () => {
    expect(unshareArgs({ uidRange: undefined, gidRange: undefined, single: true })).toEqual(['--self-map', '0', '0']);
  });

  it('the default mapping: the caller as 0, the subordinate ranges from 1, every line through newuidmap/newgidmap', () => {
    expect(unshareArgs(RANGES)).toEqual([
      '--uid-map', `0:${UID}:1`, '--uid-map', '1:100000:65536',
      '--gid-map', `0:${GID}:1`, '--gid-map', '1:200000:65536',
    ]);
  });

  it('keep-id: keep-id.ts\'s ranges around the kept ids, and root of the namespace for the launcher (--setuid/--setgid 0)', () => {
    expect(unshareArgs({ ...RANGES, keepId: { mode: 'keep-id', uid: 1000, gid: 50 } })).toEqual([
      '--uid-map', '0:100000:1000', '--uid-map', `1000:${UID}:1`, '--uid-map', '1001:101000:64536',
      '--gid-map', '0:200000:50', '--gid-map', `50:${GID}:1`, '--gid-map', '51:200050:65486',
      '--setuid', '0', '--setgid', '0',
    ]);
    expect(idMapLines({ ...RANGES, keepId: { mode: 'keep-id', uid: 70000, gid: 70000 } }).uid).toEqual([
      { inner: 0, outer: 100000, count: 65536 }, { inner: 70000, outer: UID, count: 1 },
    ]);
  });
});

async function inHelper(args: string[], script: string): Promise<{ exitCode: number; stdout: string; stderr: string; pid: number | undefined }> {
  const child = execa(unshareProgram(), [...args, '--', '/bin/sh', '-c', script], { reject: false });
  const result = await child;
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr), pid: child.pid };
}

const own = idMapping();

describe('burrow-userns, run', () => {
  it('single mapping: the caller is 0 inside, setgroups denied, and CMD runs in place (the pid burrow spawned)', async () => {
    const result = await inHelper(unshareArgs({ uidRange: undefined, gidRange: undefined, single: true }), 'echo $$; id -u; id -g; cat /proc/self/uid_map /proc/self/setgroups');
    expect(result.exitCode, result.stderr).toBe(0);
    const [pid, uid, gid, map, setgroups] = result.stdout.trim().split('\n').map((line) => line.trim());
    expect(Number(pid)).toBe(result.pid);
    expect([uid, gid]).toEqual(['0', '0']);
    expect(map!.split(/\s+/)).toEqual(['0', String(UID), '1']);
    expect(setgroups).toBe('deny');
  });

  it('makes new user and mount namespaces, a network namespace with --net, and the mounts private (none propagates to the host)', async () => {
    const args = unshareArgs({ uidRange: undefined, gidRange: undefined, single: true });
    const host = { user: readlinkSync('/proc/self/ns/user'), mnt: readlinkSync('/proc/self/ns/mnt'), net: readlinkSync('/proc/self/ns/net') };
    const plain = await inHelper(args, 'readlink /proc/self/ns/user /proc/self/ns/mnt /proc/self/ns/net; grep -E "^[0-9]+ [0-9]+ [^ ]+ / / " /proc/self/mountinfo');
    expect(plain.exitCode, plain.stderr).toBe(0);
    const [user, mnt, net, root] = plain.stdout.trim().split('\n');
    expect(user).not.toBe(host.user);
    expect(mnt).not.toBe(host.mnt);
    expect(net).toBe(host.net);
    // util-linux unshare --mount's default: / (and everything under it) private, no "shared:N" tag left.
    expect(root).not.toMatch(/shared:/);
    const withNet = await inHelper([...args, '--net'], 'readlink /proc/self/ns/net');
    expect(withNet.exitCode, withNet.stderr).toBe(0);
    expect(withNet.stdout.trim()).not.toBe(host.net);
  });

  it.runIf(!own.single)('the default mapping through newuidmap/newgidmap: the caller as 0 and the whole range', async () => {
    const result = await inHelper(unshareArgs(own), 'id -u; cat /proc/self/uid_map /proc/self/gid_map');
    expect(result.exitCode, result.stderr).toBe(0);
    const [uid, ...lines] = result.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).join(' '));
    expect(uid).toBe('0');
    expect(lines).toEqual([`0 ${UID} 1`, `1 ${own.uidRange!.start} ${own.uidRange!.count}`, `0 ${GID} 1`, `1 ${own.gidRange!.start} ${own.gidRange!.count}`]);
  });

  it.runIf(!own.single)('a range the user was not given: newuidmap\'s refusal, one class failure.ts names, and CMD never runs', async () => {
    const foreign: IdMapping = { ...own, uidRange: { start: own.uidRange!.start + own.uidRange!.count + 1000, count: 10 } };
    const result = await inHelper(unshareArgs(foreign), 'echo ran');
    expect(result.exitCode).toBe(125);
    expect(result.stdout).toBe('');
    expect(userNamespaceFailure(result.stderr)).toMatch(/^newuidmap\/newgidmap refused the id mapping \(uid range .* not allowed\).*run 'burrow doctor'$/);
  });

  it.runIf(!own.single)('both ranges refused (newuidmap and newgidmap run at once): one line, newuidmap\'s, and CMD never runs', async () => {
    const foreign: IdMapping = {
      ...own,
      uidRange: { start: own.uidRange!.start + own.uidRange!.count + 1000, count: 10 },
      gidRange: { start: own.gidRange!.start + own.gidRange!.count + 1000, count: 10 },
    };
    const result = await inHelper(unshareArgs(foreign), 'echo ran');
    expect(result.exitCode).toBe(125);
    expect(result.stdout).toBe('');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^newuidmap: uid range .* not allowed/);
    // The gid range alone: newgidmap's line.
    const gidOnly = await inHelper(unshareArgs({ ...own, gidRange: foreign.gidRange }), 'echo ran');
    expect(gidOnly.exitCode).toBe(125);
    expect(gidOnly.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^newgidmap: gid range .* not allowed/)]);
  });

  it.runIf(!own.single)('newuidmap not on PATH: "cannot run newuidmap", named by failure.ts with the package', async () => {
    const child = execa(unshareProgram(), [...unshareArgs(own), '--', '/bin/true'], { reject: false, env: { PATH: '/nonexistent' }, extendEnv: false });
    const result = await child;
    expect(result.exitCode).toBe(125);
    expect(String(result.stderr).trim()).toBe('burrow-userns: cannot run newuidmap: No such file or directory');
    expect(userNamespaceFailure(String(result.stderr))).toMatch(/apt-get install uidmap\); run 'burrow doctor'$/);
  });

  it.runIf(!own.single)('keep-id: the caller may open the namespace\'s files between the switch to a subordinate id and the exec (burrow-net and pasta open them then)', async () => {
    // A copy built to pause in that window (BURROW_TEST_PAUSE_BEFORE_EXEC_MS): without
    // PR_SET_DUMPABLE there, the open fails with EACCES, as pasta's did now and then.
    const dir = mkdtempSync(join(tmpdir(), 'userns-window-'));
    try {
      const paused = join(dir, 'burrow-userns');
      await execa('cc', ['-O2', '-DBURROW_TEST_PAUSE_BEFORE_EXEC_MS=1500', '-o', paused, fileURLToPath(new URL('../../native/burrow-userns.c', import.meta.url))]);
      const child = execa(paused, [...unshareArgs({ ...own, keepId: { mode: 'keep-id', uid: UID, gid: GID } }), '--', '/bin/true'], { reject: false });
      const pid = child.pid!;
      const switched = (): boolean => {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return /^Name:\s+burrow-userns$/m.test(status) && !new RegExp(`^Uid:\\s+${UID}\\s`, 'm').test(status);
      };
      while (!switched()) await new Promise((resolve) => setTimeout(resolve, 1));
      const fd = openSync(`/proc/${pid}/ns/user`, 'r');
      closeSync(fd);
      // Still in the window (not yet exec'd into /bin/true): the open above was the one under test.
      expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Name:\s+burrow-userns$/m);
      expect((await child).exitCode).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a command that does not exist: 127 and one line, as a shell says it', async () => {
    const result = await execa(unshareProgram(), ['--self-map', '0', '0', '--', '/nonexistent/cmd'], { reject: false });
    expect(result.exitCode).toBe(127);
    expect(String(result.stderr).trim()).toBe('burrow-userns: cannot run /nonexistent/cmd: No such file or directory');
  });

  it('bad arguments are refused before anything is made', async () => {
    for (const args of [['--uid-map', '0:1'], ['--uid-map', `0:${UID}:1`], ['--bogus'], []]) {
      const result = await execa(unshareProgram(), [...args, '--', '/bin/true'], { reject: false });
      expect(result.exitCode, args.join(' ')).toBe(125);
      expect(String(result.stderr)).toMatch(/^burrow-userns: /);
    }
  });
});

describe('userNamespaceFailure: burrow-userns\'s lines', () => {
  it('ENOSPC and EPERM from unshare(2)', () => {
    expect(userNamespaceFailure('burrow-userns: unshare failed: No space left on device\n')).toMatch(/max_user_namespaces allows; as root: sysctl -w user\.max_user_namespaces=28633; run 'burrow doctor'$/);
    expect(userNamespaceFailure('burrow-userns: unshare failed: Operation not permitted\n')).toMatch(/^cannot create a user namespace: (the kernel refused it|AppArmor restricts them)/);
  });
});
