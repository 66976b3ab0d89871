import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { resolveDestinations } from '../rootfs/destinations.js';
import { mountStep, rootfsFailure, type RootfsSite } from '../rootfs/index.js';
import { FAIL, ROOTFS_PREAMBLE, RUN_STEP, rootfsArgs } from '../rootfs/shell.js';
import { bwrapArgs, DESTINATION } from '../sandbox/bwrap.js';
import { ENV_FD, ENV_FILE, SECCOMP_FD, SECCOMP_FILE } from '../sandbox/handoff.js';
import { hasSeccompFilter, type RootfsDriverName, type SetupPlan } from '../sandbox/plan.js';
import type { Store } from '../store/store.js';
import { layersDir } from '../unpack/paths.js';
import { unshareArgs, type IdMapping } from '../userns/idmap.js';
import { containerDir, type ContainerRecord } from './record.js';

export const INIT_BINARY = fileURLToPath(new URL('../native/burrow-init', import.meta.url));
export const MONITOR_BINARY = fileURLToPath(new URL('../native/burrow-monitor', import.meta.url));

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
 *   RUN_STEP              `exec bwrap …`, or bwrap as a child and the unmount after it.
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
function launchScript(name: RootfsDriverName, seccomp: boolean, destinations: string): string {
  return `${FAIL}${ROOTFS_PREAMBLE}${mountStep(name)}${ENV_STEP}${seccomp ? SECCOMP_STEP : ''}${resolveDestinations(destinations)}${RUN_STEP}`;
}

/** The whole start command: unshare (user + mount namespaces, id maps) → sh (mount) → bwrap. Info and failures on fd 3. */
export function launcherArgv(plan: SetupPlan, site: RootfsSite): string[] {
  const bwrap = bwrapArgs(plan, INIT_BINARY, 3);
  return [
    'unshare', ...unshareArgs(site.mapping), '--', '/bin/sh', '-c', launchScript(plan.rootfs.driver, hasSeccompFilter(plan), `${DESTINATION.none}${bwrap.destinations}`), 'burrow-launch',
    ...rootfsArgs(site, plan.rootfs.volatile === true ? ',volatile' : ''),
    'bwrap', ...bwrap.args,
  ];
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
  return { pid, failure: rootfsFailure(info, driver, context) };
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
