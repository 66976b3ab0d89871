import { nativeBinary } from '../util/native.js';
import type { RootfsSite } from './driver.js';

/**
 * How the launcher's and the holder's shell reports a failure: `fail CODE` writes
 * the tool's words (`$why`, if any) and the code on fd 3 and exits 125, so a
 * failure is never mistaken for the job's exit status. `rootfsFailure` (index.ts)
 * words it for the user. A failure after the mount undoes it first (`$unmount`):
 * fuse-overlayfs's daemon would otherwise outlive the launcher, holding its
 * output open, and burrow would wait for it.
 */
export const FAIL = `fail() {
  [ -z "$why" ] || printf 'burrow-why %s\\n' "$why" >&3
  printf '{"burrow-error":"%s"}\\n' "$1" >&3
  [ -z "$unmount" ] || { cd /; $unmount; }
  exit 125
}
`;

/**
 * The shell that every mount step starts with (the launcher's and `burrow cp`'s):
 * the site as eight positional parameters (the last, burrow's overlay mount helper:
 * native/burrow-mount.c), then the layers directory as the working directory, since
 * lower layers are named relative to it so the overlay option string stays under the
 * kernel's page-size limit for tall images.
 *
 * `attempt CMD…` runs a mount command quietly; only after a failure does it run
 * it once more to keep the tool's own words in `$why` (first line, after the
 * warnings fuse-overlayfs prints before its error), so a start that mounts runs
 * exactly one process for it.
 *
 * A mount step leaves the command that undoes its mount in `$unmount`, when
 * leaving the namespace would not undo it (RUN_STEP runs it).
 */
export const ROOTFS_PREAMBLE = `layers="$1"; lowers="$2"; upper="$3"; work="$4"; merged="$5"; options="$6"; dir="$7"; mounter="$8"; shift 8
nl='
'
why=
unmount=
attempt() {
  "$@" </dev/null >/dev/null 2>&1 && return 0
  why=$("$@" </dev/null 2>&1 >/dev/null) && return 0
  while :; do case $why in "unknown argument ignored"*"$nl"*) why=\${why#*"$nl"} ;; *) break ;; esac; done
  why=\${why%%"$nl"*}
  return 1
}
cd "$layers" || { why=$layers; fail layers; }
`;

/**
 * The last step of the launcher and of cp's holder: the command in `$@` (bwrap,
 * or cp's worker), exec'd when the mount needs no undoing; else run as a child
 * and the mount undone after it, its exit status kept. A command that is not
 * there is reported as `missing` (sh's own "not found" would reach the job's
 * stderr, and burrow would only know that the sandbox never came up).
 */
export const RUN_STEP = `command -v "$1" >/dev/null 2>&1 || { why=$1; fail missing; }
[ -n "$unmount" ] || exec "$@"
"$@"; status=$?
cd /
$unmount
exit $status
`;

/**
 * The launcher's last step: RUN_STEP, except that bwrap, when it runs as a child
 * (fuse-overlayfs: the mount is undone after it), is waited for in a way a signal
 * interrupts. The launcher runs under `setpriv --pdeathsig TERM` (launcher.ts), so
 * when its parent dies (kill -9 of the monitor, or of the CLI of a foreground
 * run) it kills bwrap, whose sandbox goes with it (its pid namespace), and
 * unmounts: fuse-overlayfs exits instead of living on in a namespace nobody uses.
 * sh gives an asynchronous command /dev/null for stdin: the job's stdin goes to
 * it on fd 4 instead (the one the launcher's other steps leave free).
 * Once bwrap runs, sh's own stdout and stderr go to /dev/null (bwrap keeps its
 * copies): they are pipes to the monitor, and after a kill -9 of the monitor
 * dash's "Killed" line for the bwrap it just killed met a closed pipe, and
 * SIGPIPE (default for the job's sake) ended sh before the unmount, leaving
 * fuse-overlayfs to hold its own mount namespace alive.
 */
export const LAUNCH_STEP = `command -v "$1" >/dev/null 2>&1 || { why=$1; fail missing; }
[ -n "$unmount" ] || exec "$@"
child=
dying=
trap 'dying=1; [ -z "$child" ] || kill -KILL $child 2>/dev/null' TERM HUP
exec 4<&0
"$@" 0<&4 4<&- &
child=$!
exec 4<&- >/dev/null 2>&1
[ -z "$dying" ] || kill -KILL $child 2>/dev/null
while :; do wait $child; status=$?; kill -0 $child 2>/dev/null || break; done
cd /
$unmount
exit $status
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
  return [site.layers, lowerDirOption(site), rootfs.upper, rootfs.work, rootfs.merged, extraOptions, site.dir, nativeBinary('burrow-mount')];
}

/**
 * The launcher's side of burrow-net (a private network): first thing, `ready PID`
 * on fd 5, so the agent starts the helper against this namespace while the root
 * file system is mounted and bubblewrap builds the sandbox. Its answer (fd 6) is
 * burrow-init's to wait for, just before the job (container/launcher.ts:
 * NETWORK_GO_FD); fd 5 is closed here, so neither the sandbox nor the job holds it.
 */
export const NETWORK_READY_STEP = `why=
printf 'ready %s\\n' "$$" >&5 || { why='the network agent ended before the container started'; fail network; }
exec 5>&-
`;
