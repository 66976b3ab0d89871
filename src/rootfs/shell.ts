import type { RootfsSite } from './driver.js';

/**
 * The shell that every mount step starts with (the launcher's and `burrow cp`'s):
 * the site as seven positional parameters, then the layers directory as the
 * working directory, since lower layers are named relative to it so the overlay
 * option string stays under the kernel's page-size limit for tall images.
 *
 * The caller defines `fail CODE` (it reports CODE and `$why`, and exits).
 *
 * `attempt CMD…` runs a mount command quietly; only after a failure does it run
 * it once more to keep the tool's own words in `$why` (first line), so a start
 * that mounts runs exactly one process for it.
 */
export const ROOTFS_PREAMBLE = `layers="$1"; lowers="$2"; upper="$3"; work="$4"; merged="$5"; options="$6"; dir="$7"; shift 7
nl='
'
why=
attempt() {
  "$@" </dev/null >/dev/null 2>&1 && return 0
  why=$("$@" </dev/null 2>&1 >/dev/null) && return 0
  why=\${why%%"$nl"*}
  return 1
}
cd "$layers" || { why=$layers; fail layers; }
`;

/**
 * The lower layers as overlayfs wants them: topmost first, `:`-separated, relative
 * to the layers directory. The one place the list is computed.
 */
export function lowerDirOption(site: RootfsSite): string {
  return site.rootfs.lowers.map((path) => path.slice(site.layers.length + 1)).reverse().join(':');
}

/** The positional parameters `ROOTFS_PREAMBLE` reads. `extraOptions` is appended to the kernel overlay's options (",volatile"). */
export function rootfsArgs(site: RootfsSite, extraOptions = ''): string[] {
  const { rootfs } = site;
  return [site.layers, lowerDirOption(site), rootfs.upper, rootfs.work, rootfs.merged, extraOptions, site.dir];
}
