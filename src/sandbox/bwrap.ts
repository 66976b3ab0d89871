import { existsSync, statSync } from 'node:fs';
import { ENV_FD, SECCOMP_FD } from './handoff.js';
import { initArgs } from './init-args.js';
import { hasSeccompFilter, MASKED_PATHS, READONLY_PATHS, type SetupPlan } from './plan.js';

/** Where the static init helper appears inside the container (a tmpfs, not the image). */
export const INIT_PATH = '/dev/.burrow-init';


/**
 * The plan as bubblewrap arguments. bwrap runs as root of burrow's user namespace,
 * so it creates the other namespaces itself without a nested user namespace and
 * the container keeps the full id mapping.
 */
export function bwrapArgs(plan: SetupPlan, initBinary: string, infoFd: number): string[] {
  const args: string[] = ['--info-fd', String(infoFd), '--die-with-parent', '--as-pid-1'];
  // The job leads a session of its own: the caller's terminal is not its controlling
  // terminal, so TIOCSTI on its stdout, stderr or /dev/tty cannot push keystrokes into
  // the shell that ran burrow (CVE-2017-5226). burrow-init calls setsid too; this is
  // the line that holds whatever comes before it. With -t, burrow-init then takes the
  // container's own pseudo-terminal.
  args.push('--new-session');
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try');
  if (plan.network === 'none') args.push('--unshare-net');
  args.push('--hostname', plan.hostname);
  // A read-only root is made read-only last: bwrap must still create mount points in it.
  args.push('--bind', plan.rootfs.merged, '/');
  args.push('--proc', '/proc', '--dev', '/dev', '--ro-bind', '/sys', '/sys');
  // --privileged lifts Docker's masks, as Docker does: still only this user namespace's view.
  const masks = plan.security.privileged ? [] : MASKED_PATHS;
  for (const path of masks) {
    if (!existsSync(path)) continue;
    if (statSync(path).isDirectory()) args.push('--tmpfs', path, '--remount-ro', path);
    // A device bind (bwrap's --ro-bind is nodev): reading the masked file gives nothing, as in Docker.
    else args.push('--dev-bind', '/dev/null', path);
  }
  for (const path of plan.security.privileged ? [] : READONLY_PATHS) {
    if (existsSync(path)) args.push('--ro-bind', path, path);
  }
  for (const file of plan.files) args.push('--bind', file.source, file.target);
  for (const mount of plan.mounts) {
    if (mount.kind === 'bind') args.push(mount.readOnly ? '--ro-bind' : '--bind', mount.source, mount.target);
    else {
      if (mount.mode !== undefined) args.push('--perms', mount.mode);
      if (mount.size !== undefined) args.push('--size', mount.size);
      args.push('--tmpfs', mount.target);
    }
  }
  args.push('--ro-bind', initBinary, INIT_PATH);
  if (plan.rootfs.readOnly) args.push('--remount-ro', '/');
  // burrow-init sets the capabilities (-c), bounding set included, after it has
  // switched to the job's user: bwrap hands it all of them, as joining the namespaces does for exec (-J).
  args.push('--cap-add', 'ALL');
  // The job's environment reaches burrow-init on a descriptor (handoff.ts), never on this command line.
  args.push('--clearenv');
  args.push('--', INIT_PATH, ...initArgs({ ...plan.process, capabilities: plan.capabilities, envFd: ENV_FD, seccompFd: hasSeccompFilter(plan) ? SECCOMP_FD : undefined, noNewPrivs: false }), '--', ...plan.process.args);
  return args;
}
