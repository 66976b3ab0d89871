import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { reclaimOwnership } from '../../src/index.js';
import { idMapping } from '../../src/userns/idmap.js';
import { keepIdRanges } from '../../src/userns/keep-id.js';
import { busyboxLayerTar } from '../helpers/bed.js';
import { expectOneLineError, run } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { dockerArchive, tarArchive } from '../helpers/tar-writer.js';

/*
 * The workspace stays the runner's (issue 12). A job that runs as a non-root user
 * of its image writes files into a mounted workspace that belong, on the host, to
 * a subordinate id; the runner (this unprivileged test user) cannot remove them,
 * until reclaimOwnership or `burrow unshare rm -rf` gives them back. With
 * --userns=keep-id the runner's own ids are the job's. Every ownership is checked
 * from the host.
 */

const runner = { uid: process.getuid!(), gid: process.getgid!() };
const mapping = idMapping();
/** The host uid of container uid 1000 under the default mapping. */
const HOST_1000 = mapping.uidRange!.start + 999;

/** uid_map's lines as numbers, by container id (the kernel lists them in the order they were written). */
const sortedMap = (lines: string[]): number[][] => lines.map((line) => line.trim().split(/\s+/).map(Number)).sort((a, b) => a[0]! - b[0]!);
/** keep-id's map for the runner, as keep-id.ts computes it. */
const keepIdMap = (): number[][] => keepIdRanges(runner.uid, runner.uid, mapping.uidRange!.start, mapping.uidRange!.count).map((range) => [range.inner, range.outer, range.count]);

const box = suiteSandbox();
let counter = 0;

beforeAll(async () => {
  // An image whose User is a non-root user of its own /etc/passwd, as node's images are.
  const users = tarArchive([
    { name: 'etc/', type: 'dir', mode: 0o755 },
    { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n', mode: 0o644 },
    { name: 'etc/group', content: 'root:x:0:\nnode:x:1000:\n', mode: 0o644 },
    { name: 'home/', type: 'dir', mode: 0o755 },
    { name: 'home/node/', type: 'dir', mode: 0o755, uid: 1000, gid: 1000 },
  ]);
  const archive = join(box.dir, 'node-user.tar');
  writeFileSync(archive, dockerArchive('node-user:latest', [busyboxLayerTar(), users], { User: 'node' }));
  const loaded = await run(box, ['load', '-q', '-i', archive]);
  expect(loaded.exitCode, loaded.stderr).toBe(0);
});

/** A fresh workspace the job (another uid) may write into, as a CI checkout the job is given. */
function workspace(): string {
  const dir = join(box.dir, `ws-${++counter}`);
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  return dir;
}

/**
 * What the job leaves: files, a read-only directory with a file in it, a mode-000
 * directory with a file in it, and a symlink that points out of the workspace at
 * `victim` (another job's file, owned by a subordinate id).
 */
const JOB = 'mkdir /ws/out /ws/out/ro /ws/out/locked && echo a > /ws/out/file && echo b > /ws/out/ro/inner && busybox chmod 555 /ws/out/ro'
  + ' && echo c > /ws/out/locked/secret && busybox chmod 000 /ws/out/locked && busybox chmod 000 /ws/out/file && busybox ln -s "$VICTIM" /ws/out/link';

/** Runs JOB in `image` with `args` (a user), and makes the victim outside the workspace. */
async function leaveFiles(ws: string, image: string, args: string[]): Promise<string> {
  const outside = workspace();
  const victim = join(outside, 'victim');
  const made = await run(box, ['run', '--rm', '-u', '1000', '-v', `${outside}:/other`, busybox(), 'touch', '/other/victim']);
  expect(made.exitCode, made.stderr).toBe(0);
  expect(lstatSync(victim).uid).toBe(HOST_1000);
  const result = await run(box, ['run', '--rm', ...args, '-e', `VICTIM=${victim}`, '-v', `${ws}:/ws`, image, 'sh', '-c', JOB]);
  expect(result.exitCode, result.stderr).toBe(0);
  // On the host the job's files belong to container uid 1000's subordinate id, and the runner cannot remove them.
  for (const name of ['out', 'out/file', 'out/ro', 'out/ro/inner', 'out/locked', 'out/link']) expect(lstatSync(join(ws, name)).uid, name).toBe(HOST_1000);
  expect(() => rmSync(join(ws, 'out'), { recursive: true, force: true })).toThrow(/EACCES|EPERM/);
  expect(existsSync(join(ws, 'out', 'file'))).toBe(true);
  return victim;
}

describe('a job running as uid 1000 in a mounted workspace', () => {
  it('leaves files the runner cannot remove (-u 1000); reclaimOwnership gives them back, never following the symlink out', async () => {
    const ws = workspace();
    const victim = await leaveFiles(ws, busybox(), ['-u', '1000']);
    const { changed } = await reclaimOwnership(ws);
    expect(changed).toBeGreaterThanOrEqual(6);
    // The link itself is the runner's now; what it points at, outside the workspace, is not touched.
    expect(lstatSync(join(ws, 'out', 'link')).uid).toBe(runner.uid);
    expect(lstatSync(victim).uid).toBe(HOST_1000);
    for (const name of ['out', 'out/file', 'out/ro', 'out/ro/inner', 'out/locked', 'out/locked/secret']) {
      expect(lstatSync(join(ws, name)).uid, name).toBe(runner.uid);
      expect(lstatSync(join(ws, name)).gid, name).toBe(runner.gid);
    }
    expect(statSync(join(ws, 'out', 'ro')).mode & 0o700).toBe(0o700);
    expect(statSync(join(ws, 'out', 'locked')).mode & 0o700).toBe(0o700);
    rmSync(join(ws, 'out'), { recursive: true });
    expect(existsSync(join(ws, 'out'))).toBe(false);
    // Nothing left to give back: a second pass changes nothing.
    expect((await reclaimOwnership(ws)).changed).toBe(0);
  });

  it('leaves files the runner cannot remove (an image whose User is node); burrow unshare rm -rf removes them', async () => {
    const ws = workspace();
    const victim = await leaveFiles(ws, 'node-user:latest', []);
    const removed = await run(box, ['unshare', 'rm', '-rf', join(ws, 'out')]);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(existsSync(join(ws, 'out'))).toBe(false);
    expect(lstatSync(victim).uid).toBe(HOST_1000);
  });
});

describe('burrow unshare', () => {
  it('runs the command as root of burrow\'s user namespace, with the containers\' mapping, and exits with its status', async () => {
    const ids = await run(box, ['unshare', 'sh', '-c', 'id -u; id -g; cat /proc/self/uid_map']);
    expect(ids.exitCode, ids.stderr).toBe(0);
    const [uid, gid, ...map] = ids.stdout.trim().split('\n');
    expect([uid, gid]).toEqual(['0', '0']);
    expect(map.map((line) => line.trim().split(/\s+/).map(Number))).toEqual([[0, runner.uid, 1], [1, mapping.uidRange!.start, mapping.uidRange!.count]]);
    expect((await run(box, ['unshare', 'sh', '-c', 'exit 7'])).exitCode).toBe(7);
  });
});

describe('--userns=keep-id', () => {
  it('shows the runner\'s files as the runner\'s uid inside, and what the job makes as that uid is the runner\'s on the host', async () => {
    const ws = workspace();
    writeFileSync(join(ws, 'mine'), 'from the runner\n');
    const script = 'id -u; id -g; stat -c %u:%g /ws/mine; stat -c %u:%g /etc/passwd /bin /; cat /proc/self/uid_map; mkdir /ws/made && echo x > /ws/made/file && busybox chmod 555 /ws/made';
    const result = await run(box, ['run', '--rm', '--userns=keep-id', '-v', `${ws}:/ws`, busybox(), 'sh', '-c', script]);
    expect(result.exitCode, result.stderr).toBe(0);
    const [uid, gid, mine, passwd, bin, root, ...map] = result.stdout.trim().split('\n');
    // The default user is the runner's own uid and gid.
    expect([uid, gid]).toEqual([String(runner.uid), String(runner.gid)]);
    expect(mine).toBe(`${runner.uid}:${runner.gid}`);
    // The image's root files stay root's (the copy driver's shift).
    expect([passwd, bin, root]).toEqual(['0:0', '0:0', '0:0']);
    expect(sortedMap(map)).toEqual(keepIdMap());
    for (const name of ['made', 'made/file']) expect(lstatSync(join(ws, name)).uid, name).toBe(runner.uid);
    // No reclaim needed: the runner removes it (its own read-only directory) as it is.
    chmodSync(join(ws, 'made'), 0o755);
    rmSync(join(ws, 'made'), { recursive: true });
  });

  it('follows Podman\'s order for the user (-u, then the image\'s User, then the kept ids) and keep-id:uid=,gid=', async () => {
    const ws = workspace();
    writeFileSync(join(ws, 'mine'), '');
    const ids = async (args: string[], image = busybox()): Promise<string> => {
      const result = await run(box, ['run', '--rm', ...args, '-v', `${ws}:/ws`, image, 'sh', '-c', 'echo $(id -u):$(id -g) $(stat -c %u:%g /ws/mine)']);
      expect(result.exitCode, result.stderr).toBe(0);
      return result.stdout.trim();
    };
    expect(await ids(['--userns=keep-id:uid=1000,gid=1000'])).toBe('1000:1000 1000:1000');
    expect(await ids(['--userns=keep-id', '-u', '0'])).toBe(`0:0 ${runner.uid}:${runner.gid}`);
    expect(await ids(['--userns=keep-id'], 'node-user:latest')).toBe(`1000:1000 ${runner.uid}:${runner.gid}`);
  });

  it('is kept in the record: a later start, exec and rm use the same mapping', async () => {
    const created = await run(box, ['create', '--userns=keep-id', busybox(), 'sleep', '300']);
    expect(created.exitCode, created.stderr).toBe(0);
    const id = created.stdout.trim();
    const record = JSON.parse(readFileSync(join(box.root, 'containers', id, 'container.json'), 'utf8')) as { userns?: unknown; plan: { rootfs: { driver: string } } };
    expect(record.userns).toMatchObject({ mode: 'keep-id', uid: runner.uid, gid: runner.gid });
    expect(record.plan.rootfs.driver).toBe('copy');
    // cp into the stopped container (its holder namespace), then into the running one (nsenter): the caller's file keeps
    // its uid, which keep-id maps to the same number inside, as docker cp keeps a host file's ids without -a.
    const file = join(box.dir, 'copied');
    writeFileSync(file, 'copied\n');
    const before = await run(box, ['cp', file, `${id}:/tmp/before`]);
    expect(before.exitCode, before.stderr).toBe(0);
    const started = await run(box, ['start', id]);
    expect(started.exitCode, started.stderr).toBe(0);
    const after = await run(box, ['cp', file, `${id}:/tmp/after`]);
    expect(after.exitCode, after.stderr).toBe(0);
    const exec = await run(box, ['exec', id, 'sh', '-c', 'echo $(id -u) $(stat -c %u /etc/passwd /tmp/before /tmp/after); cat /proc/self/uid_map']);
    expect(exec.exitCode, exec.stderr).toBe(0);
    const [ids, ...map] = exec.stdout.trim().split('\n');
    expect(ids).toBe(`${runner.uid} 0 ${runner.uid} ${runner.uid}`);
    expect(sortedMap(map)).toEqual(keepIdMap());
    const removed = await run(box, ['rm', '-f', id]);
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(existsSync(join(box.root, 'containers', id))).toBe(false);
  });

  it('gives the runner what burrow cp copies out (files of root and of the kept user, a directory, a symlink), from a running and a stopped container', async () => {
    const made = 'umask 077; mkdir /tmp/out; echo mine > /tmp/out/mine; busybox ln -s mine /tmp/out/link; sleep 300';
    const created = await run(box, ['run', '-d', '--userns=keep-id', busybox(), 'sh', '-c', made]);
    expect(created.exitCode, created.stderr).toBe(0);
    const id = created.stdout.trim();
    // Root's: a private file, and a directory of root's with a file in it.
    const asRoot = await run(box, ['exec', '-u', '0', id, 'sh', '-c', 'umask 077; until [ -e /tmp/out/link ]; do sleep 0.1; done; echo secret > /tmp/by-root; mkdir /tmp/out/root-dir; echo inner > /tmp/out/root-dir/inner; stat -c %u /tmp/by-root /tmp/out/mine']);
    expect(asRoot.exitCode, asRoot.stderr).toBe(0);
    expect(asRoot.stdout.trim().split('\n')).toEqual(['0', String(runner.uid)]);
    const copyOut = async (into: string): Promise<void> => {
      for (const path of ['/tmp/by-root', '/tmp/out']) {
        const copied = await run(box, ['cp', `${id}:${path}`, into]);
        expect(copied.exitCode, copied.stderr).toBe(0);
      }
      // Every copy is the runner's on the host, readable and removable as it is: no burrow unshare.
      for (const name of ['by-root', 'out', 'out/mine', 'out/link', 'out/root-dir', 'out/root-dir/inner']) {
        expect([lstatSync(join(into, name)).uid, lstatSync(join(into, name)).gid], name).toEqual([runner.uid, runner.gid]);
      }
      expect(readFileSync(join(into, 'by-root'), 'utf8')).toBe('secret\n');
      expect(statSync(join(into, 'by-root')).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(into, 'out', 'root-dir', 'inner'), 'utf8')).toBe('inner\n');
      expect(readFileSync(join(into, 'out', 'link'), 'utf8')).toBe('mine\n');
      rmSync(join(into, 'by-root'));
      rmSync(join(into, 'out'), { recursive: true });
      expect(existsSync(join(into, 'out'))).toBe(false);
    };
    // Running: the worker enters the container's namespace; stopped: a holder mounts its root.
    await copyOut(workspace());
    expect((await run(box, ['stop', '-t', '0', id])).exitCode).toBe(0);
    await copyOut(workspace());
    expect((await run(box, ['rm', '-f', id])).exitCode).toBe(0);
  });

  it('adds the runner to the container\'s /etc/passwd and /etc/group (Podman\'s line), leaving the image as it was', async () => {
    const { username, homedir } = userInfo();
    const groupName = readFileSync('/etc/group', 'utf8').split('\n').map((line) => line.split(':')).find((fields) => fields[2] === String(runner.gid))?.[0] ?? username;
    const script = 'id -un; whoami; id -gn; echo "$HOME"; stat -c %u:%g /etc/passwd /etc/group; grep "^[^:]*:[^:]*:$(id -u):" /etc/passwd; grep "^[^:]*:[^:]*:$(id -g):" /etc/group';
    const kept = await run(box, ['run', '--rm', '--userns=keep-id', busybox(), 'sh', '-c', script]);
    expect(kept.exitCode, kept.stderr).toBe(0);
    expect(kept.stdout.trim().split('\n')).toEqual([
      username, username, groupName, '/',
      // Written into the container's own copy of the file: still root's, not a bind mount of the runner's.
      '0:0', '0:0',
      `${username}:*:${runner.uid}:${runner.gid}:${username}:/:/bin/sh`,
      `${groupName}:x:${runner.gid}:${username}`,
    ]);
    // With the host home mounted at its own path, that is the line's home and $HOME.
    const home = await run(box, ['run', '--rm', '--userns=keep-id', '-v', `${homedir}:${homedir}:ro`, busybox(), 'sh', '-c', 'echo "$HOME"; grep "^$(id -un):" /etc/passwd | busybox cut -d: -f6']);
    expect(home.exitCode, home.stderr).toBe(0);
    expect(home.stdout.trim().split('\n')).toEqual([homedir, homedir]);
    // The image's layers are unchanged: a container of the default mapping has no such line.
    const plain = await run(box, ['run', '--rm', busybox(), 'sh', '-c', `grep -c "^${username}:" /etc/passwd; true`]);
    expect(plain.stdout.trim()).toBe('0');
    // An image whose passwd has the kept uid already keeps its own files, byte for byte.
    const image = await run(box, ['run', '--rm', 'node-user:latest', 'cat', '/etc/passwd', '/etc/group']);
    const known = await run(box, ['run', '--rm', '--userns=keep-id:uid=1000,gid=1000', 'node-user:latest', 'sh', '-c', 'cat /etc/passwd /etc/group; id -un; whoami']);
    expect(known.exitCode, known.stderr).toBe(0);
    expect(known.stdout).toBe(`${image.stdout}\nnode\nnode`);
  });

  it('refuses what cannot be had rootless, and an overlay over the shared layers, in one line', async () => {
    for (const args of [['--userns=host'], ['--userns='], ['--userns=auto'], ['--userns=keep-id:size=100'], ['--userns=keep-id', '--storage-driver', 'overlay']]) {
      expect(expectOneLineError(await run(box, ['run', '--rm', ...args, busybox(), 'true'])), args.join(' ')).toMatch(/--userns|keep-id/);
    }
    // Namespaces of different mappings are not joined, either way.
    const kept = await run(box, ['create', '--name', 'kept', '--userns=keep-id', busybox(), 'true']);
    expect(kept.exitCode, kept.stderr).toBe(0);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--network', 'container:kept', busybox(), 'true']))).toMatch(/keep-id/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--userns=keep-id', '--network', 'container:kept', busybox(), 'true']))).toMatch(/keep-id/);
    expect((await run(box, ['rm', 'kept'])).exitCode).toBe(0);
  });
});
