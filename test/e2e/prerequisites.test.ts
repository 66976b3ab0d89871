import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bed } from '../helpers/bed.js';
import { BURROW_BIN, expectOneLineError, removeAllContainers, run, sandbox, type CliResult, type Sandbox } from '../helpers/cli.js';

/*
 * Every command a user types when something burrow needs is missing gets one line
 * naming what is missing and the fix. A missing program is simulated by a PATH
 * without it (a directory of links to every other host program); what PATH cannot
 * take away (the subordinate ranges, access to /dev/fuse) is simulated in a user
 * and mount namespace of the test's own, where a file is bound over the real one
 * and the test user's uid is mapped back before burrow runs.
 */
const busybox = (): string => `${bed().registries.anon}/busybox:latest`;
const HOST_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

let work: string;
/** A PATH with every host program except `missing`. */
function pathWithout(...missing: string[]): string {
  const bin = join(work, `without-${missing.join('-')}`);
  if (existsSync(bin)) return bin;
  mkdirSync(bin);
  for (const dir of HOST_BIN_DIRS) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      if (!missing.includes(name) && !existsSync(join(bin, name))) symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

/** stderr's lines, without the notes every cold run prints. */
const stderrLines = (result: CliResult): string[] => result.stderr.trim().split('\n').filter((line) => line !== '' && !line.startsWith('Unable to find image'));

// One store whose image is pulled and unpacked, for the starts that find their layers ready.
let box: Sandbox;
beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'burrow-prerequisites-'));
  box = sandbox();
  const ready = await run(box, ['run', '--rm', busybox(), 'true']);
  expect(ready.exitCode, ready.stderr).toBe(0);
});
afterAll(() => removeAllContainers(box));

describe('a missing host program: one line naming the package', () => {
  it('no unshare at all (util-linux\'s is not burrow\'s user-namespace maker: burrow-userns is): the first unpack, attached and detached starts run', async () => {
    const noUnshare = { PATH: pathWithout('unshare') };
    const cold = sandbox();
    expect((await run(cold, ['pull', '-q', busybox()])).exitCode).toBe(0);
    const unpack = await run(cold, ['run', '--rm', busybox(), 'sh', '-c', 'id -u; wc -l < /proc/self/uid_map'], { env: noUnshare });
    expect(unpack.exitCode, unpack.stderr).toBe(0);
    expect(unpack.stdout).toBe('0\n2');
    const attached = await run(box, ['run', '--rm', busybox(), 'true'], { env: noUnshare });
    expect(attached.exitCode, attached.stderr).toBe(0);
    const detached = await run(box, ['run', '-d', busybox(), 'true'], { env: noUnshare });
    expect(detached.exitCode, detached.stderr).toBe(0);
    const id = detached.stdout.trim();
    expect((await run(box, ['wait', id])).stdout.trim()).toBe('0');
    await run(box, ['rm', id]);
  });

  it('bwrap (bubblewrap): attached and detached starts, no shell "not found" line before it', async () => {
    const noBwrap = { PATH: pathWithout('bwrap') };
    const attached = await run(box, ['run', '--rm', busybox(), 'true'], { env: noBwrap });
    expect(expectOneLineError(attached)).toBe('burrow: cannot set up the container: bwrap is not installed or not on PATH (Debian/Ubuntu: apt-get install bubblewrap); run \'burrow doctor\'');
    const detached = await run(box, ['run', '-d', '--rm', busybox(), 'true'], { env: noBwrap });
    expect(expectOneLineError(detached)).toBe('burrow: cannot set up the container: bwrap is not installed or not on PATH (Debian/Ubuntu: apt-get install bubblewrap); run \'burrow doctor\'');
  });

  it('newuidmap and newgidmap (uidmap): the job still runs, mapping only the user, after one note naming the package', async () => {
    const fresh = sandbox();
    const result = await run(fresh, ['run', '--rm', busybox(), 'sh', '-c', 'id -u; wc -l < /proc/self/uid_map'], { env: { PATH: pathWithout('newuidmap', 'newgidmap') } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('0\n1');
    expect(stderrLines(result)).toEqual(['mapping only your own uid into the container: newuidmap/newgidmap are not installed (Debian/Ubuntu: apt-get install uidmap)']);
  });

  it('fuse-overlayfs, asked for with --storage-driver', async () => {
    const result = await run(box, ['run', '--rm', '--storage-driver', 'fuse-overlayfs', busybox(), 'true'], { env: { PATH: pathWithout('fuse-overlayfs') } });
    expect(expectOneLineError(result)).toBe('burrow: cannot set up the container: fuse-overlayfs failed: fuse-overlayfs is not installed or not on PATH (Debian/Ubuntu: apt-get install fuse-overlayfs); run \'burrow doctor\'');
  });

  it('burrow cp from a stopped container needs no unshare either', async () => {
    const id = (await run(box, ['create', busybox(), 'true'])).stdout.trim();
    const result = await run(box, ['cp', `${id}:/bin/busybox`, join(work, 'copied')], { env: { PATH: pathWithout('unshare') } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(join(work, 'copied'))).toBe(true);
    await run(box, ['rm', id]);
  });
});

/**
 * A PATH whose `unshare` behaves as util-linux 2.37's (ubuntu-22.04's) to
 * --map-users/--map-groups (2.38's options): it refuses them with 2.37's words,
 * and notes the refusal; anything else goes to the real one.
 */
function pathWithUtilLinux237(): { PATH: string; refusals: string } {
  const bin = join(work, 'util-linux-2.37');
  const refusals = join(work, 'util-linux-2.37-refusals');
  if (!existsSync(bin)) {
    mkdirSync(bin);
    writeFileSync(join(bin, 'unshare'), `#!/bin/sh
for arg in "$@"; do
  case "$arg" in
    --map-users*|--map-groups*) echo "$arg" >> '${refusals}'; echo "unshare: unrecognized option '$arg'" >&2; echo "Try 'unshare --help' for more information." >&2; exit 1 ;;
    --) break ;;
  esac
done
exec /usr/bin/unshare "$@"
`, { mode: 0o755 });
  }
  return { PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, refusals };
}

describe('ubuntu-22.04 (simulated: a fake util-linux 2.37 unshare, without --map-users, first on PATH)', () => {
  it('the first unpack, attached, detached and keep-id starts, cp and burrow unshare run with the full id range, and nothing asks unshare for --map-users', async () => {
    const old = pathWithUtilLinux237();
    const env = { PATH: old.PATH };
    // The simulation answers as 2.37 does (burrow's old arguments failed so on ubuntu-22.04).
    const refused = await execa('unshare', ['--user', '--map-users=100000,1,65536', '--', 'true'], { env: { ...process.env, ...env }, reject: false });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^unshare: unrecognized option '--map-users=100000,1,65536'/);
    rmSync(old.refusals);
    const cold = sandbox();
    expect((await run(cold, ['pull', '-q', busybox()])).exitCode).toBe(0);
    const first = await run(cold, ['run', '--rm', busybox(), 'sh', '-c', 'id -u; cat /proc/self/uid_map'], { env });
    expect(first.exitCode, first.stderr).toBe(0);
    const [uid, ...map] = first.stdout.trim().split('\n').map((line) => line.trim().split(/\s+/).join(' '));
    expect(uid).toBe('0');
    expect(map).toHaveLength(2);
    expect(map[0]).toBe(`0 ${userInfo().uid} 1`);
    const keepId = await run(cold, ['run', '--rm', '--userns=keep-id', busybox(), 'id', '-u'], { env });
    expect(keepId.exitCode, keepId.stderr).toBe(0);
    expect(keepId.stdout.trim()).toBe(String(userInfo().uid));
    const detached = await run(cold, ['run', '-d', busybox(), 'sh', '-c', 'echo made > /made'], { env });
    expect(detached.exitCode, detached.stderr).toBe(0);
    const id = detached.stdout.trim();
    expect((await run(cold, ['wait', id], { env })).stdout.trim()).toBe('0');
    const copied = await run(cold, ['cp', `${id}:/made`, join(work, 'made-2.37')], { env });
    expect(copied.exitCode, copied.stderr).toBe(0);
    const unshared = await run(cold, ['unshare', 'sh', '-c', 'id -u; wc -l < /proc/self/uid_map'], { env });
    expect(unshared.exitCode, unshared.stderr).toBe(0);
    expect(unshared.stdout).toBe('0\n2');
    expect((await run(cold, ['rm', id], { env })).exitCode).toBe(0);
    expect((await run(cold, ['rmi', busybox()], { env })).exitCode).toBe(0);
    // The fake was on PATH (a refusal would have been noted), and nothing went to it with 2.38's options.
    expect(existsSync(old.refusals)).toBe(false);
  });
});

/**
 * burrow run in a user and mount namespace of the test's own, where each
 * [source, target] is bound over target, with the test user's uid and gid mapped
 * back (so burrow sees itself as the test user, and nests its namespaces inside).
 */
async function runWithBinds(target: Sandbox, binds: Array<[string, string]>, args: string[]): Promise<CliResult> {
  const { uid, gid } = userInfo();
  const mounts = binds.map(([source, over]) => `mount --bind '${source}' '${over}'`).join(' && ');
  const result = await execa('unshare', ['--user', '--map-root-user', '--mount', 'sh', '-c',
    `${mounts} && exec unshare --user --map-user=${uid} --map-group=${gid} -- "$@"`, 'sh', process.execPath, BURROW_BIN, ...args], {
    env: { ...process.env, ...target.env },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('missing set-up: one line naming the fix', () => {
  it('no subordinate id range for the user (simulated: an empty /etc/subuid and /etc/subgid bound over the real ones): the job runs, after one note saying how to add one', async () => {
    const empty = join(work, 'empty-subids');
    writeFileSync(empty, '');
    const fresh = sandbox();
    expect((await run(fresh, ['pull', '-q', busybox()])).exitCode).toBe(0);
    const result = await runWithBinds(fresh, [[empty, '/etc/subuid'], [empty, '/etc/subgid']], ['run', '--rm', busybox(), 'sh', '-c', 'id -u; wc -l < /proc/self/uid_map']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('0\n1');
    const name = userInfo().username;
    expect(stderrLines(result)).toEqual([`mapping only your own uid into the container: no range for ${name} in /etc/subuid (add one as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${name})`]);
  });

  it('no user namespaces allowed (simulated: user.max_user_namespaces set to 0 in a user namespace of the test\'s own, where burrow runs as its root): cold and warm, attached and detached, one line naming the sysctl, and nothing left hanging', async () => {
    const fresh = sandbox();
    expect((await run(fresh, ['pull', '-q', busybox()])).exitCode).toBe(0);
    const disabled = async (args: string[]): Promise<CliResult> => {
      const result = await execa('unshare', ['--user', '--map-root-user', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$@"', 'sh', process.execPath, BURROW_BIN, ...args], {
        env: { ...process.env, ...fresh.env },
        extendEnv: false,
        reject: false,
        timeout: 60_000,
        stdin: 'ignore',
      });
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    };
    const refusal = 'burrow: cannot create a user namespace: this host allows none (user.max_user_namespaces is 0); as root: sysctl -w user.max_user_namespaces=28633; run \'burrow doctor\'';
    // The first run would unpack; the layers are then made outside, and the starts are refused the same way.
    const cold = await disabled(['run', '--rm', busybox(), 'true']);
    expect(cold.exitCode).toBe(125);
    expect(stderrLines(cold).at(-1)).toBe(refusal);
    expect((await run(fresh, ['run', '--rm', busybox(), 'true'])).exitCode).toBe(0);
    for (const detach of [[], ['-d']]) {
      const warm = await disabled(['run', ...detach, '--rm', busybox(), 'true']);
      expect(warm.exitCode).toBe(125);
      expect(stderrLines(warm).at(-1)).toBe(refusal);
    }
    expect((await run(fresh, ['ps', '-a', '-q'])).stdout).toBe('');
  });

  it('no access to /dev/fuse with --storage-driver fuse-overlayfs (simulated: /dev/kmsg, which the user cannot open for writing, bound over /dev/fuse)', async () => {
    const empty = join(work, 'empty-subids-fuse');
    writeFileSync(empty, '');
    const fresh = sandbox();
    expect((await run(fresh, ['pull', '-q', busybox()])).exitCode).toBe(0);
    // The nested namespace maps one id only, so burrow maps only the user too (that note is the simulation's, and comes first).
    const result = await runWithBinds(fresh, [['/dev/kmsg', '/dev/fuse'], [empty, '/etc/subuid']], ['run', '--rm', '--storage-driver', 'fuse-overlayfs', busybox(), 'true']);
    expect(result.exitCode).toBe(125);
    const lines = stderrLines(result);
    expect(lines[0]).toMatch(/^mapping only your own uid into the container: no range for /);
    // fuse-overlayfs's warnings before its error ("unknown argument ignored: …") are not what the user is told.
    expect(lines.slice(1)).toEqual(['burrow: cannot set up the container: fuse-overlayfs cannot open /dev/fuse (fuse: failed to open /dev/fuse: Permission denied): make it usable by you (as root: chmod 0666 /dev/fuse, the mode distributions ship it with); run \'burrow doctor\'']);
  });

  it('a store root the user cannot write: names it and the way out', async () => {
    const result = await run(box, ['pull', '-q', busybox()], { env: { BURROW_ROOT: '/usr/share/burrow-store' } });
    expect(expectOneLineError(result)).toBe('burrow: permission denied while creating the store at /usr/share/burrow-store: check that the store directory is writable by you (or choose another with --root)');
    const viaHome = await run(box, ['images'], { env: { BURROW_ROOT: '', XDG_DATA_HOME: '', HOME: '/nonexistent' } });
    expect(expectOneLineError(viaHome)).toBe('burrow: permission denied while creating the store at /nonexistent/.local/share/burrow: check that the store directory is writable by you (or choose another with --root)');
  });

  it('an empty or relative HOME and XDG directories: nothing is written in the working directory; missing XDG directories are created', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'burrow-cwd-'));
    const data = join(work, 'xdg', 'not', 'yet', 'there');
    for (const home of ['', 'relative']) {
      // The store: XDG_DATA_HOME (missing, made); the code cache and settings: HOME, which is unusable, so the password database's home.
      const result = await execa(process.execPath, [BURROW_BIN, 'images', '-q'], {
        cwd,
        env: { PATH: process.env.PATH ?? '', HOME: home, XDG_DATA_HOME: data, XDG_CACHE_HOME: 'relative-cache' },
        extendEnv: false,
        reject: false,
      });
      expect(result.exitCode, String(result.stderr)).toBe(0);
      expect(readdirSync(cwd)).toEqual([]);
      expect(existsSync(join(data, 'burrow', 'oci-layout'))).toBe(true);
    }
  });
});
