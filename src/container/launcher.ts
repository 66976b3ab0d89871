import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { AUTO_NOTE_FILE } from '../rootfs/auto.js';
import { resolveDestinations } from '../rootfs/destinations.js';
import { mountStep, rootfsFailure, type RootfsSite } from '../rootfs/index.js';
import { FAIL, LAUNCH_STEP, NETWORK_READY_STEP, ROOTFS_PREAMBLE, rootfsArgs } from '../rootfs/shell.js';
import { bwrapArgs, DESTINATION } from '../sandbox/bwrap.js';
import { ENV_FD, ENV_FILE, SECCOMP_FD, SECCOMP_FILE } from '../sandbox/handoff.js';
import { hasSeccompFilter, type RootfsDriverName, type SetupPlan } from '../sandbox/plan.js';
import type { Store } from '../store/store.js';
import { layersDir } from '../unpack/paths.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';
import { unshareProgram } from '../util/host-tools.js';
import { containerDir, type ContainerRecord } from './record.js';

export const INIT_BINARY = fileURLToPath(new URL('../native/burrow-init', import.meta.url));
export const MONITOR_BINARY = fileURLToPath(new URL('../native/burrow-monitor', import.meta.url));

/**
 * The network namespace a launch gives the container (what a start resolved the
 * plan's network to):
 * - none: bwrap makes one with a loopback only;
 * - host: the host's;
 * - private: the launcher's `unshare --net` makes it; burrow-net (in front of the
 *   launcher) connects it and says `go` on fd 6 (NETWORK_GO_FD);
 * - container: the launcher joins PID's user and network namespaces (nsenter).
 */
export type LaunchNetwork = { kind: 'none' } | { kind: 'host' } | { kind: 'private' } | { kind: 'container'; pid: number };

/**
 * What burrow-net (native/burrow-net.c) hands a private network's launcher besides `ready` on
 * fd 5 (rootfs/shell.ts: NETWORK_READY_STEP): its answer, read by burrow-init just before the
 * job (-N), so that the mounts and bubblewrap's sandbox are built while the helper starts; and
 * the pipe that is bubblewrap's --info-fd, which the agent passes on to fd 3 once the network
 * is up (so "the sandbox is up" still means a container with its network: the pid file, `run
 * -d`, exec, network connect), or not at all when it could not be set up.
 */
export const NETWORK_GO_FD = 6;
export const NETWORK_INFO_FD = 7;

/** The launch network a plan means without a start's decisions (none and host as they are). */
export function plainLaunchNetwork(plan: SetupPlan): LaunchNetwork {
  return plan.network.mode === 'host' ? { kind: 'host' } : { kind: 'none' };
}

/** Where a container's root file system lives, as its driver sees it. */
export function rootfsSite(store: Store, record: ContainerRecord, mapping: IdMapping): RootfsSite {
  return { rootfs: record.plan.rootfs, layers: layersDir(store), dir: containerDir(store, record.id), mapping };
}

/**
 * The launcher: one `unshare` (user and mount namespaces, id maps) running a short
 * `/bin/sh` script, assembled from parts that hold no path (paths are parameters):
 *
 *   FAIL                  failures go to fd 3 as a code (and the tool's words), so
 *                         they are never mistaken for the job's exit status;
 *   ROOTFS_PREAMBLE       the site's positional parameters, cd into the layers;
 *   the mount step        the driver's (rootfs/*.ts), or `auto`'s;
 *   the handoff           the descriptors burrow-init reads;
 *   resolveDestinations   bwrap's mount destinations resolved inside the root;
 *   LAUNCH_STEP           `exec bwrap …`, or bwrap as a child and the unmount after it (and on the parent's death).
 *
 * A step that needs a descriptor for bwrap goes with the handoff, and its bwrap
 * arguments into bwrapArgs.
 */

/**
 * Opens what burrow-init reads on descriptors (sandbox/handoff.ts): the job's
 * environment, and the compiled seccomp filter when the container has one. A
 * missing filter stops the start rather than running the job unfiltered.
 * (`command exec`: a failed redirection of plain `exec` ends sh at once, before
 * `fail` could report it or undo the mount.)
 */
const ENV_STEP = `command exec ${ENV_FD}<"$dir/${ENV_FILE}" || { why=$dir/${ENV_FILE}; fail handoff; }
`;
const SECCOMP_STEP = `command exec ${SECCOMP_FD}<"$dir/${SECCOMP_FILE}" || { why=$dir/${SECCOMP_FILE}; fail handoff; }
`;

/** The script; `destinations`: what each word of the bwrap command is (bwrap.ts: DESTINATION). */
function launchScript(name: RootfsDriverName, seccomp: boolean, destinations: string, agent: boolean): string {
  return `${FAIL}${agent ? NETWORK_READY_STEP : ''}${ROOTFS_PREAMBLE}${mountStep(name)}${ENV_STEP}${seccomp ? SECCOMP_STEP : ''}${resolveDestinations(destinations)}${LAUNCH_STEP}`;
}

/**
 * The whole start command: unshare (user + mount namespaces, id maps; + network for
 * a private one) → sh (mount) → bwrap. Info and failures on fd 3. `container:`
 * joins the other container's user and network namespaces instead (its id map is
 * the store's, so the same as this container's would be) and makes only a mount
 * namespace. burrow-net, where there is one, goes in front of all of it.
 */
export function launcherArgv(plan: SetupPlan, site: RootfsSite, network: LaunchNetwork = plainLaunchNetwork(plan)): string[] {
  const bwrap = network.kind === 'private'
    ? bwrapArgs(plan, INIT_BINARY, NETWORK_INFO_FD, false, NETWORK_GO_FD)
    : bwrapArgs(plan, INIT_BINARY, 3, network.kind === 'none');
  const namespaces = network.kind === 'container'
    ? ['nsenter', `--target=${network.pid}`, '--user', '--net', '--preserve-credentials', '--', 'unshare', '--mount']
    : [unshareProgram(), ...unshareArgs(site.mapping), ...(network.kind === 'private' ? ['--net'] : [])];
  return [
    ...namespaces, '--', ...deathWatch(plan.rootfs.driver, site.dir), '/bin/sh', '-c', launchScript(plan.rootfs.driver, hasSeccompFilter(plan), `${DESTINATION.none}${bwrap.destinations}`, network.kind === 'private'), 'burrow-launch',
    ...rootfsArgs(site, plan.rootfs.volatile === true ? ',volatile' : ''),
    'bwrap', ...bwrap.args,
  ];
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/**
 * A launcher that keeps bwrap as a child (fuse-overlayfs, whose mount is undone
 * after it) gets SIGTERM when its parent dies, and then ends the sandbox and the
 * mount (shell.ts: LAUNCH_STEP); bwrap's own --die-with-parent would only fire
 * for the launcher's death. util-linux's setpriv sets it and executes sh in its
 * place: no process more, but an exec of a few milliseconds, so only where it
 * is needed: fuse-overlayfs asked for, or `auto` for a container whose earlier
 * start fell back to it (its rootfs-note). The kernel overlay and copy drivers
 * exec bwrap from the launcher and need none; `auto` on a host without the
 * kernel overlay is covered from its second start on.
 */
function deathWatch(driver: RootfsDriverName, dir: string): string[] {
  if (SETPRIV === undefined) return [];
  if (driver === 'fuse-overlayfs' || (driver === 'auto' && existsSync(join(dir, AUTO_NOTE_FILE)))) return [SETPRIV, '--pdeathsig', 'TERM', '--'];
  return [];
}

/**
 * What the launcher said on fd 3: the sandbox's pid, or why it could not start
 * (`rootfsFailure`; a NoOverlayError when `auto` found neither overlay).
 */
export function launchInfo(info: string, driver: RootfsDriverName): { pid: number | undefined; failure: BurrowError | undefined } {
  const pidMatch = /"child-pid":\s*(\d+)/.exec(info);
  const pid = pidMatch === null ? undefined : Number(pidMatch[1]);
  const context = 'cannot set up the container';
  if (/"burrow-error":"cgroup"/.test(info)) return { pid, failure: cgroupEntryFailure(info, context) };
  // The network agent's failure, its reason and its code in one write (burrow-net.c: fail_start),
  // between or beside the launcher's own lines (two writes of the shell: shell.ts's FAIL).
  const agent = /^burrow-why ([^\n]*)\n\{"burrow-error":"network"\}\n?/m.exec(info);
  const own = rootfsFailure(agent === null ? info : info.replace(agent[0], ''), driver, context);
  // The launcher's own failure wins: an agent that failed as the launcher was ending lost its target because of it.
  if (own !== undefined || agent === null) return { pid, failure: own };
  const why = agent[1]!.trim();
  return { pid, failure: new BurrowError('NETWORK', `cannot set up the container's network${why === '' ? '' : `: ${why}`}; run 'burrow doctor'`) };
}

/**
 * The cgroup entry (cgroup/index.ts: entryArgv, in front of the launcher, under
 * the monitor and for exec) could not move the process into the container's
 * cgroup: it stopped before the job's first instruction, as it must.
 */
export function cgroupEntryFailure(report: string, context: string): BurrowError {
  const why = /^burrow-why (.*)$/m.exec(report)?.[1]?.trim() ?? '';
  return new BurrowError('IO', `${context}: cannot move it into its cgroup${why === '' ? '' : ` (${why})`}; run 'burrow doctor' to check the host's cgroup delegation`);
}
