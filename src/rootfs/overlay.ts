import { RUN_DOCTOR } from '../util/host-tools.js';
import type { RootfsDriver } from './driver.js';

/**
 * The kernel's overlayfs, mounted in the container's user namespace with
 * `userxattr` (whiteouts are 0/0 character devices, opaque directories carry
 * `user.overlay.opaque`, as the unpacker writes them). The fastest driver: one
 * mount and nothing to undo, since the mount goes with the namespace. The mount is
 * burrow-mount's (`$mounter`, native/burrow-mount.c: one static program, one system
 * call), not mount(8)'s, which loads its libraries first: a warm run is 3 ms shorter.
 */
export const overlayDriver: RootfsDriver = {
  name: 'overlay',
  prepare: () => Promise.resolve(),
  shellFunctions: `mount_overlay() { attempt "$mounter" "lowerdir=$lowers,upperdir=$upper,workdir=$work,userxattr$options" "$merged"; }
`,
  mount: 'mount_overlay',
  mountFailure: (why) => `the kernel refused an overlay mount in a user namespace (try --storage-driver fuse-overlayfs)${why === '' ? '' : `; ${why}`}; ${RUN_DOCTOR}`,
  unmount: undefined,
};
