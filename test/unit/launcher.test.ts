import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { launcherArgv, launchInfo } from '../../src/container/launcher.js';
import { holderScript, NoOverlayError, rootfsFailure } from '../../src/rootfs/index.js';
import type { RootfsSite } from '../../src/rootfs/index.js';
import { rootfsArgs } from '../../src/rootfs/shell.js';
import { nativeBinary } from '../../src/util/native.js';
import { DEFAULT_CAPABILITIES } from '../../src/sandbox/capabilities.js';
import type { MountPlan, RootfsDriverName, SetupPlan } from '../../src/sandbox/plan.js';

/*
 * The launcher's and cp's holder's shell, run as they are (without the user
 * namespace: `unshare` is left out) with stand-ins for the tools (simulated:
 * burrow-mount, given in place of native/burrow-mount, and `fuse-overlayfs`,
 * `umount` and `bwrap` on PATH only log what they were called with, in order,
 * and the stand-in bwrap exits 7). The container's
 * root is a real directory, so the launcher's resolution of bwrap's destinations
 * meets real symlinks.
 */
let base: string;
let layers: string;
let dir: string;
let merged: string;
let log: string;

const STUB = `#!/bin/sh
{ printf '%s' "$(basename "$0")"; for a; do printf ' [%s]' "$a"; done; echo; } >>"$STUB_LOG"
case $(basename "$0") in
  burrow-mount) [ -z "$MOUNT_FAILS" ] || { echo "burrow-mount: $MOUNT_FAILS" >&2; exit 32; } ;;
  fuse-overlayfs) [ -z "$FUSE_FAILS" ] || { echo "fuse: $FUSE_FAILS" >&2; exit 1; } ;;
  bwrap) exit 7 ;;
esac
exit 0
`;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'burrow-launcher-'));
  layers = join(base, 'layers');
  for (const layer of ['aaa', 'bbb', 'ccc']) mkdirSync(join(layers, layer), { recursive: true });
  dir = join(base, 'c');
  merged = join(dir, 'merged');
  for (const sub of ['upper', 'work', 'merged/etc', 'merged/proc', 'merged/dev', 'merged/sys']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'env'), '');
  const stubs = join(base, 'bin');
  mkdirSync(stubs);
  for (const tool of ['burrow-mount', 'fuse-overlayfs', 'umount', 'bwrap']) {
    writeFileSync(join(stubs, tool), STUB);
    chmodSync(join(stubs, tool), 0o755);
  }
  log = join(base, 'log');
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

function plan(driver: RootfsDriverName, mounts: MountPlan[] = []): SetupPlan {
  return {
    rootfs: { driver, lowers: ['aaa', 'bbb', 'ccc'].map((layer) => join(layers, layer)), upper: join(dir, 'upper'), work: join(dir, 'work'), merged, readOnly: false, volatile: true },
    hostname: 'h',
    network: { mode: 'none' },
    files: ['hosts', 'resolv.conf'].map((name) => ({ source: join(dir, name), target: `/etc/${name}` })),
    mounts,
    capabilities: [...DEFAULT_CAPABILITIES],
    process: { args: ['true'], env: [], cwd: '/', uid: 0, gid: 0, groups: [], init: false, stdin: false, tty: false },
    security: { seccomp: { kind: 'unconfined' }, privileged: false },
  };
}
const site = (setup: SetupPlan): RootfsSite => ({ rootfs: setup.rootfs, layers, dir, mapping: { uidRange: undefined, gidRange: undefined, single: true } });

interface Ran { status: number | null; fd3: string; calls: string[] }

/** Runs what unshare would run (`/bin/sh -c SCRIPT …`), with the stand-ins first on PATH and in burrow-mount's place. */
function runShell(argv: string[], env: Record<string, string> = {}): Ran {
  const [command, ...args] = argv.map((arg) => (arg === nativeBinary('burrow-mount') ? join(base, 'bin', 'burrow-mount') : arg));
  const result = spawnSync(command!, args, {
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    env: { PATH: `${join(base, 'bin')}:/usr/bin:/bin`, STUB_LOG: log, ...env },
    encoding: 'utf8',
  });
  const output = result.output as Array<string | null>;
  return { status: result.status, fd3: output[3] ?? '', calls: existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : [] };
}

function launch(setup: SetupPlan, env: Record<string, string> = {}): Ran & { bwrap: string[] | undefined } {
  const argv = launcherArgv(setup, site(setup));
  const ran = runShell(argv.slice(argv.indexOf('/bin/sh')), env);
  const call = ran.calls.find((line) => line.startsWith('bwrap '));
  return { ...ran, bwrap: call === undefined ? undefined : [...call.matchAll(/ \[([^\]]*)\]/g)].map((match) => match[1]!) };
}

/** Where bwrap was told to mount `source` (the argument after it). */
function destinationOf(args: string[] | undefined, source: string): string | undefined {
  const at = args?.indexOf(source) ?? -1;
  return at < 0 ? undefined : args![at + 1];
}

describe('the launcher script', () => {
  it('mounts the kernel overlay once (lower layers topmost first, relative to layers/) and execs bwrap', () => {
    const ran = launch(plan('overlay'));
    expect(ran.calls.map((line) => line.split(' ')[0])).toEqual(['burrow-mount', 'bwrap']);
    expect(ran.calls[0]).toBe(`burrow-mount [lowerdir=ccc:bbb:aaa,upperdir=${dir}/upper,workdir=${dir}/work,userxattr,volatile] [${merged}]`);
    // bwrap's status is the launcher's: it was exec'd, nothing waited to unmount.
    expect(ran.status).toBe(7);
    expect(destinationOf(ran.bwrap, merged)).toBe('/');
    expect(ran.fd3).toBe('');
  });

  it('splices no path into the script: the site and the bwrap command are parameters', () => {
    const setup = plan('auto');
    const argv = launcherArgv(setup, site(setup));
    const at = argv.indexOf('-c');
    expect(argv[at + 1]).not.toContain(base);
    expect(argv.slice(at + 3, at + 11)).toEqual(rootfsArgs(site(setup), ',volatile'));
  });

  it('unmounts fuse-overlayfs after bwrap returns, keeping bwrap\'s status', () => {
    const ran = launch(plan('fuse-overlayfs'));
    expect(ran.calls.map((line) => line.split(' ')[0])).toEqual(['fuse-overlayfs', 'bwrap', 'umount']);
    expect(ran.calls[0]).toBe(`fuse-overlayfs [-o] [lowerdir=ccc:bbb:aaa,upperdir=${dir}/upper,workdir=${dir}/work] [${merged}]`);
    expect(ran.calls[2]).toBe(`umount [-n] [${merged}]`);
    expect(ran.status).toBe(7);
  });

  it('a failure after fuse-overlayfs has mounted unmounts it (its daemon would hold the launcher\'s output open)', () => {
    rmSync(join(dir, 'env'));
    const ran = launch(plan('fuse-overlayfs'));
    expect(ran.status).toBe(125);
    expect(ran.calls.map((line) => line.split(' ')[0])).toEqual(['fuse-overlayfs', 'umount']);
    expect(launchInfo(ran.fd3, 'fuse-overlayfs').failure?.message).toBe(`cannot set up the container: ${dir}/env cannot be read (recreate the container)`);
  });

  it('copy: mounts nothing', () => {
    expect(launch(plan('copy')).calls.map((line) => line.split(' ')[0])).toEqual(['bwrap']);
  });

  it('auto: overlay, else fuse-overlayfs (noted with the kernel\'s words, unmounted after), else fails no-overlay with both tools\' words', () => {
    expect(launch(plan('auto')).calls.map((line) => line.split(' ')[0])).toEqual(['burrow-mount', 'bwrap']);
    expect(existsSync(join(dir, 'rootfs-note'))).toBe(false);
    rmSync(log);

    const fuse = launch(plan('auto'), { MOUNT_FAILS: 'permission denied' });
    // The failed mount runs twice: quietly, then once more for its words.
    expect(fuse.calls.map((line) => line.split(' ')[0])).toEqual(['burrow-mount', 'burrow-mount', 'fuse-overlayfs', 'bwrap', 'umount']);
    expect(readFileSync(join(dir, 'rootfs-note'), 'utf8')).toBe('burrow-mount: permission denied\n');
    expect(fuse.status).toBe(7);
    rmSync(log);

    const none = launch(plan('auto'), { MOUNT_FAILS: 'permission denied', FUSE_FAILS: 'no /dev/fuse' });
    expect(none.status).toBe(125);
    expect(none.bwrap).toBeUndefined();
    const failure = launchInfo(none.fd3, 'auto').failure;
    expect(failure).toBeInstanceOf(NoOverlayError);
    expect((failure as NoOverlayError).why).toBe('overlay: burrow-mount: permission denied; fuse-overlayfs: fuse: no /dev/fuse');
  });

  it('words a named driver\'s failed mount with the tool\'s words', () => {
    const ran = launch(plan('overlay'), { MOUNT_FAILS: `${merged}: permission denied.` });
    expect(ran.status).toBe(125);
    expect(launchInfo(ran.fd3, 'overlay').failure?.message).toBe(`cannot set up the container: the kernel refused an overlay mount in a user namespace (try --storage-driver fuse-overlayfs); burrow-mount: ${merged}: permission denied.; run 'burrow doctor'`);
  });

  it('reads the sandbox\'s pid from bwrap\'s info', () => {
    expect(launchInfo('{"child-pid": 42}', 'overlay')).toEqual({ pid: 42, failure: undefined });
    // The network agent's failure alone is the network's.
    expect(launchInfo('burrow-why pasta failed: no tap\n{"burrow-error":"network"}\n', 'overlay').failure?.message).toBe("cannot set up the container's network: pasta failed: no tap; run 'burrow doctor'");
    // Written between the launcher's two lines as the launcher was ending (seen in CI): the launcher's own reason wins.
    const proc = 'cannot set up the container: /proc is a symbolic link in the image: proc, sysfs and /dev are mounted on ordinary directories only';
    expect(launchInfo('burrow-why /proc\nburrow-why pasta failed: /proc/9/ns/net\n{"burrow-error":"network"}\n{"burrow-error":"kernel-mount"}\n', 'overlay').failure?.message).toBe(proc);
    expect(launchInfo('burrow-why pasta failed: gone\n{"burrow-error":"network"}\nburrow-why /proc\n{"burrow-error":"kernel-mount"}\n', 'overlay').failure?.message).toBe(proc);
  });

  it('reports a network that could not be set up as a NETWORK error, exit 125', () => {
    const failure = launchInfo('burrow-why the switch refused: another member of the network has its address\n{"burrow-error":"network"}\n', 'overlay').failure;
    expect(failure?.code).toBe('NETWORK');
    expect(failure?.exitCode).toBe(125);
    expect(failure?.message).toBe("cannot set up the container's network: the switch refused: another member of the network has its address; run 'burrow doctor'");
  });
});

describe('the launcher resolves bwrap\'s mount destinations inside the container\'s root', () => {
  const host = (): string => join(base, 'host');
  const volume = (target: string): MountPlan => ({ kind: 'bind', source: join(base, 'vol'), target, readOnly: false });
  beforeEach(() => {
    mkdirSync(join(base, 'vol'));
    mkdirSync(host());
  });
  const replaceEtc = (target: string): void => {
    rmSync(join(merged, 'etc'), { recursive: true });
    symlinkSync(target, join(merged, 'etc'));
  };

  it('leaves paths without symlinks as they are', () => {
    const ran = launch(plan('copy', [volume('/data/v'), { kind: 'tmpfs', target: '/run' }]));
    expect(ran.status).toBe(7);
    expect(destinationOf(ran.bwrap, join(dir, 'hosts'))).toBe('/etc/hosts');
    expect(destinationOf(ran.bwrap, join(base, 'vol'))).toBe('/data/v');
    expect(destinationOf(ran.bwrap, '--tmpfs')).toBe('/run');
    expect(ran.bwrap).toEqual(expect.arrayContaining(['--proc', '/proc', '--dev', '/dev']));
    // The job's command is untouched, after bwrap's.
    expect(ran.bwrap?.slice(-2)).toEqual(['--', 'true']);
  });

  it('an absolute link through /oldroot, and a relative chain of .., stay inside the root', () => {
    replaceEtc(`/oldroot${host()}`);
    const absolute = launch(plan('copy'));
    expect(absolute.status).toBe(7);
    expect(destinationOf(absolute.bwrap, join(dir, 'hosts'))).toBe(`/oldroot${host()}/hosts`);
    rmSync(log);
    replaceEtc(`${'../'.repeat(12)}oldroot${host()}`);
    expect(destinationOf(launch(plan('copy')).bwrap, join(dir, 'resolv.conf'))).toBe(`/oldroot${host()}/resolv.conf`);
  });

  it('follows an image\'s legitimate links as Docker does: /var/run -> ../run, /etc/resolv.conf -> ../run/…', () => {
    mkdirSync(join(merged, 'var'));
    symlinkSync('../run', join(merged, 'var', 'run'));
    symlinkSync('../run/systemd/resolve/stub-resolv.conf', join(merged, 'etc', 'resolv.conf'));
    const ran = launch(plan('copy', [volume('/var/run/docker.sock')]));
    expect(destinationOf(ran.bwrap, join(base, 'vol'))).toBe('/run/docker.sock');
    expect(destinationOf(ran.bwrap, join(dir, 'resolv.conf'))).toBe('/run/systemd/resolve/stub-resolv.conf');
  });

  it('looks below a volume in the volume\'s host directory, where a job can plant links too', () => {
    // A second volume nested in the first, below a link the job left in the first one.
    mkdirSync(join(base, 'outer'));
    symlinkSync(`/oldroot${host()}`, join(base, 'outer', 'link'));
    const outer: MountPlan = { kind: 'bind', source: join(base, 'outer'), target: '/data', readOnly: false };
    const ran = launch(plan('copy', [outer, volume('/data/link/inner')]));
    expect(destinationOf(ran.bwrap, join(base, 'vol'))).toBe(`/oldroot${host()}/inner`);
  });

  it('refuses a /proc, /dev or /sys that is a link, and a destination led into them by a link (magic links there reach the host)', () => {
    for (const kernel of ['proc', 'dev', 'sys']) {
      rmSync(join(merged, kernel), { recursive: true });
      symlinkSync(`/oldroot${host()}`, join(merged, kernel));
      const ran = launch(plan('copy'));
      expect(ran.status).toBe(125);
      expect(ran.bwrap).toBeUndefined();
      expect(launchInfo(ran.fd3, 'copy').failure?.message).toBe(`cannot set up the container: /${kernel} is a symbolic link in the image: proc, sysfs and /dev are mounted on ordinary directories only`);
      rmSync(join(merged, kernel));
      mkdirSync(join(merged, kernel));
    }
    replaceEtc(`/proc/self/root/oldroot${host()}`);
    const ran = launch(plan('copy'));
    expect(ran.bwrap).toBeUndefined();
    expect(launchInfo(ran.fd3, 'copy').failure?.message).toBe('cannot set up the container: the mount point /etc/hosts leads through a symbolic link into /proc, /sys or /dev, where links can reach the host: refused');
  });

  it('gives up on a loop of links', () => {
    replaceEtc('/loop');
    symlinkSync('/etc', join(merged, 'loop'));
    const ran = launch(plan('copy'));
    expect(ran.status).toBe(125);
    expect(launchInfo(ran.fd3, 'copy').failure?.message).toBe('cannot set up the container: /etc/hosts leads through more than 40 symbolic links in the container (or a loop): it cannot be a mount point');
  });
});

describe('cp\'s holder', () => {
  /** The holder running `sh -c 'pwd; exit 3'` as the worker. */
  const hold = (driver: RootfsDriverName, env: Record<string, string> = {}): Ran & { stdout: string } => {
    const setup = plan(driver);
    const mountArgs = rootfsArgs(site(setup)).map((arg) => (arg === nativeBinary('burrow-mount') ? join(base, 'bin', 'burrow-mount') : arg));
    const result = spawnSync('/bin/sh', ['-c', holderScript(driver), 'burrow-cp', ...mountArgs, 'sh', '-c', 'pwd; exit 3'], {
      env: { PATH: `${join(base, 'bin')}:/usr/bin:/bin`, STUB_LOG: log, ...env },
      encoding: 'utf8',
    });
    return { status: result.status, fd3: result.stderr, stdout: result.stdout.trim(), calls: existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n') : [] };
  };

  it('runs the command in the mounted root with the same mount step, and undoes it after', () => {
    const fuse = hold('fuse-overlayfs');
    expect(fuse.stdout).toBe(merged);
    expect(fuse.status).toBe(3);
    expect(fuse.calls.map((line) => line.split(' ')[0])).toEqual(['fuse-overlayfs', 'umount']);
    rmSync(log);
    const overlay = hold('overlay');
    expect(overlay.status).toBe(3);
    expect(overlay.calls.map((line) => line.split(' ')[0])).toEqual(['burrow-mount']);
  });

  it('reports a failed mount as the launcher does, worded by the same function', () => {
    const failed = hold('overlay', { MOUNT_FAILS: 'no' });
    expect(failed.status).toBe(125);
    expect(rootfsFailure(failed.fd3, 'overlay', 'cannot reach the root of c1')?.message).toBe('cannot reach the root of c1: the kernel refused an overlay mount in a user namespace (try --storage-driver fuse-overlayfs); burrow-mount: no; run \'burrow doctor\'');
  });
});
