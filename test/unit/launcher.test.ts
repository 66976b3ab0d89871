import { describe, expect, it } from 'vitest';
import { launcherArgv, launchInfo } from '../../src/container/launcher.js';
import { holderScript, mountSteps } from '../../src/rootfs/index.js';
import type { RootfsSite } from '../../src/rootfs/index.js';
import { DEFAULT_CAPABILITIES } from '../../src/sandbox/capabilities.js';
import type { RootfsDriverName, SetupPlan } from '../../src/sandbox/plan.js';

const layers = '/store/layers';
const plan = (driver: RootfsDriverName): SetupPlan => ({
  rootfs: { driver, lowers: [`${layers}/aaa`, `${layers}/bbb`, `${layers}/ccc`], upper: '/c/upper', work: '/c/work', merged: '/c/merged', readOnly: false, volatile: true },
  hostname: 'h',
  network: 'none',
  files: [],
  mounts: [],
  capabilities: [...DEFAULT_CAPABILITIES],
  process: { args: ['true'], env: [], cwd: '/', uid: 0, gid: 0, groups: [], init: false, stdin: false, tty: false },
  security: { seccomp: { kind: 'unconfined' }, privileged: false },
});
const site = (driver: RootfsDriverName): RootfsSite => ({ rootfs: plan(driver).rootfs, layers, dir: '/c', mapping: { uidRange: undefined, gidRange: undefined, single: true } });

/** The launcher as unshare runs it: the script, then its positional parameters. */
function launcher(driver: RootfsDriverName): { script: string; params: string[] } {
  const argv = launcherArgv(plan(driver), site(driver));
  const at = argv.indexOf('-c');
  return { script: argv[at + 1]!, params: argv.slice(at + 3, at + 10) };
}

describe('the launcher script', () => {
  it('takes the site as parameters, lower layers topmost first and relative to layers/, and splices no path into the script', () => {
    for (const driver of ['auto', 'overlay', 'fuse-overlayfs', 'copy'] as const) {
      const { script, params } = launcher(driver);
      expect(params).toEqual([layers, 'ccc:bbb:aaa', '/c/upper', '/c/work', '/c/merged', ',volatile', '/c']);
      expect(script).not.toMatch(/\/store|\/c\//);
    }
  });

  it('mounts once and execs bwrap on the overlay paths; waits for bwrap only to unmount fuse-overlayfs', () => {
    const overlay = launcher('overlay').script;
    expect(overlay.match(/\bmount -n -t overlay\b/g)).toHaveLength(1);
    expect(overlay.trimEnd().endsWith('exec bwrap "$@"')).toBe(true);
    expect(launcher('copy').script).not.toMatch(/\bmount\b -n/);
    expect(launcher('fuse-overlayfs').script).toMatch(/bwrap "\$@"; status=\$\?\nunmount_fuse_overlayfs\nexit \$status/);
    const auto = launcher('auto').script;
    expect(auto).toMatch(/if \[ "\$driver" = fuse-overlayfs \]; then\n {2}bwrap "\$@"; status=\$\?/);
    expect(auto.trimEnd().endsWith('exec bwrap "$@"')).toBe(true);
  });

  it('reads the launcher\'s fd 3: the pid, and failures worded by the driver with the tool\'s words', () => {
    expect(launchInfo('{"child-pid": 42}', 'overlay')).toEqual({ pid: 42, failure: undefined });
    const mount = launchInfo('burrow-why mount: /c/merged: permission denied.\n{"burrow-error":"mount"}\n', 'overlay').failure;
    expect(mount?.message).toBe('cannot set up the container: the kernel refused an overlay mount in a user namespace (try --storage-driver fuse-overlayfs); mount: /c/merged: permission denied.');
    const none = launchInfo('burrow-why overlay: no; fuse-overlayfs: not installed\n{"burrow-error":"no-overlay"}\n', 'auto').failure;
    expect(none?.code).toBe('NO_DRIVER');
    expect(none?.message).toBe('overlay: no; fuse-overlayfs: not installed');
  });

  it('gives cp\'s holder the same mount step and its undoing', () => {
    const fuse = holderScript(mountSteps('fuse-overlayfs'));
    expect(fuse).toMatch(/mount_fuse_overlayfs \|\| fail mount\ncd "\$merged" \|\| fail enter\n"\$@"; status=\$\?\ncd \/\nunmount_fuse_overlayfs\nexit \$status/);
    expect(holderScript(mountSteps('auto'))).toContain('[ "$driver" != fuse-overlayfs ] || unmount_fuse_overlayfs');
  });
});
