import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { execa } from 'execa';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bed, busyboxLayerTar } from '../helpers/bed.js';
import { BURROW_BIN, burrow, expectOneLineError, inTerminal, installWithHelpers, run, sandbox, jsonLines } from '../helpers/cli.js';
import { busybox, multilayer, suiteSandbox } from '../helpers/suite.js';
import { dockerArchive, tarArchive } from '../helpers/tar-writer.js';
import { until } from '../helpers/poll.js';

// One store for the file: layers are unpacked once, as they would be for a user.
const box = suiteSandbox({ pull: [busybox, multilayer] });

const sh = async (script: string, flags: string[] = [], image = busybox()): Promise<{ exitCode: number; stdout: string; stderr: string }> =>
  run(box, ['run', '--rm', ...flags, image, 'sh', '-c', script]);

describe('burrow run: the process', () => {
  it('passes the exit status through, and Docker\'s 125/126/127', async () => {
    expect((await sh('exit 3')).exitCode).toBe(3);
    const missing = await run(box, ['run', '--rm', busybox(), 'no-such-command']);
    expect(missing.exitCode).toBe(127);
    expect(missing.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
    const notExecutable = await run(box, ['run', '--rm', busybox(), '/etc/passwd']);
    expect(notExecutable.exitCode).toBe(126);
    const unknownFlag = await run(box, ['run', '--no-such-flag', busybox()]);
    expect(unknownFlag.exitCode).toBe(125);
  });

  it('reports death by signal as 128+N (with --init, so PID 1 can be killed)', async () => {
    expect((await sh('kill -TERM $$', ['--init'])).exitCode).toBe(143);
    expect((await sh('kill -KILL $$', ['--init'])).exitCode).toBe(137);
  });

  it('runs the job as PID 1 in its own pid, uts, ipc and net namespaces', async () => {
    const result = await sh('echo pid=$$; hostname; ls /proc | grep -c "^[0-9]"; cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " "', ['--hostname', 'job-host', '--network', 'none']);
    expect(result.exitCode, result.stderr).toBe(0);
    const [pid, hostname, processes, interfaces] = result.stdout.split('\n');
    expect(pid).toBe('pid=1');
    expect(hostname).toBe('job-host');
    expect(Number(processes)).toBeLessThanOrEqual(3);
    expect(interfaces).toBe('lo');
    const host = await sh('cat /proc/net/dev | tail -n +3 | wc -l', ['--network', 'host']);
    expect(Number(host.stdout)).toBeGreaterThan(1);
  });

  it('maps container root to the user and 1..N to the subordinate range', async () => {
    const result = await sh('id -u; cat /proc/self/uid_map; cat /proc/self/gid_map');
    const [uid, ...maps] = result.stdout.split('\n').map((line) => line.trim().split(/\s+/).join(' '));
    expect(uid).toBe('0');
    expect(maps[0]).toBe(`0 ${process.getuid!()} 1`);
    expect(maps[1]).toMatch(/^1 \d+ 65536$/);
    expect(maps[2]).toBe(`0 ${process.getgid!()} 1`);
  });

  it('applies Entrypoint, Cmd, Env, WorkingDir and User like Docker', async () => {
    const env = await run(box, ['run', '--rm', '-e', 'FOO=bar', '-e', 'PATH=/bin', busybox(), 'env']);
    expect(env.stdout).toContain('FOO=bar');
    expect(env.stdout).toContain('PATH=/bin');
    expect(env.stdout).toContain('HOME=/root');
    expect(env.stdout).toMatch(/^HOSTNAME=[a-f0-9]{12}$/m);
    const envFile = join(box.dir, 'job.env');
    writeFileSync(envFile, '# comment\nFROM_FILE=yes\n\n');
    expect((await run(box, ['run', '--rm', '--env-file', envFile, busybox(), 'env'])).stdout).toContain('FROM_FILE=yes');
    const dir = await run(box, ['run', '--rm', '-w', '/tmp/work/dir', busybox(), 'pwd']);
    expect(dir.stdout).toBe('/tmp/work/dir');
    const entry = await run(box, ['run', '--rm', '--entrypoint', 'echo', busybox(), 'from', 'entrypoint']);
    expect(entry.stdout).toBe('from entrypoint');
    const byName = await run(box, ['run', '--rm', '-u', 'app', multilayer(), 'id']);
    expect(byName.stdout).toBe('uid=1000(app) gid=1000(app) groups=1000(app)');
    const byId = await run(box, ['run', '--rm', '-u', '1000:65534', multilayer(), 'sh', '-c', 'id -u; id -g; echo $HOME']);
    expect(byId.stdout.split('\n')).toEqual(['1000', '65534', '/home/app']);
    const unknown = await run(box, ['run', '--rm', '-u', 'nobody-here', busybox(), 'id']);
    expect(expectOneLineError(unknown)).toMatch(/unable to find user nobody-here: no matching entries in passwd file/);
  });

  it('passes standard input with -i, and closes it without', async () => {
    const piped = await run(box, ['run', '--rm', '-i', busybox(), 'cat'], { input: 'through stdin\n' });
    expect(piped.stdout).toBe('through stdin');
    const closed = await run(box, ['run', '--rm', busybox(), 'cat'], { input: 'ignored\n' });
    expect(closed.stdout).toBe('');
  });

  it('forwards SIGTERM sent to burrow to the job', async () => {
    const child = burrow(box, ['run', '--rm', '--init', busybox(), 'sh', '-c', 'trap "echo got-term; exit 7" TERM; echo ready; while true; do sleep 0.1; done']);
    await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve(); }));
    child.kill('SIGTERM');
    const result = await child;
    expect(String(result.stdout)).toContain('got-term');
    expect(result.exitCode).toBe(7);
  });
});

describe('burrow run: the file system', () => {
  it('shows the image\'s layers merged: whiteouts, opaque dirs, owners, setuid, hardlinks', async () => {
    const result = await sh('ls /data; ls /data/opaque; cat /data/keep/a; stat -c "%u:%g %a" /home/app/owned /var/nobody /usr/local/bin/suid; stat -c %i /data/hard1 /data/hardtarget; readlink /data/link', [], multilayer());
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).not.toContain('gone.txt');
    expect(lines.slice(0, lines.indexOf('z') + 1).join(' ')).not.toMatch(/\bx\b|\by\b/);
    expect(result.stdout).toContain('1000:1000 644');
    expect(result.stdout).toContain('65534:65534 644');
    expect(result.stdout).toContain('0:0 4755');
    const inodes = lines.slice(-3, -1);
    expect(inodes[0]).toBe(inodes[1]);
    expect(lines.at(-1)).toBe('hardtarget');
  });

  it('gives each container its own writable layer, gone with --rm', async () => {
    const first = await sh('echo one > /tmp/mine; cat /tmp/mine');
    expect(first.stdout).toBe('one');
    expect((await sh('cat /tmp/mine 2>&1 || echo absent')).stdout).toContain('absent');
    const containers = join(box.root, 'containers');
    expect(existsSync(containers) ? readdirSync(containers) : []).toEqual([]);
  });

  it('keeps the container (and its exit code) without --rm', async () => {
    const result = await run(box, ['run', '--name', 'kept-job', busybox(), 'sh', '-c', 'exit 5']);
    expect(result.exitCode).toBe(5);
    const listed = jsonLines<{ Names: string; State: string; Status: string }>((await run(box, ['ps', '-a', '--format', 'json'])).stdout);
    expect(listed.find((container) => container.Names === 'kept-job')).toMatchObject({ State: 'exited', Status: expect.stringMatching(/^Exited \(5\) /) });
    const clash = await run(box, ['run', '--name', 'kept-job', busybox(), 'true']);
    expect(expectOneLineError(clash)).toMatch(/the container name "kept-job" is already in use/);
    const inUse = await run(box, ['rmi', busybox()]);
    expect(expectOneLineError(inUse)).toMatch(/is used by container kept-job/);
  });

  it('bind-mounts host paths read-write and read-only, and mounts tmpfs', async () => {
    const host = mkdtempSync(join(tmpdir(), 'burrow-vol-'));
    writeFileSync(join(host, 'input'), 'from host');
    const rw = await sh('cat /data/input; echo back > /data/output', ['-v', `${host}:/data`]);
    expect(rw.stdout).toBe('from host');
    expect(readFileSync(join(host, 'output'), 'utf8')).toBe('back\n');
    const ro = await sh('echo no > /data/output2', ['-v', `${host}:/data:ro`]);
    expect(ro.exitCode).not.toBe(0);
    expect(ro.stderr).toMatch(/Read-only file system/);
    const mount = await sh('cat /m/input; echo; grep " /scratch " /proc/mounts | cut -d" " -f3', ['--mount', `type=bind,source=${host},target=/m,readonly`, '--tmpfs', '/scratch']);
    expect(mount.stdout).toBe('from host\ntmpfs');
    const missing = await sh('true', ['-v', `${join(host, 'nope')}:/x`]);
    expect(expectOneLineError(missing)).toMatch(/bind source path does not exist: .*nope/);
  });

  it('--read-only makes the root read-only but keeps /etc/hosts writable', async () => {
    const result = await sh('touch /x 2>&1; echo 127.0.0.2 extra >> /etc/hosts && echo hosts-ok', ['--read-only']);
    expect(result.stdout).toContain('Read-only file system');
    expect(result.stdout).toContain('hosts-ok');
  });

  it('pulls an image that is not in the store, like docker run', async () => {
    const fresh = sandbox();
    const result = await run(fresh, ['run', '--rm', `${bed().registries.anon}/compression:zstd`, 'echo', 'pulled and ran']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('pulled and ran');
    expect(result.stderr).toContain('Unable to find image');
  });
});

describe('burrow run: isolation', () => {
  it('sets no_new_privs and Docker\'s default capabilities, with --cap-add/--cap-drop', async () => {
    const status = await sh('grep -E "^(CapEff|NoNewPrivs)" /proc/self/status');
    expect(status.stdout).toContain('NoNewPrivs:\t1');
    expect(status.stdout).toContain('CapEff:\t00000000a80425fb');
    const dropped = await sh('grep CapEff /proc/self/status', ['--cap-drop', 'ALL', '--cap-add', 'CHOWN']);
    expect(dropped.stdout).toBe('CapEff:\t0000000000000001');
    const user = await run(box, ['run', '--rm', '-u', 'app', multilayer(), 'grep', 'CapEff', '/proc/self/status']);
    expect(user.stdout).toBe('CapEff:\t0000000000000000');
  });

  it('--privileged adds capabilities but stays inside the user namespace', async () => {
    const result = await sh([
      'grep CapEff /proc/self/status; cat /proc/self/uid_map | wc -l',
      'touch /proc/sys/kernel/hostname 2>/dev/null && echo proc-sys-written || echo proc-sys-refused',
      // CAP_SYS_ADMIN of the container's own user namespace: a mount in its own mount namespace works, and is seen there.
      'mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1 && echo mounted; grep -c "^[^ ]* [^ ]* [^ ]* / /tmp/m .* - tmpfs " /proc/self/mountinfo',
    ].join('; '), ['--privileged']);
    const lines = result.stdout.split('\n');
    expect(lines[0]).not.toBe('CapEff:\t00000000a80425fb');
    expect(lines[0]).toMatch(/^CapEff:\t[0-9a-f]{16}$/);
    // Still the same two-line mapping: root here is the user there.
    expect(lines[1]).toBe('2');
    // The host's kernel settings stay out of reach.
    expect(lines[2]).toBe('proc-sys-refused');
    expect(lines.slice(3)).toEqual(['mounted', '1']);
  });

  it('masks and write-protects /proc and /sys as Docker does', async () => {
    // timer_list is root-only on the host: unmasked, reading it would fail; masked, it is empty.
    const result = await sh('wc -c < /proc/timer_list; grep -c " /proc/timer_list " /proc/self/mountinfo; grep -c " /proc/acpi " /proc/self/mountinfo; echo 1 > /proc/sys/kernel/ns_last_pid 2>&1; touch /sys/x 2>&1');
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('0');
    expect(lines[1]).toBe('1');
    expect(lines[2]).toBe(existsSync('/proc/acpi') ? '1' : '0');
    expect(result.stdout).toMatch(/Read-only file system/);
  });

  it('cannot reach the host\'s files: the root is the image', async () => {
    const secret = mkdtempSync(join(tmpdir(), 'burrow-host-'));
    writeFileSync(join(secret, 'secret'), 'host only');
    const result = await sh(`cat ${secret}/secret 2>&1; ls /home; cat /proc/1/cmdline | tr "\\0" " "`);
    expect(result.stdout).toMatch(/No such file or directory/);
    expect(result.stdout).not.toContain('host only');
    expect(result.stdout).not.toContain('burrowtest');
  });
});

describe('burrow run: hostile layers', () => {
  it('never writes outside the layer, whatever the archive says', async () => {
    const escape = mkdtempSync(join(tmpdir(), 'burrow-escape-'));
    const victim = join(escape, 'victim');
    writeFileSync(victim, 'original');
    const busyboxLayer = busyboxLayerTar();
    const hostile = tarArchive([
      { name: `../../../../../../../../..${escape}/dotdot`, content: 'escaped with ..' },
      { name: `${escape}/absolute`, content: 'absolute path' },
      { name: 'link', type: 'symlink', linkname: escape },
      { name: 'link/through-symlink', content: 'written through a symlink' },
      { name: 'hard', type: 'hardlink', linkname: victim },
      { name: 'hard2', type: 'hardlink', linkname: `../../../../../../..${victim}` },
      { name: 'up', type: 'symlink', linkname: '../../../../../../../../../../' },
      { name: `up${escape}/via-up`, content: 'climbed a relative symlink' },
      { name: 'dev/evil', type: 'char' },
      { name: 'ok', content: 'a normal file' },
    ]);
    const archive = join(box.dir, 'hostile.tar');
    writeFileSync(archive, dockerArchive('hostile:latest', [busyboxLayer, hostile]));
    const loaded = await run(box, ['load', '-i', archive]);
    expect(loaded.exitCode, loaded.stderr).toBe(0);
    const result = await run(box, ['run', '--rm', 'hostile:latest', 'sh', '-c', `cat /ok; echo; ls ${escape} 2>&1; readlink /link; cat /hard 2>&1; true`]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout.split('\n')[0]).toBe('a normal file');
    // The host directory is exactly as it was: nothing landed there, the victim is intact.
    expect(readdirSync(escape)).toEqual(['victim']);
    expect(readFileSync(victim, 'utf8')).toBe('original');
    expect(result.stderr).toMatch(/skipped \d+ entr/);
    // Named as the image names them, not by the unpacker's scratch directory.
    expect(result.stderr).not.toMatch(/\/rootfs\//);
    const layers = readdirSync(join(box.root, 'layers'));
    expect(layers.filter((name) => name.startsWith('.unpacking'))).toEqual([]);
  });
});

describe('burrow run: bad input', () => {
  it('rejects unknown network modes, drivers and -t with one line', async () => {
    expect(expectOneLineError(await run(box, ['run', '--network', 'bridge:x', busybox(), 'true']))).toMatch(/invalid --network "bridge:x"/);
    expect(expectOneLineError(await run(box, ['run', '--storage-driver', 'zfs', busybox(), 'true']))).toMatch(/unknown --storage-driver "zfs"/);
    expect(expectOneLineError(await run(box, ['run', '--name', 'bad name', busybox(), 'true']))).toMatch(/invalid container name/);
  });

  it('says so when an image is neither stored nor in the registry', async () => {
    const result = await run(box, ['run', '--rm', `${bed().registries.anon}/never-pushed:latest`, 'true']);
    expect(result.exitCode).toBe(125);
    expect(result.stderr).toMatch(/never-pushed:latest: not found/);
  });
});

describe('burrow run: rootfs drivers and missing helpers', () => {
  it('runs on fuse-overlayfs when asked, and unmounts it afterwards', async () => {
    const result = await sh('ls /data/opaque; grep " / " /proc/mounts | cut -d" " -f3', ['--storage-driver', 'fuse-overlayfs'], multilayer());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('z\nfuse.fuse-overlayfs');
  });

  it('falls back to fuse-overlayfs when the kernel refuses overlay (simulated: a burrow-mount that always fails)', async () => {
    const cli = installWithHelpers(join(box.dir, 'refusing-install'), { 'burrow-mount': '#!/bin/sh\necho "mount: permission denied" >&2\nexit 32\n' });
    const result = await run(box, ['run', '--rm', busybox(), 'sh', '-c', 'grep " / " /proc/mounts | cut -d" " -f3'], { bin: cli });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('fuse.fuse-overlayfs');
    // auto says which driver it got and why, in one line, attached and detached.
    const note = /^storage driver: fuse-overlayfs, since the kernel's overlayfs cannot mount here \(mount: permission denied\)$/m;
    expect(result.stderr).toMatch(note);
    const detached = await run(box, ['run', '-d', '--rm', busybox(), 'true'], { bin: cli });
    expect(detached.exitCode, detached.stderr).toBe(0);
    expect(detached.stderr).toMatch(note);
    expect((await sh('true')).stderr).toBe('');
    const forced = await run(box, ['run', '--rm', '--storage-driver', 'overlay', busybox(), 'true'], { bin: cli });
    expect(expectOneLineError(forced)).toMatch(/the kernel refused an overlay mount in a user namespace \(try --storage-driver fuse-overlayfs\)/);
  });

  it('records the fallback to fuse-overlayfs: later starts neither try overlay again nor repeat the note (simulated: a burrow-mount that fails and logs)', async () => {
    const attempts = join(box.dir, 'mount-attempts');
    const cli = installWithHelpers(join(box.dir, 'refusing-logging-install'), { 'burrow-mount': `#!/bin/sh\necho "$*" >> ${attempts}\necho "mount: permission denied" >&2\nexit 32\n` });
    const id = (await run(box, ['create', busybox(), 'true'], { bin: cli })).stdout.trim();
    const first = await run(box, ['start', '-a', id], { bin: cli });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^storage driver: fuse-overlayfs, since the kernel's overlayfs cannot mount here/m);
    const inspected = JSON.parse((await run(box, ['inspect', id])).stdout) as Array<{ GraphDriver: { Name: string } }>;
    expect(inspected[0]!.GraphDriver.Name).toBe('fuse-overlayfs');
    const triedOnce = readFileSync(attempts, 'utf8');
    const second = await run(box, ['start', '-a', id], { bin: cli });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stderr).toBe('');
    expect(readFileSync(attempts, 'utf8')).toBe(triedOnce);
    await run(box, ['rm', id]);
  });

  it('runs on the copy driver when asked, with the layers\' contents intact', async () => {
    const result = await sh('ls /data/opaque; stat -c "%u:%g %a" /home/app/owned /usr/local/bin/suid; grep -c " / overlay\\| / fuse" /proc/mounts || true', ['--storage-driver', 'copy'], multilayer());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('z\n1000:1000 644\n0:0 4755\n0');
  });

  it('gives the copy driver the tree overlayfs shows: owners, modes, setuid, hardlinks, symlinks, times, whiteouts, opaque directories', async () => {
    // Directories' link counts and sizes are overlayfs's own (a merged directory counts 1): left out.
    const listing = [
      'cd / && find data home/app usr/local var/nobody ! -type d | sort | xargs stat -c "%n|%F|%u:%g|%a|%s|%Y|%h"',
      'find data home/app usr/local -type d | sort | xargs stat -c "%n|%u:%g|%a|%Y"',
      '[ data/hard1 -ef data/hardtarget ] && echo one-inode; readlink data/link; cat data/keep/a',
    ].join('; ');
    const overlay = await sh(listing, ['--storage-driver', 'overlay'], multilayer());
    const copy = await sh(listing, ['--storage-driver', 'copy'], multilayer());
    expect(overlay.exitCode, overlay.stderr).toBe(0);
    expect(copy.exitCode, copy.stderr).toBe(0);
    expect(overlay.stdout).toMatch(/^data\/hard1\|regular file\|0:0\|644\|5\|\d+\|2$/m);
    expect(overlay.stdout).toContain('one-inode\nhardtarget\nkeep v2');
    expect(copy.stdout).toBe(overlay.stdout);
  });

  it('copies a container once and keeps its changes across starts; user xattrs are kept (copy driver)', async () => {
    const id = (await run(box, ['create', '--storage-driver', 'copy', multilayer(), 'sh', '-c', 'cat /data/keep/a; echo changed > /data/keep/a; rm /data/layer3'])).stdout.trim();
    expect((await run(box, ['start', '-a', id])).stdout).toBe('keep v2');
    // start -a follows the log from its first line: the second start's line comes last.
    const again = await run(box, ['start', '-a', id]);
    expect(again.stdout.split('\n').at(-1)).toBe('changed');
    expect(again.stderr).toContain('rm: can\'t remove \'/data/layer3\'');
    const xattr = await execa('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "user.burrow").decode())', join(box.root, 'containers', id, 'merged', 'data', 'xattr')]);
    expect(xattr.stdout).toBe('test');
    await run(box, ['rm', id]);
  });

  it('falls back to copying when neither overlay can mount (simulated: failing burrow-mount, no fuse-overlayfs)', async () => {
    const bin = pathWithOnly(join(box.dir, 'no-overlay-bin'), ['unshare', 'sh', 'umount', 'bwrap', 'rm', 'cp', 'newuidmap', 'newgidmap']);
    const cli = installWithHelpers(join(box.dir, 'no-overlay-install'), { 'burrow-mount': '#!/bin/sh\nexit 32\n' });
    const result = await run(box, ['run', '--rm', busybox(), 'cat', '/etc/passwd'], { env: { PATH: bin }, bin: cli });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^root:/);
    expect(result.stderr).toMatch(/neither the kernel's overlayfs nor fuse-overlayfs can mount here .*copying the layers instead/);
  });

  it('maps only the user when newuidmap is missing, says so, and still runs root-owned images', async () => {
    // A PATH with everything burrow calls except newuidmap/newgidmap.
    const bin = pathWithOnly(join(box.dir, 'no-uidmap-bin'), ['unshare', 'sh', 'mount', 'umount', 'bwrap', 'rm', 'fuse-overlayfs', 'fusermount3']);
    const fresh = sandbox();
    const result = await run(fresh, ['run', '--rm', busybox(), 'sh', '-c', 'id -u; cat /proc/self/uid_map | wc -l'], { env: { PATH: bin } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe('0\n1');
    expect(result.stderr).toMatch(/mapping only your own uid into the container: newuidmap\/newgidmap are not installed/);
  });
});

describe('burrow run -t', () => {
  it('gives the job a terminal of the caller\'s size, passes keys with -i, and restores the terminal', async () => {
    const output = await inTerminal(box, [
      'stty cols 91 rows 27',
      `${process.execPath} ${BURROW_BIN} run --rm -t ${busybox()} sh -c 'test -t 0 && echo stdin-is-tty; stty size; echo TERM=$TERM'`,
      'echo "first=$?"',
      `${process.execPath} ${BURROW_BIN} run --rm -it ${busybox()} sh`,
      'echo "second=$?"',
      'stty -a | grep -o -- "-\\?icanon"',
    ], [
      // Typed once the shell's prompt is up, and the exit once the line's own output is back (the echo of the typed line reads inside-$((40+2))).
      { afterOutput: '/ # ', text: 'echo inside-$((40+2))\n' },
      { afterOutput: 'inside-42', text: 'exit 3\n' },
    ]);
    expect(output).toContain('stdin-is-tty');
    expect(output).toContain('27 91');
    expect(output).toContain('TERM=xterm');
    expect(output).toContain('first=0');
    expect(output).toContain('inside-42');
    expect(output).toContain('second=3');
    // Canonical mode is back on after burrow leaves raw mode.
    expect(output.trim().split('\n').at(-1)).toBe('icanon');
  });
});

describe('burrow run: nothing left behind', () => {
  it('kills what the job left running when it exits (the pid namespace dies with PID 1)', async () => {
    const marker = `sleep ${40_000 + Math.floor(Math.random() * 10_000)}`;
    const result = await sh(`${marker} & echo started`);
    expect(result.stdout).toBe('started');
    // Gone, waited for rather than after a guessed delay: a survivor never goes, and the wait fails naming it.
    await until(async () => String((await execa('pgrep', ['-f', marker], { reject: false })).stdout) === '', 15_000, `no process "${marker}" left`);
  });

  it('--rm removes the container whether its files belong to the user or to mapped ids; BURROW_TRACE names each phase in order', async () => {
    const containers = join(box.root, 'containers');
    const list = (): string[] => (existsSync(containers) ? readdirSync(containers).sort() : []);
    const before = list();
    const traced = await run(box, ['run', '--rm', busybox(), 'sh', '-c', 'mkdir /w && echo x > /w/f'], { env: { BURROW_TRACE: '1' } });
    expect(traced.exitCode, traced.stderr).toBe(0);
    const phases = traced.stderr.split('\n').filter((line) => line.startsWith('burrow-trace')).map((line) => /^burrow-trace\s+([\d.]+) ms {2}(.+)$/.exec(line)!);
    expect(phases.map((match) => match[2])).toEqual(['cli loaded', 'commands loaded', 'create', 'image found', 'layers ready', 'container created', 'network ready', 'cgroup ready', 'launcher', 'sandbox up', 'job exited', 'cgroup removed', 'removed', 'done']);
    const times = phases.map((match) => Number(match[1]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(list()).toEqual(before);
    const mapped = await sh('mkdir -p /w/deep && echo x > /w/deep/f && chown -R 1000:1000 /w');
    expect(mapped.exitCode, mapped.stderr).toBe(0);
    expect(list()).toEqual(before);
  });

  it('keeps the user xattrs of image files', async () => {
    expect((await sh('true', [], multilayer())).exitCode).toBe(0);
    const layers = join(box.root, 'layers');
    const withXattr = readdirSync(layers).map((hex) => join(layers, hex, 'data', 'xattr')).find((path) => existsSync(path));
    expect(withXattr).toBeDefined();
    const value = await execa('python3', ['-c', 'import os,sys; print(os.getxattr(sys.argv[1], "user.burrow").decode())', withXattr!]);
    expect(value.stdout).toBe('test');
  });

  it('names what is missing when fuse-overlayfs is asked for but absent', async () => {
    const bin = pathWithOnly(join(box.dir, 'no-fuse-bin'), ['unshare', 'sh', 'mount', 'umount', 'bwrap', 'rm', 'newuidmap', 'newgidmap']);
    // --network none: this PATH has no pasta either, whose note would be a second line.
    const result = await run(box, ['run', '--rm', '--network', 'none', '--storage-driver', 'fuse-overlayfs', busybox(), 'true'], { env: { PATH: bin } });
    expect(expectOneLineError(result)).toMatch(/fuse-overlayfs failed: fuse-overlayfs is not installed or not on PATH \(Debian\/Ubuntu: apt-get install fuse-overlayfs\)/);
  });
});

/** A PATH directory holding only these host tools: what is left out is "not installed". */
function pathWithOnly(bin: string, tools: string[]): string {
  mkdirSync(bin, { recursive: true });
  for (const tool of tools) {
    const found = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((dir) => join(dir, tool)).find((path) => existsSync(path));
    if (found !== undefined && !existsSync(join(bin, tool))) symlinkSync(found, join(bin, tool));
  }
  return bin;
}
