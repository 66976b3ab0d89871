import { existsSync, statSync } from 'node:fs';
import { ENV_FD, SECCOMP_FD } from './handoff.js';
import { initArgs } from './init-args.js';
import { hasSeccompFilter, MASKED_PATHS, READONLY_PATHS, type SetupPlan } from './plan.js';

/** Where the static init helper appears inside the container (a tmpfs, not the image). */
export const INIT_PATH = '/dev/.burrow-init';

/**
 * What each of bubblewrap's arguments is to the launcher, one letter per argument.
 * bubblewrap creates its mount destinations (mkdir, creat) while the host's root is
 * still mounted at /oldroot, and follows the container's symlinks as it does: an
 * image or a job whose `/etc` is a link to `/oldroot/tmp/x` would have it create
 * files in the host's /tmp/x. So the launcher resolves every destination inside the
 * container's root first and hands bubblewrap the result (rootfs/destinations.ts).
 */
export const DESTINATION = {
  /** Not a destination, or one taken as it is (burrow's own paths below /proc, /sys and /dev). */
  none: '.',
  /** A bind of a host path (the argument before it): names below it are looked up there. */
  bind: 'b',
  /** proc, dev or sysfs: names below are the kernel's (magic links among them), never reached through a link. */
  kernel: 'k',
  /** A tmpfs bubblewrap makes: nothing below it. */
  tmpfs: 't',
  /** A file: resolved, and nothing below it. */
  file: 'f',
} as const;
export type DestinationKind = (typeof DESTINATION)[keyof typeof DESTINATION];

/** bubblewrap's arguments, and what each is to the launcher (DESTINATION's letters; none after the last destination). */
export interface BwrapArgs {
  args: string[];
  destinations: string;
}

/**
 * The plan as bubblewrap arguments. bwrap runs as root of burrow's user namespace,
 * so it creates the other namespaces itself without a nested user namespace and
 * the container keeps the full id mapping.
 *
 * The mounts that the launcher resolves come first (the root, /proc, /dev, /sys,
 * the /etc files, the volumes), so that it has the fewest arguments to go
 * through; Docker's masks and read-only paths follow them, as runc applies them
 * after every mount.
 */
/**
 * `unshareNet`: a network namespace of bwrap's own (none); false where the launcher made or joined it, or for host.
 * `networkFd`: where burrow-init waits for a private network's `go` (-N), so that bwrap builds the
 * sandbox while the network helper starts, and the job still runs only once the network is up.
 */
export function bwrapArgs(plan: SetupPlan, initBinary: string, infoFd: number, unshareNet = plan.network.mode === 'none', networkFd?: number): BwrapArgs {
  const args: string[] = [];
  let destinations = '';
  /** An option whose last argument is a mount destination inside the container. */
  const mount = (kind: DestinationKind, ...option: string[]): void => {
    args.push(...option);
    destinations = destinations.padEnd(args.length - 1, DESTINATION.none) + kind;
  };
  // A read-only root is made read-only last: bwrap must still create mount points in it.
  mount(DESTINATION.bind, '--bind', plan.rootfs.merged, '/');
  mount(DESTINATION.kernel, '--proc', '/proc');
  mount(DESTINATION.kernel, '--dev', '/dev');
  mount(DESTINATION.kernel, '--ro-bind', '/sys', '/sys');
  for (const file of plan.files) mount(DESTINATION.file, '--bind', file.source, file.target);
  for (const volume of plan.mounts) {
    // A device is a host node, as the /etc files are host files: nothing is mounted below it.
    if (volume.kind === 'bind' && volume.device === true) mount(DESTINATION.file, '--dev-bind', volume.source, volume.target);
    else if (volume.kind === 'bind') mount(DESTINATION.bind, volume.readOnly ? '--ro-bind' : '--bind', volume.source, volume.target);
    else {
      if (volume.mode !== undefined) args.push('--perms', volume.mode);
      if (volume.size !== undefined) args.push('--size', volume.size);
      mount(DESTINATION.tmpfs, '--tmpfs', volume.target);
    }
  }
  args.push('--info-fd', String(infoFd), '--die-with-parent', '--as-pid-1');
  // The job leads a session of its own: the caller's terminal is not its controlling
  // terminal, so TIOCSTI on its stdout, stderr or /dev/tty cannot push keystrokes into
  // the shell that ran burrow (CVE-2017-5226). burrow-init calls setsid too; this is
  // the line that holds whatever comes before it. With -t, burrow-init then takes the
  // container's own pseudo-terminal.
  args.push('--new-session');
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  if (unshareNet) args.push('--unshare-net');
  args.push('--hostname', plan.hostname);
  // Below /proc, /sys and /dev (which the launcher makes sure are no links), burrow's
  // own paths: the kernel's names, taken as they are.
  // --privileged lifts Docker's masks, as Docker does: still only this user namespace's view.
  const masks = plan.security.privileged ? [] : MASKED_PATHS;
  for (const path of masks) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) continue;
    if (stat.isDirectory()) args.push('--tmpfs', path, '--remount-ro', path);
    // A device bind (bwrap's --ro-bind is nodev): reading the masked file gives nothing, as in Docker.
    else args.push('--dev-bind', '/dev/null', path);
  }
  for (const path of plan.security.privileged ? [] : READONLY_PATHS) {
    if (existsSync(path)) args.push('--ro-bind', path, path);
  }
  args.push('--ro-bind', initBinary, INIT_PATH);
  if (plan.rootfs.readOnly) args.push('--remount-ro', '/');
  // burrow-init sets the capabilities (-c), bounding set included, after it has
  // switched to the job's user: bwrap hands it all of them, as joining the namespaces does for exec (-J).
  args.push('--cap-add', 'ALL');
  // The job's environment reaches burrow-init on a descriptor (handoff.ts), never on this command line.
  args.push('--clearenv');
  args.push('--', INIT_PATH, ...initArgs({ ...plan.process, capabilities: plan.capabilities, envFd: ENV_FD, seccompFd: hasSeccompFilter(plan) ? SECCOMP_FD : undefined, noNewPrivs: false, networkFd }), '--', ...plan.process.args);
  return { args, destinations };
}
