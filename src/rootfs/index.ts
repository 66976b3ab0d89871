import { BurrowError } from '../errors.js';
import { notInstalled, RUN_DOCTOR } from '../util/host-tools.js';
import type { RootfsDriverName } from '../sandbox/plan.js';
import { AUTO_MOUNT } from './auto.js';
import { copyDriver } from './copy.js';
import { MAX_DESTINATION_LINKS } from './destinations.js';
import type { DriverName, RootfsDriver, RootfsSite } from './driver.js';
import { fuseOverlayfsDriver } from './fuse-overlayfs.js';
import { overlayDriver } from './overlay.js';
import { FAIL, ROOTFS_PREAMBLE, RUN_STEP } from './shell.js';

export type { DriverName, RootfsDriver, RootfsSite } from './driver.js';

const DRIVERS: Record<DriverName, RootfsDriver> = { overlay: overlayDriver, 'fuse-overlayfs': fuseOverlayfsDriver, copy: copyDriver };

/** The driver of that name (`auto` is not one: it is the launcher trying the overlays in turn). */
export function rootfsDriver(name: DriverName): RootfsDriver {
  return DRIVERS[name];
}

/** The driver's work before a launch or a holder (the copy driver copies the layers, once); `auto` leaves it to the launcher. */
export async function prepareRootfs(site: RootfsSite): Promise<void> {
  if (site.rootfs.driver !== 'auto') await DRIVERS[site.rootfs.driver].prepare(site);
}

/**
 * Shell that mounts the root at `$merged` (or calls `fail CODE` with `$why`) and
 * leaves in `$unmount` what undoes it.
 */
export function mountStep(name: RootfsDriverName): string {
  if (name === 'auto') return AUTO_MOUNT;
  const driver = DRIVERS[name];
  return `${driver.shellFunctions}${driver.mount} || fail mount\n${driver.unmount === undefined ? '' : `unmount=${driver.unmount}\n`}`;
}

/**
 * A stopped container's root for `burrow cp`, held by a holder: a fresh user and
 * mount namespace in which the driver mounts the root, the command after the
 * site's parameters runs in it (cp's worker, in the root as its working
 * directory), and the mount is undone after it. Failures reach stderr as the
 * launcher's reach its fd 3.
 */
export function holderScript(driver: RootfsDriverName): string {
  return `exec 3>&2
${FAIL}${ROOTFS_PREAMBLE}${mountStep(driver)}cd "$merged" || fail enter
${RUN_STEP}`;
}

/** `auto` found neither overlay: burrow copies the layers instead. `why`: the tools' words. */
export class NoOverlayError extends BurrowError {
  constructor(context: string, readonly why: string) {
    super('NO_DRIVER', `${context}: neither the kernel's overlayfs nor fuse-overlayfs can mount here${why === '' ? '' : ` (${why})`}`);
  }
}

/**
 * A failure the launcher's or holder's shell reported (`shell.ts: FAIL`), as one
 * line after `context`; undefined if `report` holds none.
 */
export function rootfsFailure(report: string, driver: RootfsDriverName, context: string): BurrowError | undefined {
  const code = /"burrow-error":"([^"]*)"/.exec(report)?.[1];
  if (code === undefined) return undefined;
  const why = /^burrow-why (.*)$/m.exec(report)?.[1]?.trim() ?? '';
  let message: string;
  switch (code) {
    case 'no-overlay':
      return new NoOverlayError(context, why);
    case 'mount':
      message = driver === 'auto' ? `cannot mount the root file system (${why})` : DRIVERS[driver].mountFailure(why);
      break;
    case 'layers':
      message = `cannot enter the image's layers in ${why}`;
      break;
    case 'enter':
      message = 'cannot enter the mounted root file system';
      break;
    case 'missing':
      message = `${notInstalled(why)}; ${RUN_DOCTOR}`;
      break;
    case 'handoff':
      message = `${why} cannot be read (recreate the container)`;
      break;
    case 'symlinks':
      message = `${why} leads through more than ${MAX_DESTINATION_LINKS} symbolic links in the container (or a loop): it cannot be a mount point`;
      break;
    case 'destination':
      message = `a symbolic link on the way to ${why} in the container cannot be read`;
      break;
    case 'kernel-mount':
      message = `${why} is a symbolic link in the image: proc, sysfs and /dev are mounted on ordinary directories only`;
      break;
    case 'kernel-link':
      message = `the mount point ${why} leads through a symbolic link into /proc, /sys or /dev, where links can reach the host: refused`;
      break;
    default:
      message = `${code}${why === '' ? '' : ` (${why})`}`;
  }
  return new BurrowError('IO', `${context}: ${message}`);
}
