import { notInstalled, RUN_DOCTOR } from '../util/host-tools.js';
import type { RootfsDriver } from './driver.js';

/**
 * fuse-overlayfs, for kernels that refuse overlayfs in a user namespace. Its
 * daemon lives in the container's mount namespace and would keep that namespace
 * (and itself) alive after the job, so it is unmounted once bwrap returns.
 */
export const fuseOverlayfsDriver: RootfsDriver = {
  name: 'fuse-overlayfs',
  prepare: () => Promise.resolve(),
  shellFunctions: `mount_fuse_overlayfs() {
  command -v fuse-overlayfs >/dev/null 2>&1 || { why='not installed'; return 1; }
  attempt fuse-overlayfs -o "lowerdir=$lowers,upperdir=$upper,workdir=$work" "$merged"
}
unmount_fuse_overlayfs() { umount -n "$merged" 2>/dev/null || fusermount3 -u "$merged" 2>/dev/null || fusermount -u "$merged"; }
`,
  mount: 'mount_fuse_overlayfs',
  mountFailure: (why) => {
    if (why === 'not installed') return `fuse-overlayfs failed: ${notInstalled('fuse-overlayfs')}; ${RUN_DOCTOR}`;
    if (why.includes('/dev/fuse')) return `fuse-overlayfs cannot open /dev/fuse (${why}): make it usable by you (as root: chmod 0666 /dev/fuse, the mode distributions ship it with); ${RUN_DOCTOR}`;
    return `fuse-overlayfs failed: install it (apt-get install fuse-overlayfs) and make /dev/fuse usable (mode 0666)${why === '' ? '' : `; ${why}`}; ${RUN_DOCTOR}`;
  },
  unmount: 'unmount_fuse_overlayfs',
};
