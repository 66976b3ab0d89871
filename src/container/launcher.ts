import { fileURLToPath } from 'node:url';
import { runToEnd } from '../util/spawn.js';
import { BurrowError } from '../errors.js';
import { bwrapArgs } from '../sandbox/bwrap.js';
import type { SetupPlan } from '../sandbox/plan.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';

export const INIT_BINARY = fileURLToPath(new URL('../native/burrow-init', import.meta.url));
export const MONITOR_BINARY = fileURLToPath(new URL('../native/burrow-monitor', import.meta.url));
const FLATTEN = fileURLToPath(new URL('../unpack/flatten.js', import.meta.url));

/**
 * The mount step in the container's user and mount namespaces, then bubblewrap.
 * Lower directories are given relative to the layers directory so the option
 * string stays under the kernel's page-size limit for long layer stacks.
 * `auto` tries the kernel's overlayfs and falls back to fuse-overlayfs. A failure
 * here is reported on fd 3, so it is never mistaken for the job's exit status.
 * fuse-overlayfs is a process in the container's mount namespace: it would keep
 * that namespace alive, so it is unmounted once bwrap returns.
 */
const LAUNCH_SCRIPT = `driver="$1"; layers="$2"; lowers="$3"; upper="$4"; work="$5"; merged="$6"; extra="$7"; shift 7
fail() { printf '{"burrow-error":"%s"}\\n' "$1" >&3; exit 125; }
cd "$layers" || fail "cannot enter $layers"
kernel() { mount -n -t overlay overlay -o "lowerdir=$lowers,upperdir=$upper,workdir=$work,userxattr$extra" "$merged" 2>/dev/null; }
fuse() { command -v fuse-overlayfs >/dev/null 2>&1 && fuse-overlayfs -o "lowerdir=$lowers,upperdir=$upper,workdir=$work" "$merged" </dev/null >/dev/null 2>&1; }
case "$driver" in
  overlay) kernel || fail "the kernel refused an overlay mount in a user namespace (try --storage-driver fuse-overlayfs)" ;;
  fuse-overlayfs) fuse || fail "fuse-overlayfs failed: install it (apt-get install fuse-overlayfs) and make /dev/fuse usable (mode 0666)" ;;
  auto) if kernel; then driver=overlay; elif fuse; then driver=fuse-overlayfs; else fail "no-overlay"; fi ;;
  copy) ;;
esac
printf '{"burrow-driver":"%s"}\\n' "$driver" >&3
if [ "$driver" = fuse-overlayfs ]; then
  bwrap "$@"; status=$?
  umount -n "$merged" 2>/dev/null || fusermount3 -u "$merged" 2>/dev/null || fusermount -u "$merged"
  exit $status
fi
exec bwrap "$@"
`;

/** The whole start command: unshare (user + mount namespaces, id maps) → sh (mount) → bwrap. Info and failures on fd 3. */
export function launcherArgv(plan: SetupPlan, mapping: IdMapping, layers: string): string[] {
  const relativeLowers = plan.rootfs.lowers.map((path) => path.slice(layers.length + 1)).reverse().join(':');
  return [
    'unshare', ...unshareArgs(mapping), '--', '/bin/sh', '-c', LAUNCH_SCRIPT, 'burrow-launch',
    plan.rootfs.driver, layers, relativeLowers, plan.rootfs.upper, plan.rootfs.work, plan.rootfs.merged, plan.rootfs.volatile === true ? ',volatile' : '',
    ...bwrapArgs(plan, INIT_BINARY, 3),
  ];
}

/** The copy driver: the layers copied into the container's own directory. */
export async function flatten(plan: SetupPlan, mapping: IdMapping): Promise<void> {
  const result = await runToEnd('unshare', [...unshareArgs(mapping), '--', process.execPath, FLATTEN, plan.rootfs.merged, ...plan.rootfs.lowers]);
  if (result.exitCode !== 0) throw new BurrowError('IO', `cannot copy the image's layers (copy driver): ${result.stderr.trim() || result.error?.message}`);
}

/** What the launcher said on fd 3: the sandbox's pid, or why it could not start. */
export function launchInfo(info: string): { pid: number | undefined; failure: BurrowError | undefined } {
  const pidMatch = /"child-pid":\s*(\d+)/.exec(info);
  const pid = pidMatch === null ? undefined : Number(pidMatch[1]);
  const error = /"burrow-error":"([^"]*)"/.exec(info);
  if (error?.[1] === 'no-overlay') return { pid, failure: new BurrowError('NO_DRIVER', 'no overlay driver can mount here') };
  if (error !== null) return { pid, failure: new BurrowError('IO', `cannot set up the container: ${error[1]}`) };
  return { pid, failure: undefined };
}

export const COPY_FALLBACK_NOTE = "neither the kernel's overlayfs nor fuse-overlayfs can mount here (install fuse-overlayfs; make /dev/fuse mode 0666): copying the layers instead, which is slower";
