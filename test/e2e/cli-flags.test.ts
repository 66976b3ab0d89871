import { accessSync, constants, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bed, busyboxLayerTar } from '../helpers/bed.js';
import { execa } from 'execa';
import { BURROW_BIN, expectOneLineError, run, sandbox } from '../helpers/cli.js';
import { busybox, suiteSandbox } from '../helpers/suite.js';
import { until } from '../helpers/poll.js';
import { dockerArchive, tarArchive } from '../helpers/tar-writer.js';

/**
 * Issue 14's flags of `run`/`create` and the other commands that Docker has and
 * burrow lacked, each tried as a script would use it, and the behaviours that
 * differed from Docker's.
 */
const box = suiteSandbox();

interface Inspected { Name: string; Image: string; Config: { StopSignal: string; StopTimeout?: number; Labels: Record<string, string> } }
const inspect = async (name: string): Promise<Inspected> => {
  const result = await run(box, ['inspect', name]);
  if (result.exitCode !== 0) throw new Error(`burrow inspect ${name} failed (${result.exitCode}): ${result.stderr}`);
  return (JSON.parse(result.stdout) as Inspected[])[0]!;
};
const ok = async (args: string[], input?: string): Promise<string> => {
  const result = await run(box, args, input === undefined ? {} : { input });
  expect(result.exitCode, `burrow ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
};
const volumeNames = async (): Promise<string[]> => (await ok(['volume', 'ls', '-q'])).split('\n').filter(Boolean);

describe('run and create: flags Docker has', () => {
  it('takes -t=false, --rm=true, --init=true (Go flag values), but never rewrites the container\'s own arguments', async () => {
    const out = await ok(['run', '--rm=true', '-t=false', '-i=false', '--init=true', '--name', 'booleans', busybox(), 'sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "; echo; echo -t=false']);
    const [pid1, echoed] = out.split('\n');
    // --init=true: burrow-init stays PID 1 (it is bound at /dev/.burrow-init).
    expect(pid1).toContain('/dev/.burrow-init');
    expect(echoed).toBe('-t=false');
    // --rm=true removed it.
    expect((await run(box, ['inspect', 'booleans'])).exitCode).not.toBe(0);
    const kept = await ok(['run', '--rm=false', '--name', 'kept', busybox(), 'true']);
    expect(kept).toBe('');
    expect((await inspect('kept')).Name).toBe('/kept');
    await ok(['rm', 'kept']);
  });

  it('accepts --name /x as x, and --net as --network', async () => {
    await ok(['create', '--name', '/slashed', '--net', 'none', busybox(), 'true']);
    expect((await inspect('slashed')).Name).toBe('/slashed');
    expect(await ok(['start', '-a', 'slashed'])).toBe('');
    // /proc/net/dev is the job's network namespace (/sys/class/net would be the host's sysfs).
    const interfaces = ['sh', '-c', 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'];
    expect(await ok(['run', '--rm', '--net=none', busybox(), ...interfaces])).toBe('lo');
    expect(await ok(['run', '--rm', '--net', 'host', busybox(), ...interfaces])).not.toBe('lo');
    await ok(['rm', 'slashed']);
  });

  it('-q says nothing about the pull; --pull never refuses a missing image, --pull always pulls over a local name', async () => {
    const fresh = sandbox();
    const quiet = await run(fresh, ['run', '-q', '--rm', busybox(), 'true']);
    expect(quiet).toMatchObject({ exitCode: 0, stderr: '' });
    const other = sandbox();
    const noisy = await run(other, ['run', '--rm', busybox(), 'true']);
    expect(noisy.stderr).toContain('Unable to find image');
    const never = await run(sandbox(), ['run', '--rm', '--pull', 'never', busybox(), 'true']);
    expect(expectOneLineError(never)).toMatch(/no such image/);
    expect(never.exitCode).toBe(125);
    // The local name now means another image; --pull always fetches the registry's again.
    const multilayer = `${bed().registries.anon}/multilayer:oci`;
    await ok(['pull', '-q', multilayer]);
    const busyboxId = (JSON.parse(await ok(['image', 'inspect', busybox()])) as Array<{ Id: string }>)[0]!.Id;
    await ok(['tag', multilayer, busybox()]);
    await ok(['create', '--name', 'local-name', busybox(), 'true']);
    expect((await inspect('local-name')).Image).not.toBe(busyboxId);
    await ok(['create', '--pull', 'always', '--name', 'pulled-again', busybox(), 'true']);
    expect((await inspect('pulled-again')).Image).toBe(busyboxId);
    await ok(['rm', 'local-name', 'pulled-again']);
    expect(expectOneLineError(await run(box, ['run', '--pull', 'sometimes', busybox(), 'true']))).toMatch(/--pull "sometimes"/);
  });

  it('--platform: this host\'s platform runs; a stored image of another platform is refused', async () => {
    expect(await ok(['run', '--rm', '--platform', 'linux/amd64', busybox(), 'echo', 'ran'])).toBe('ran');
    expect(expectOneLineError(await run(box, ['run', '--rm', '--platform', 'linux/arm64', busybox(), 'true']))).toMatch(/linux\/amd64, not the --platform linux\/arm64/);
  });

  it('--ulimit sets soft and hard limits for the job and exec; raising the hard limit above the host\'s is refused', async () => {
    expect(await ok(['run', '--rm', '--ulimit', 'nofile=100:200', '--ulimit', 'core=0', busybox(), 'sh', '-c', 'ulimit -n; ulimit -Hn; ulimit -c'])).toBe('100\n200\n0');
    await ok(['run', '-d', '--name', 'limited', '--ulimit', 'nproc=50:60', busybox(), 'sleep', '1000']);
    expect(await ok(['exec', 'limited', 'sh', '-c', 'ulimit -u; ulimit -Hu'])).toBe('50\n60');
    await ok(['rm', '-f', 'limited']);
    const raised = await run(box, ['run', '--rm', '--ulimit', 'nofile=100:999999999', busybox(), 'true']);
    expect(raised.exitCode).toBe(125);
    expect(raised.stderr).toMatch(/cannot set --ulimit .*rootless container cannot raise a hard limit/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--ulimit', 'nofiles=1', busybox(), 'true']))).toMatch(/invalid --ulimit "nofiles=1"/);
  });

  it('--oom-score-adj raises the score; lowering it, which needs the host\'s CAP_SYS_RESOURCE, fails in one line', async () => {
    expect(await ok(['run', '--rm', '--oom-score-adj', '500', busybox(), 'cat', '/proc/self/oom_score_adj'])).toBe('500');
    const lowered = await run(box, ['run', '--rm', '--oom-score-adj', '-500', busybox(), 'true']);
    expect(lowered.exitCode).toBe(125);
    expect(lowered.stderr).toMatch(/cannot set --oom-score-adj -500/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--oom-score-adj', '2000', busybox(), 'true']))).toMatch(/-1000 to 1000/);
  });

  it('--stop-signal and --stop-timeout are what stop uses without -t', async () => {
    await ok(['run', '-d', '--name', 'usr1', '--stop-signal', 'USR1', '--stop-timeout', '30', busybox(), 'sh', '-c', 'trap "echo got-usr1; exit 3" USR1; echo up; while true; do sleep 0.1; done']);
    await until(async () => (await run(box, ['logs', 'usr1'])).stdout === 'up');
    const inspected = await inspect('usr1');
    expect(inspected.Config.StopSignal).toBe('SIGUSR1');
    expect(inspected.Config.StopTimeout).toBe(30);
    await ok(['stop', 'usr1']);
    expect((await run(box, ['logs', 'usr1'])).stdout).toBe('up\ngot-usr1');
    expect(await ok(['wait', 'usr1'])).toBe('3');
    await ok(['rm', 'usr1']);
    expect(expectOneLineError(await run(box, ['create', '--stop-signal', 'SIGNOPE', busybox(), 'true']))).toMatch(/--stop-signal "SIGNOPE"/);
  });

  it("stop and restart take Docker 23's --timeout as well as -t/--time", async () => {
    await ok(['run', '-d', '--name', 'deaf', busybox(), 'sh', '-c', 'trap "" TERM; echo up; while true; do sleep 0.1; done']);
    await until(async () => (await run(box, ['logs', 'deaf'])).stdout === 'up');
    await ok(['restart', '--timeout', '0', 'deaf']);
    await ok(['stop', '--timeout', '0', 'deaf']);
    // SIGTERM is ignored: only the SIGKILL after the timeout ends it.
    expect(await ok(['wait', 'deaf'])).toBe('137');
    expect(expectOneLineError(await run(box, ['stop', '--timeout', 'soon', 'deaf']))).toMatch(/soon/);
    await ok(['rm', 'deaf']);
  });

  it('--cidfile gets the id while the container runs; an existing file is refused before anything is made', async () => {
    const file = join(box.dir, 'cid');
    await ok(['run', '-d', '--cidfile', file, '--name', 'with-cid', busybox(), 'sleep', '1000']);
    const id = readFileSync(file, 'utf8');
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await ok(['ps', '-q', '--no-trunc', '--filter', 'name=with-cid'])).toBe(id);
    const before = await ok(['ps', '-a', '-q']);
    expect(expectOneLineError(await run(box, ['create', '--cidfile', file, busybox(), 'true']))).toMatch(/container ID file found/);
    expect(await ok(['ps', '-a', '-q'])).toBe(before);
    await ok(['rm', '-f', 'with-cid']);
  });

  it('--group-add adds gids and the image\'s group names', async () => {
    const groups = (await ok(['run', '--rm', '-u', 'app', '--group-add', '4242', '--group-add', 'nogroup', busybox(), 'id', '-G'])).split(' ');
    expect(groups).toEqual(expect.arrayContaining(['1000', '4242', '65534']));
    expect(expectOneLineError(await run(box, ['run', '--rm', '--group-add', 'no-such-group', busybox(), 'true']))).toMatch(/--group-add no-such-group/);
  });

  it('--device binds a host device the user may open; one it may not open is refused in one line', async () => {
    expect(await ok(['run', '--rm', '--device', '/dev/null:/dev/my-null', busybox(), 'sh', '-c', 'test -c /dev/my-null && echo written > /dev/my-null && echo ok'])).toBe('ok');
    const closed = ['/dev/loop-control', '/dev/btrfs-control', '/dev/cpu_dma_latency', '/dev/kvm'].find((path) => {
      if (!existsSync(path)) return false;
      try {
        accessSync(path, constants.R_OK);
        return false;
      } catch {
        return true;
      }
    });
    if (closed !== undefined) expect(expectOneLineError(await run(box, ['run', '--rm', '--device', closed, busybox(), 'true']))).toMatch(/may not open it on the host/);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--device', '/etc/passwd', busybox(), 'true']))).toMatch(/not a device node/);
  });

  it('--log-driver none keeps no log (logs says so, as Docker); json-file is the default; others are refused', async () => {
    await ok(['run', '-d', '--name', 'no-log', '--log-driver', 'none', busybox(), 'sh', '-c', 'echo secret-output; sleep 1000']);
    await ok(['exec', 'no-log', 'true']);
    expect(expectOneLineError(await run(box, ['logs', 'no-log']))).toMatch(/does not support reading/);
    const recordDir = join(box.root, 'containers', JSON.parse(await ok(['inspect', 'no-log']))[0].Id as string);
    expect(existsSync(join(recordDir, 'ctr.log'))).toBe(false);
    await ok(['rm', '-f', 'no-log']);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--log-driver', 'syslog', busybox(), 'true']))).toMatch(/--log-driver "syslog"/);
  });

  it('-a attaches only the streams named; -a with -d is refused', async () => {
    const result = await run(box, ['run', '--rm', '-a', 'stdout', busybox(), 'sh', '-c', 'echo out; echo err >&2']);
    expect(result).toMatchObject({ exitCode: 0, stdout: 'out', stderr: '' });
    const errOnly = await run(box, ['run', '--rm', '-a', 'STDERR', busybox(), 'sh', '-c', 'echo out; echo err >&2']);
    expect(errOnly).toMatchObject({ exitCode: 0, stdout: '', stderr: 'err' });
    expect(expectOneLineError(await run(box, ['run', '-d', '-a', 'stdout', busybox(), 'true']))).toMatch(/-a and -d/);
  });

  it('--detach-keys is checked and accepted', async () => {
    expect(await ok(['run', '--rm', '--detach-keys', 'ctrl-p,ctrl-q', busybox(), 'echo', 'fine'])).toBe('fine');
    expect(await ok(['run', '--rm', '--detach-keys=', busybox(), 'echo', 'fine'])).toBe('fine');
    expect(expectOneLineError(await run(box, ['run', '--rm', '--detach-keys', 'ctrl-pp', busybox(), 'true']))).toMatch(/--detach-keys/);
  });

  it('--log-opt max-size takes fractions (1.5m)', async () => {
    await ok(['run', '-d', '--name', 'frac', '--log-opt', 'max-size=1.5m', busybox(), 'true']);
    const id = JSON.parse(await ok(['inspect', 'frac']))[0].Id as string;
    expect(JSON.parse(readFileSync(join(box.root, 'containers', id, 'container.json'), 'utf8')).logMaxSize).toBe(1572864);
    await ok(['rm', '-f', 'frac']);
    expect(expectOneLineError(await run(box, ['run', '--rm', '--log-opt', 'max-size=1.5.5m', busybox(), 'true']))).toMatch(/--log-opt/);
  });
});

describe('volumes: anonymous ones, :z and :Z, two on one target', () => {
  it('-v /path makes an anonymous volume (Docker\'s label) that rm -v removes and rm keeps', async () => {
    const before = await volumeNames();
    await ok(['run', '--name', 'anon', '-v', '/data', busybox(), 'sh', '-c', 'echo kept > /data/f']);
    const made = (await volumeNames()).filter((name) => !before.includes(name));
    expect(made).toHaveLength(1);
    expect(made[0]).toMatch(/^[0-9a-f]{64}$/);
    const [volume] = JSON.parse(await ok(['volume', 'inspect', made[0]!])) as Array<{ Labels: Record<string, string>; Mountpoint: string }>;
    expect(volume!.Labels).toEqual({ 'com.docker.volume.anonymous': '' });
    expect(readFileSync(join(volume!.Mountpoint, 'f'), 'utf8')).toBe('kept\n');
    await ok(['rm', '-v', 'anon']);
    expect(await volumeNames()).toEqual(before);

    await ok(['run', '--name', 'anon2', '-v', '/data', busybox(), 'true']);
    await ok(['rm', 'anon2']);
    const left = (await volumeNames()).filter((name) => !before.includes(name));
    expect(left).toHaveLength(1);
    await ok(['volume', 'rm', left[0]!]);
  });

  it('--rm removes the anonymous volumes, in the foreground and detached; named ones stay', async () => {
    const before = await volumeNames();
    expect(await ok(['run', '--rm', '-v', '/data', '-v', 'named-stays:/named', busybox(), 'sh', '-c', 'ls -d /data /named'])).toBe('/data\n/named');
    expect(await volumeNames()).toEqual([...before, 'named-stays'].sort());
    await ok(['run', '-d', '--rm', '--name', 'anon-detached', '-v', '/data', busybox(), 'sh', '-c', 'sleep 0.5']);
    await until(async () => (await run(box, ['inspect', 'anon-detached'])).exitCode !== 0, 30_000, 'the --rm container to go');
    await until(async () => (await volumeNames()).length === before.length + 1, 30_000, 'its anonymous volume to go');
    expect(await volumeNames()).toEqual([...before, 'named-stays'].sort());
    await ok(['volume', 'rm', 'named-stays']);
  });

  it('an image\'s VOLUME is an anonymous volume in each container (Docker), unless the run mounts something there; parents are mounted first', async () => {
    await ok(['create', '--name', 'volume-base', busybox(), 'true']);
    await ok(['commit', '--change', 'VOLUME ["/data", "/cache/"]', 'volume-base', 'with-volumes:1']);
    await ok(['rm', 'volume-base']);
    const before = await volumeNames();
    // Written in the container, /data/f lands in a volume of its own, not in the container's layer.
    await ok(['run', '--name', 'image-volumes', 'with-volumes:1', 'sh', '-c', 'echo in-volume > /data/f; grep -c " /data \\| /cache " /proc/mounts']);
    const made = (await volumeNames()).filter((name) => !before.includes(name));
    expect(made).toHaveLength(2);
    const mounts = (JSON.parse(await ok(['inspect', 'image-volumes'])) as Array<{ Mounts: Array<{ Type: string; Name?: string; Destination: string; Source: string }> }>)[0]!.Mounts;
    expect(mounts.map((mount) => [mount.Type, mount.Destination]).sort()).toEqual([['volume', '/cache'], ['volume', '/data']]);
    const data = mounts.find((mount) => mount.Destination === '/data')!;
    expect(readFileSync(join(data.Source, 'f'), 'utf8')).toBe('in-volume\n');
    for (const name of made) expect((JSON.parse(await ok(['volume', 'inspect', name])) as Array<{ Labels: Record<string, string> }>)[0]!.Labels).toEqual({ 'com.docker.volume.anonymous': '' });
    await ok(['rm', '-v', 'image-volumes']);
    expect(await volumeNames()).toEqual(before);

    // A mount the run gives on that target wins (no anonymous volume for it); --rm takes the others.
    const host = join(box.dir, 'over-volume');
    mkdirSync(host);
    expect(await ok(['run', '--rm', '-v', `${host}:/data`, 'with-volumes:1', 'sh', '-c', 'echo host > /data/h; grep -c " /cache " /proc/mounts'])).toBe('1');
    expect(readFileSync(join(host, 'h'), 'utf8')).toBe('host\n');
    expect(await volumeNames()).toEqual(before);

    // -v inside an image's volume, given first: mounted after /data (fewer components first), so it stays visible.
    expect(await ok(['run', '--rm', '-v', `${host}:/data/sub`, 'with-volumes:1', 'cat', '/data/sub/h'])).toBe('host');
    expect(await volumeNames()).toEqual(before);
    await ok(['rmi', 'with-volumes:1']);
  });

  it('copy-up: an empty volume gets what the image holds at its mount point, owners and modes too (Docker); a volume with files keeps them', async () => {
    // podman's 160-volumes "copyup", in Docker's terms: a named volume on /etc gets the image's /etc.
    await ok(['volume', 'create', 'copied-up']);
    await ok(['run', '--rm', '-v', 'copied-up:/etc', busybox(), 'ls', '/etc/passwd']);
    const [volume] = JSON.parse(await ok(['volume', 'inspect', 'copied-up'])) as Array<{ Mountpoint: string }>;
    expect(readFileSync(join(volume!.Mountpoint, 'passwd'), 'utf8')).toMatch(/^root:/);
    // Copied beside the volume first (where no container can reach), then moved in: nothing of that left.
    expect(readdirSync(join(volume!.Mountpoint, '..')).filter((name) => name.startsWith('.copy-up-'))).toEqual([]);
    // Not empty any more: the next container's /etc is the volume as it is, nothing copied over it.
    writeFileSync(join(volume!.Mountpoint, 'passwd'), 'mine\n');
    expect(await ok(['run', '--rm', '-v', 'copied-up:/etc', busybox(), 'cat', '/etc/passwd'])).toBe('mine');
    await ok(['volume', 'rm', 'copied-up']);

    // nocopy (-v's mode, --mount's volume-nocopy): the volume stays empty; not for a host path.
    expect(await ok(['run', '--rm', '-v', 'not-copied:/etc:nocopy', '--mount', 'type=volume,src=not-copied2,dst=/usr,volume-nocopy', busybox(), '/bin/busybox', 'ls', '/etc', '/usr'])).toBe('/etc:\n\n/usr:');
    for (const name of ['not-copied', 'not-copied2']) {
      const [empty] = JSON.parse(await ok(['volume', 'inspect', name])) as Array<{ Mountpoint: string }>;
      expect(readdirSync(empty!.Mountpoint)).toEqual([]);
    }
    await ok(['volume', 'rm', 'not-copied', 'not-copied2']);
    expect(expectOneLineError(await run(box, ['run', '--rm', '-v', `${box.dir}:/x:nocopy`, busybox(), 'true']))).toMatch(/nocopy is for a volume/);

    // An image's VOLUME owned by its user: the anonymous volume takes the directory's owner and mode, and its files theirs.
    await ok(['create', '--name', 'owned-base', busybox(), 'sh', '-c', 'mkdir -p /srv/app/sub && echo hi > /srv/app/sub/f && chown -R 1234:2345 /srv/app && chmod 750 /srv/app && chmod 4711 /srv/app/sub/f']);
    await ok(['start', '-a', 'owned-base']);
    await ok(['commit', '--change', 'VOLUME /srv/app', '--change', 'USER 1234', 'owned-base', 'owned-volume:1']);
    await ok(['rm', 'owned-base']);
    expect(await ok(['run', '--rm', 'owned-volume:1', 'sh', '-c', 'stat -c "%u:%g %a" /srv/app /srv/app/sub/f; cat /srv/app/sub/f; touch /srv/app/new && echo writable; grep -c " /srv/app " /proc/mounts'])).toBe('1234:2345 750\n1234:2345 4711\nhi\nwritable\n1');
    await ok(['rmi', 'owned-volume:1']);
  });

  it('copy-up never reads the host: a VOLUME on a symlink that points at a host directory gets the container\'s side of it', async () => {
    const secret = join(box.dir, 'host-secret');
    mkdirSync(secret);
    writeFileSync(join(secret, 'token'), 'host only\n');
    // /leak -> the host directory's path: resolved inside the container's root, where it does not exist.
    await ok(['create', '--name', 'leak-base', busybox(), '/bin/busybox', 'ln', '-s', secret, '/leak']);
    await ok(['start', '-a', 'leak-base']);
    await ok(['commit', '--change', 'VOLUME /leak', 'leak-base', 'leaky:1']);
    await ok(['rm', 'leak-base']);
    const before = await volumeNames();
    await ok(['run', '--name', 'leaky', 'leaky:1', 'true']);
    const made = (await volumeNames()).filter((name) => !before.includes(name));
    expect(made).toHaveLength(1);
    const [volume] = JSON.parse(await ok(['volume', 'inspect', made[0]!])) as Array<{ Mountpoint: string }>;
    expect(readdirSync(volume!.Mountpoint)).toEqual([]);
    await ok(['rm', '-v', 'leaky']);
    await ok(['rmi', 'leaky:1']);
  });

  it('accepts :z, :Z and ro,Z (no SELinux here: no relabelling), and still mounts read-only', async () => {
    const dir = join(box.dir, 'labelled');
    mkdirSync(dir);
    writeFileSync(join(dir, 'f'), 'host\n');
    expect(await ok(['run', '--rm', '-v', `${dir}:/z:z`, busybox(), 'cat', '/z/f'])).toBe('host');
    const readOnly = await run(box, ['run', '--rm', '-v', `${dir}:/Z:ro,Z`, busybox(), 'sh', '-c', 'cat /Z/f; touch /Z/new']);
    expect(readOnly.stdout).toBe('host');
    expect(readOnly.exitCode).not.toBe(0);
    expect(existsSync(join(dir, 'new'))).toBe(false);
    expect(expectOneLineError(await run(box, ['run', '--rm', '-v', `${dir}:/x:rx`, busybox(), 'true']))).toMatch(/mode "rx"/);
  });

  it('refuses two mounts on one target (Docker does; burrow took the last)', async () => {
    const result = await run(box, ['run', '--rm', '-v', `${box.dir}:/data`, '--tmpfs', '/data/', busybox(), 'true']);
    expect(expectOneLineError(result)).toMatch(/duplicate mount point: \/data/);
    expect(result.exitCode).toBe(125);
  });

  it('volume create: without a name, -d local, -o type=tmpfs (both spellings) and a bind volume', async () => {
    const unnamed = (await ok(['volume', 'create'])).trim();
    expect(unnamed).toMatch(/^[0-9a-f]{64}$/);
    await ok(['volume', 'rm', unnamed]);
    await ok(['volume', 'create', '-d', 'local', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m,mode=1777', 'scratch']);
    await ok(['volume', 'create', '-o', 'type=tmpfs,device=tmpfs,o=size=2m', 'scratch2']);
    const mounts = await ok(['run', '--rm', '-v', 'scratch:/s', '-v', 'scratch2:/s2', busybox(), 'sh', '-c', 'grep -E " /s2? " /proc/mounts | cut -d" " -f2,3; df -k /s /s2 | tail -2 | tr -s " " | cut -d" " -f2; stat -c %a /s']);
    expect(mounts.split('\n')).toEqual(['/s tmpfs', '/s2 tmpfs', '1024', '2048', '1777']);
    expect((JSON.parse(await ok(['volume', 'inspect', 'scratch'])) as Array<{ Options: Record<string, string> }>)[0]!.Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=1m,mode=1777' });
    const host = join(box.dir, 'bind-volume');
    mkdirSync(host);
    await ok(['volume', 'create', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${host}`, 'bound']);
    await ok(['run', '--rm', '-v', 'bound:/b', busybox(), 'sh', '-c', 'echo through > /b/f']);
    expect(readFileSync(join(host, 'f'), 'utf8')).toBe('through\n');
    expect(expectOneLineError(await run(box, ['volume', 'create', '-d', 'nfs', 'x']))).toMatch(/driver "nfs"/);
    expect(expectOneLineError(await run(box, ['volume', 'create', '-o', 'type=ext4', '-o', 'device=/dev/sda1', 'x']))).toMatch(/type "ext4"/);
    await ok(['volume', 'rm', 'scratch', 'scratch2', 'bound']);
  });
});

describe('users and groups', () => {
  let imageReady = false;
  const withGroupImage = async (): Promise<void> => {
    if (imageReady) return;
    const archive = join(box.dir, 'groups.tar');
    const group = tarArchive([{ name: 'etc/group', content: 'root:x:0:\nwheel:x:10:root\napp:x:1000:\n' }]);
    writeFileSync(archive, dockerArchive('groups:latest', [busyboxLayerTar(), group]));
    await ok(['load', '-q', '-i', archive]);
    imageReady = true;
  };

  it('--user root:root gives only the named group; --user root keeps /etc/group\'s memberships', async () => {
    await withGroupImage();
    expect(await ok(['run', '--rm', '-u', 'root', 'groups:latest', 'id', '-G'])).toBe('0 10');
    expect(await ok(['run', '--rm', '-u', 'root:root', 'groups:latest', 'id', '-G'])).toBe('0');
    expect(await ok(['run', '--rm', '-u', '0:0', 'groups:latest', 'id', '-G'])).toBe('0');
  });
});

describe('exec, logs, top', () => {
  beforeAll(async () => {
    await ok(['run', '-d', '--name', 'svc', busybox(), 'sh', '-c', 'echo one; echo two; echo three; while true; do sleep 0.1; done']);
    await until(async () => (await run(box, ['logs', 'svc'])).stdout.endsWith('three'));
  });

  it('exec -t sets TERM=xterm, as run -t does', async () => {
    expect(await ok(['exec', 'svc', 'sh', '-c', 'echo "[$TERM]"'])).toBe('[]');
    expect((await ok(['exec', '-t', 'svc', 'sh', '-c', 'echo "[$TERM]"'])).trim()).toBe('[xterm]');
    expect((await ok(['exec', '-t', '-e', 'TERM=vt100', 'svc', 'sh', '-c', 'echo "[$TERM]"'])).trim()).toBe('[vt100]');
  });

  it('exec -d returns at once and the command runs on', async () => {
    expect(await ok(['exec', '-d', 'svc', 'sh', '-c', 'sleep 0.3; echo done > /tmp/exec-d'])).toBe('');
    await until(async () => (await run(box, ['exec', 'svc', 'cat', '/tmp/exec-d'])).stdout === 'done', 30_000, 'the detached exec to finish');
    expect(expectOneLineError(await run(box, ['exec', '-d', '-t', 'svc', 'true']))).toMatch(/exec -d cannot be used with -i or -t/);
  });

  it('logs -n is --tail; --until stops at a time', async () => {
    expect(await ok(['logs', '-n', '1', 'svc'])).toBe('three');
    expect(await ok(['logs', '--until', '2000-01-01T00:00:00Z', 'svc'])).toBe('');
  });

  it('top shows Docker\'s columns (ps -ef), and takes ps options', async () => {
    const top = (await ok(['top', 'svc'])).split('\n');
    expect(top[0]).toMatch(/^UID\s+PID\s+PPID\s+C\s+STIME\s+TTY\s+TIME\s+CMD$/);
    expect(top.some((line) => line.endsWith('while true; do sleep 0.1; done'))).toBe(true);
    // Only the container's processes: not this test's own.
    expect(top.some((line) => line.includes('vitest'))).toBe(false);
    const custom = (await ok(['top', 'svc', '-o', 'pid,comm'])).split('\n');
    expect(custom[0]).toMatch(/^PID\s+COMMAND$/);
    expect(custom.slice(1).map((line) => line.split(/\s+/)[1])).toContain('sh');
    expect(expectOneLineError(await run(box, ['top', 'svc', '-o', 'comm']))).toMatch(/PID field/);
  });

  it('ps has Docker\'s PORTS column', async () => {
    expect((await ok(['ps'])).split('\n')[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
  });
});

describe('cp: archives, -a, mounts of a stopped container, symlinks, Docker\'s errors', () => {
  const hostFile = (name: string, content: string): string => {
    const path = join(box.dir, name);
    writeFileSync(path, content);
    return path;
  };
  /** burrow with stdout as bytes (a tar archive), and stdin from a buffer. */
  const raw = async (args: string[], input?: Buffer): Promise<{ exitCode: number; stdout: Buffer; stderr: string }> => {
    const result = await execa(process.execPath, [BURROW_BIN, ...args], { env: { ...process.env, ...box.env }, extendEnv: false, reject: false, encoding: 'buffer', ...(input === undefined ? { stdin: 'ignore' as const } : { input }) });
    return { exitCode: result.exitCode ?? -1, stdout: Buffer.from(result.stdout), stderr: Buffer.from(result.stderr).toString() };
  };

  beforeAll(async () => {
    await ok(['run', '-d', '--name', 'cp-target', busybox(), 'sh', '-c', 'mkdir /target; ln -s /target /dirlink; echo old > /file; ln -s /file /filelink; ln -s ../../../etc /climb; while true; do sleep 0.1; done']);
    await until(async () => (await run(box, ['exec', 'cp-target', 'test', '-L', '/climb'])).exitCode === 0, 30_000, 'the links');
  });

  it('copies into a volume and a bind mount of a created container, and out of them once it has stopped', async () => {
    const bindDir = join(box.dir, 'cp-bind');
    mkdirSync(bindDir);
    await ok(['create', '--name', 'cp-created', '-v', 'cp-volume:/vol', '-v', `${bindDir}:/bind`, busybox(), 'sh', '-c', 'cat /vol/f /bind/g; echo fresh > /vol/out']);
    await ok(['cp', hostFile('f', 'into the volume\n'), 'cp-created:/vol/f']);
    await ok(['cp', hostFile('g', 'into the bind\n'), 'cp-created:/bind/']);
    expect(readFileSync(join(bindDir, 'g'), 'utf8')).toBe('into the bind\n');
    expect(await ok(['start', '-a', 'cp-created'])).toBe('into the volume\ninto the bind');
    await ok(['cp', 'cp-created:/vol/out', join(box.dir, 'from-volume')]);
    expect(readFileSync(join(box.dir, 'from-volume'), 'utf8')).toBe('fresh\n');
    await ok(['create', '--name', 'cp-ro', '-v', `${bindDir}:/ro:ro`, busybox(), 'true']);
    expect(expectOneLineError(await run(box, ['cp', hostFile('h', 'x'), 'cp-ro:/ro/h']))).toMatch(/read-only mount/);
    expect(existsSync(join(bindDir, 'h'))).toBe(false);
    await ok(['rm', 'cp-created', 'cp-ro']);
    await ok(['volume', 'rm', 'cp-volume']);
  });

  it('follows a symlink at the destination, as Docker does, inside the container\'s root', async () => {
    await ok(['cp', hostFile('through-dir', 'in target\n'), 'cp-target:/dirlink']);
    expect(await ok(['exec', 'cp-target', 'cat', '/target/through-dir'])).toBe('in target');
    await ok(['cp', hostFile('new-content', 'new\n'), 'cp-target:/filelink']);
    expect(await ok(['exec', 'cp-target', 'sh', '-c', 'cat /file; readlink /filelink'])).toBe('new\n/file');
    // A link that climbs out stays in the container: its /etc gets the file, the host's does not.
    await ok(['cp', hostFile('climbed', 'contained\n'), 'cp-target:/climb']);
    expect(await ok(['exec', 'cp-target', 'cat', '/etc/climbed'])).toBe('contained');
    expect(existsSync('/etc/climbed')).toBe(false);
  });

  it('cp CTR:/f HOSTDIR, where HOSTDIR/f is a directory, gives Docker\'s error', async () => {
    const dir = join(box.dir, 'has-dir');
    mkdirSync(join(dir, 'file'), { recursive: true });
    const result = await run(box, ['cp', 'cp-target:/file', dir]);
    expect(expectOneLineError(result)).toMatch(/cannot overwrite directory ".*has-dir\/file" with non-directory "cp-target:\/file"/);
  });

  it('cp - CTR:DIR unpacks a tar from stdin into DIR; DIR must be a directory', async () => {
    const archive = tarArchive([{ name: 'from-tar/', type: 'dir', mode: 0o755 }, { name: 'from-tar/a.txt', content: 'A\n' }, { name: 'b.txt', content: 'B\n', mode: 0o600 }]);
    const result = await raw(['cp', '-', 'cp-target:/target'], archive);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await ok(['exec', 'cp-target', 'sh', '-c', 'cat /target/from-tar/a.txt /target/b.txt; stat -c %a /target/b.txt'])).toBe('A\nB\n600');
    expect(expectOneLineError({ ...(await raw(['cp', '-', 'cp-target:/file'], archive)), stdout: '' })).toMatch(/must be a directory/);
    expect(expectOneLineError({ ...(await raw(['cp', '-', 'cp-target:/target'], Buffer.from('not a tar at all'.repeat(64)))), stdout: '' })).toMatch(/not a tar archive/);
  });

  it('cp - takes a tar compressed with gzip, bzip2, xz or zstd, as docker\'s daemon does (decompressed on the host)', async () => {
    const archive = tarArchive([{ name: 'z.txt', content: 'Z\n' }]);
    const compress = async (tool: string, input: Buffer): Promise<Buffer> => Buffer.from((await execa(tool, ['-c'], { input, encoding: 'buffer' })).stdout);
    for (const tool of ['gzip', 'bzip2', 'xz', 'zstd']) {
      await ok(['exec', 'cp-target', 'mkdir', '-p', `/z-${tool}`]);
      const result = await raw(['cp', '-', `cp-target:/z-${tool}`], await compress(tool, archive));
      expect(result.exitCode, `${tool}: ${result.stderr}`).toBe(0);
      expect(await ok(['exec', 'cp-target', 'cat', `/z-${tool}/z.txt`])).toBe('Z');
    }
    // A corrupt xz stream gives xz's reason; a good xz stream of something else, the tar's.
    const corrupt = Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(64, 1)]);
    expect(expectOneLineError({ ...(await raw(['cp', '-', 'cp-target:/z-xz'], corrupt)), stdout: '' })).toMatch(/not a xz-compressed archive burrow can read/);
    const notTar = await compress('xz', Buffer.from('not a tar at all'.repeat(64)));
    expect(expectOneLineError({ ...(await raw(['cp', '-', 'cp-target:/z-xz'], notTar)), stdout: '' })).toMatch(/not a tar archive burrow can read/);
  });

  it('cp CTR:DIR - writes a tar of DIR to stdout', async () => {
    await ok(['exec', 'cp-target', 'sh', '-c', 'mkdir -p /out/sub && echo one > /out/sub/one && ln -s sub/one /out/link']);
    const result = await raw(['cp', 'cp-target:/out', '-']);
    expect(result.exitCode, result.stderr).toBe(0);
    const entries: Record<string, string> = {};
    const { Parser } = await import('tar');
    await new Promise<void>((resolve, reject) => {
      const parser = new Parser({ onReadEntry: (entry) => {
        let body = '';
        entry.on('data', (chunk: Buffer) => { body += chunk.toString(); });
        entry.on('end', () => { entries[entry.path] = entry.type === 'SymbolicLink' ? `-> ${entry.linkpath}` : body; });
      } });
      parser.on('end', resolve);
      parser.on('error', reject);
      parser.end(result.stdout);
    });
    expect(entries).toEqual({ 'out/': '', 'out/sub/': '', 'out/sub/one': 'one\n', 'out/link': '-> sub/one' });
  });

  it('without -a what is copied in keeps its uid and gid (a host file\'s, a tar entry\'s), as docker does; -a gives it to the container\'s user', async () => {
    const me = `${process.getuid!()}:${process.getgid!()}`;
    const file = hostFile('owned', 'mine\n');
    await ok(['cp', file, 'cp-target:/plain']);
    // cp-target has no user: -a changes nothing there (moby: no Config.User, the ids are kept).
    await ok(['cp', '-a', file, 'cp-target:/kept']);
    expect(await ok(['exec', 'cp-target', 'stat', '-c', '%u:%g', '/plain', '/kept'])).toBe(`${me}\n${me}`);
    const archive = tarArchive([{ name: 'a.txt', content: 'A\n', uid: 1042, gid: 1043 }, { name: 'd/', type: 'dir', mode: 0o755, uid: 7, gid: 8 }, { name: 'd/b', content: 'B\n', uid: 9, gid: 10 }]);
    expect((await raw(['cp', '-a=false', '-', 'cp-target:/target'], archive)).exitCode).toBe(0);
    expect(await ok(['exec', 'cp-target', 'stat', '-c', '%u:%g', '/target/a.txt', '/target/d', '/target/d/b'])).toBe('1042:1043\n7:8\n9:10');
    await ok(['run', '-d', '--name', 'cp-user', '--user', '1234:1235', busybox(), 'sleep', '600']);
    await ok(['cp', '-a', file, 'cp-user:/tmp/a']);
    await ok(['cp', file, 'cp-user:/tmp/plain']);
    expect((await raw(['cp', '-a', '-', 'cp-user:/tmp'], archive)).exitCode).toBe(0);
    expect(await ok(['exec', 'cp-user', 'stat', '-c', '%u:%g', '/tmp/a', '/tmp/plain', '/tmp/a.txt', '/tmp/d/b'])).toBe(`1234:1235\n${me}\n1234:1235\n1234:1235`);
    await ok(['rm', '-f', 'cp-user']);
  });

  it('Docker\'s path rules: DIR/. copies the contents, DIR/ and a missing DEST/ are directories, a directory never replaces a file', async () => {
    const dir = join(box.dir, 'rules');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'f'), 'F\n');
    await ok(['exec', 'cp-target', 'mkdir', '-p', '/rules']);
    await ok(['cp', `${dir}/.`, 'cp-target:/rules/']);
    await ok(['cp', `${dir}/`, 'cp-target:/rules']);
    await ok(['cp', `${dir}/.`, 'cp-target:/rules-new']);
    expect(await ok(['exec', 'cp-target', 'cat', '/rules/sub/f', '/rules/rules/sub/f', '/rules-new/sub/f'])).toBe('F\nF\nF');
    expect(expectOneLineError(await run(box, ['cp', dir, 'cp-target:/file']))).toMatch(/^burrow: cannot copy a directory to a file: "cp-target:\/file" is not a directory$/);
    expect(expectOneLineError(await run(box, ['cp', join(dir, 'sub', 'f'), 'cp-target:/no-such-dir/']))).toMatch(/no such directory "cp-target:\/no-such-dir\/"/);
    expect(expectOneLineError(await run(box, ['cp', `${join(dir, 'sub', 'f')}/`, 'cp-target:/rules']))).toMatch(/sub\/f\/: not a directory$/);
    // Out: the same rules on the host side.
    const out = join(box.dir, 'rules-out');
    mkdirSync(out);
    await ok(['cp', 'cp-target:/rules/.', out]);
    expect(readFileSync(join(out, 'sub', 'f'), 'utf8')).toBe('F\n');
    expect(expectOneLineError(await run(box, ['cp', 'cp-target:/file', join(box.dir, 'absent-dir') + '/']))).toMatch(/no such directory/);
    expect(existsSync(join(box.dir, 'absent-dir'))).toBe(false);
    expect(expectOneLineError(await run(box, ['cp', 'cp-target:/file', join(box.dir, 'absent-dir', 'f')]))).toMatch(/^burrow: invalid output path: directory ".*absent-dir" does not exist$/);
  });

  it('cp CTR:FILE /dev/stdout is refused (only - is standard output), as docker refuses a device', async () => {
    const result = await raw(['cp', 'cp-target:/file', '/dev/stdout']);
    expect(result.stdout.length).toBe(0);
    expect(expectOneLineError({ ...result, stdout: '' })).toMatch(/^burrow: invalid output path: "\/dev\/stdout" must be a directory or a regular file/);
  });

  it('-L follows a symlink that is the source, inside the container\'s root; without -L the link itself is copied', async () => {
    await ok(['exec', 'cp-target', 'sh', '-c', 'mkdir -p /linked/sub && echo L > /linked/sub/l && ln -s .. /linked/sub/up']);
    const out = join(box.dir, 'follow');
    mkdirSync(out);
    await ok(['cp', '-L', 'cp-target:/linked/sub/up', join(out, 'followed')]);
    expect(readFileSync(join(out, 'followed', 'sub', 'l'), 'utf8')).toBe('L\n');
    await ok(['cp', 'cp-target:/linked/sub/up', join(out, 'as-link')]);
    expect(lstatSync(join(out, 'as-link')).isSymbolicLink()).toBe(true);
    // Into a directory: the copy keeps the link's name.
    await ok(['cp', '-L', 'cp-target:/linked/sub/up', out]);
    expect(readFileSync(join(out, 'up', 'sub', 'l'), 'utf8')).toBe('L\n');
  });

  it('attempts that must fail: -L never follows a link to a host path, DIR/. never writes through a link in the container', async () => {
    const sentinel = join(box.dir, 'cp-sentinel');
    mkdirSync(sentinel);
    writeFileSync(join(sentinel, 'secret'), 'host only\n');
    await ok(['exec', 'cp-target', 'sh', '-c', `ln -s ${sentinel}/secret /to-host; mkdir -p /into && ln -s /etc /into/sneaky`]);
    const out = join(box.dir, 'must-not-exist');
    expect(expectOneLineError(await run(box, ['cp', '-L', 'cp-target:/to-host', out]))).toMatch(/no such file or directory in the container/);
    expect(existsSync(out)).toBe(false);
    // A host directory named as the container's link: its file must not land in the container's /etc.
    const dir = join(box.dir, 'sneaky-src');
    mkdirSync(join(dir, 'sneaky'), { recursive: true });
    writeFileSync(join(dir, 'sneaky', 'planted'), 'x\n');
    expect(expectOneLineError(await run(box, ['cp', `${dir}/.`, 'cp-target:/into']))).toMatch(/symlink in the container is in the way/);
    expect((await run(box, ['exec', 'cp-target', 'test', '-e', '/etc/planted'])).exitCode).toBe(1);
  });

});
