import type { RootfsDriverName } from '../sandbox/plan.js';
import { AUTO_MOUNT, AUTO_UNMOUNT } from './auto.js';
import { copyDriver } from './copy.js';
import type { DriverName, RootfsDriver } from './driver.js';
import { fuseOverlayfsDriver } from './fuse-overlayfs.js';
import { overlayDriver } from './overlay.js';
import { ROOTFS_PREAMBLE } from './shell.js';

export type { DriverName, RootfsDriver, RootfsSite } from './driver.js';

const DRIVERS: Record<DriverName, RootfsDriver> = { overlay: overlayDriver, 'fuse-overlayfs': fuseOverlayfsDriver, copy: copyDriver };

/** The driver of that name (`auto` is not one: it is the launcher trying the overlays in turn). */
export function rootfsDriver(name: DriverName): RootfsDriver {
  return DRIVERS[name];
}

/** Shell that mounts the root at `$merged` (or calls `fail CODE` with `$why`), and shell that undoes it. */
export interface MountSteps {
  mount: string;
  unmount: string;
}

export function mountSteps(name: RootfsDriverName): MountSteps {
  if (name === 'auto') return { mount: AUTO_MOUNT, unmount: AUTO_UNMOUNT };
  const driver = DRIVERS[name];
  return { mount: `${driver.shellFunctions}${driver.mount} || fail mount\n`, unmount: driver.unmount === undefined ? '' : `${driver.unmount}\n` };
}

/**
 * A stopped container's root for `burrow cp`, held by a holder: a fresh user and
 * mount namespace in which the driver mounts the root, the command after the
 * site's parameters runs in it (cp's worker), and the mount is undone after it.
 * Failures reach stderr as `burrow-holder CODE WHY`.
 */
export function holderScript(steps: MountSteps): string {
  return `fail() { printf 'burrow-holder %s %s\\n' "$1" "$why" >&2; exit 125; }
${ROOTFS_PREAMBLE}${steps.mount}cd "$merged" || fail enter
"$@"; status=$?
cd /
${steps.unmount}exit $status
`;
}
