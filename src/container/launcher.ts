import { fileURLToPath } from 'node:url';
import { BurrowError } from '../errors.js';
import { AUTO_LAUNCH } from '../rootfs/auto.js';
import { mountSteps, rootfsDriver, type RootfsSite } from '../rootfs/index.js';
import { ROOTFS_PREAMBLE, rootfsArgs } from '../rootfs/shell.js';
import { bwrapArgs } from '../sandbox/bwrap.js';
import { ENV_FD, ENV_FILE, SECCOMP_FD, SECCOMP_FILE } from '../sandbox/handoff.js';
import { hasSeccompFilter, type RootfsDriverName, type SetupPlan } from '../sandbox/plan.js';
import type { Store } from '../store/store.js';
import { layersDir } from '../unpack/unpack.js';
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
 * `/bin/sh` script, assembled from constant parts:
 *
 *   fail()             failures go to fd 3 as a code (and the tool's words), so
 *                      they are never mistaken for the job's exit status;
 *   ROOTFS_PREAMBLE    the site's positional parameters, cd into the layers;
 *   the mount step     the driver's (rootfs/*.ts), or `auto`'s;
 *   the bwrap step     `exec bwrap "$@"`, or, for a driver with an unmount,
 *                      bwrap as a child and the unmount after it.
 *
 * A step that needs a descriptor for bwrap (a seccomp filter, say) goes between
 * the mount step and the bwrap step, and its bwrap arguments into bwrapArgs.
 */
const FAIL = `fail() { [ -z "$why" ] || printf 'burrow-why %s\\n' "$why" >&3; printf '{"burrow-error":"%s"}\\n' "$1" >&3; exit 125; }
`;

/**
 * Opens what burrow-init reads on descriptors (sandbox/handoff.ts): the job's
 * environment, and the compiled seccomp filter when the container has one. A
 * missing filter stops the start rather than running the job unfiltered.
 */
const ENV_STEP = `exec ${ENV_FD}<"$dir/${ENV_FILE}" || { why=$dir/${ENV_FILE}; fail handoff; }
`;
const SECCOMP_STEP = `exec ${SECCOMP_FD}<"$dir/${SECCOMP_FILE}" || { why=$dir/${SECCOMP_FILE}; fail handoff; }
`;

function bwrapStep(unmount: string): string {
  return unmount === '' ? 'exec bwrap "$@"\n' : `bwrap "$@"; status=$?\n${unmount}exit $status\n`;
}

const scripts = new Map<string, string>();
function launchScript(name: RootfsDriverName, seccomp: boolean): string {
  const key = `${name}${seccomp ? '+seccomp' : ''}`;
  let script = scripts.get(key);
  if (script === undefined) {
    const steps = mountSteps(name);
    script = `${FAIL}${ROOTFS_PREAMBLE}${steps.mount}${ENV_STEP}${seccomp ? SECCOMP_STEP : ''}${name === 'auto' ? AUTO_LAUNCH : bwrapStep(steps.unmount)}`;
    scripts.set(key, script);
  }
  return script;
}

/** The whole start command: unshare (user + mount namespaces, id maps) → sh (mount) → bwrap. Info and failures on fd 3. */
export function launcherArgv(plan: SetupPlan, site: RootfsSite): string[] {
  return [
    'unshare', ...unshareArgs(site.mapping), '--', '/bin/sh', '-c', launchScript(plan.rootfs.driver, hasSeccompFilter(plan)), 'burrow-launch',
    ...rootfsArgs(site, plan.rootfs.volatile === true ? ',volatile' : ''),
    ...bwrapArgs(plan, INIT_BINARY, 3),
  ];
}

/**
 * What the launcher said on fd 3: the sandbox's pid, or why it could not start.
 * `NO_DRIVER` (auto: neither overlay mounts) carries the tools' words as its message.
 */
export function launchInfo(info: string, driver: RootfsDriverName): { pid: number | undefined; failure: BurrowError | undefined } {
  const pidMatch = /"child-pid":\s*(\d+)/.exec(info);
  const pid = pidMatch === null ? undefined : Number(pidMatch[1]);
  const code = /"burrow-error":"([^"]*)"/.exec(info)?.[1];
  if (code === undefined) return { pid, failure: undefined };
  const why = /^burrow-why (.*)$/m.exec(info)?.[1]?.trim() ?? '';
  if (code === 'no-overlay') return { pid, failure: new BurrowError('NO_DRIVER', why) };
  let message: string;
  if (code === 'mount' && driver !== 'auto') message = rootfsDriver(driver).mountFailure(why);
  else if (code === 'layers') message = `cannot enter the image's layers in ${why}`;
  else if (code === 'handoff') message = `${why} cannot be read (recreate the container)`;
  else message = `${code}${why === '' ? '' : ` (${why})`}`;
  return { pid, failure: new BurrowError('IO', `cannot set up the container: ${message}`) };
}
