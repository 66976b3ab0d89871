import { closeSync, constants, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { notInstalled, onPath } from '../util/host-tools.js';
import { identifyWriter, isGone, parseIdentity, type ProcessIdentity } from '../util/process-identity.js';
import type { NetworkHelperName, NetworkPlan } from './types.js';

/**
 * The user-space helpers that connect a private network namespace (pasta,
 * slirp4netns): whether this host has them, which one a start uses, and the
 * leftover of a crash. Cheap on purpose, since every start asks: PATH lookups and
 * one open of /dev/net/tun, no process.
 */

export const HELPERS: readonly NetworkHelperName[] = ['pasta', 'slirp4netns'];

/** Where pasta forwards DNS queries to the host's resolver (Podman's address). */
export const PASTA_DNS = '169.254.1.1';
/** slirp4netns's built-in DNS forwarder and host-loopback address. */
export const SLIRP_DNS = '10.0.2.3';
export const SLIRP_HOST = '10.0.2.2';

export const TUN = '/dev/net/tun';

/** Why /dev/net/tun cannot be used by this user, or undefined when it can (opened read-write, as the helpers do). */
export function tunProblem(): string | undefined {
  try {
    closeSync(openSync(TUN, constants.O_RDWR));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${TUN} does not exist (the tun module: modprobe tun, as root)`;
    if (code === 'EACCES' || code === 'EPERM') return `${TUN} cannot be opened by this user (as root: chmod 0666 ${TUN}, as distributions ship it)`;
    return `${TUN} cannot be opened (${code ?? String(error)})`;
  }
}

/** What keeps `helper` from being used here, or undefined when nothing does. */
export function helperProblem(helper: NetworkHelperName): string | undefined {
  if (!onPath(helper)) return notInstalled(helper);
  return tunProblem();
}

/**
 * The helper of a start, and whether the user networks are joined without one:
 * - `outbound` false (every network of the container is internal, and it is not on
 *   the default one): no helper, the loopback and the user networks alone;
 * - a helper asked for: it, or an error naming the fix when it cannot be had;
 * - `auto`: pasta, else slirp4netns; with neither installed, the user networks
 *   without outbound access (a note says so), or `none` when it has no user
 *   networks (a note says why). /dev/net/tun unusable: an error when user
 *   networks or published ports need it (the taps need it too), else `none`.
 */
export interface HelperChoice {
  helper: NetworkHelperName | undefined;
  /** No helper, but the user networks are joined (burrow-net --helper none). */
  networksOnly: boolean;
  note?: string;
}

export function chooseHelper(plan: Extract<NetworkPlan, { mode: 'private' }>, outbound = true): HelperChoice {
  const privateNetworkError = (why: string): BurrowError => new BurrowError('INVALID_ARGUMENT', `cannot give the container a private network: ${why}; run 'burrow doctor'`);
  if (!outbound) {
    const tun = tunProblem();
    if (tun !== undefined) throw privateNetworkError(tun);
    return { helper: undefined, networksOnly: true };
  }
  if (plan.helper !== 'auto') {
    const problem = helperProblem(plan.helper);
    if (problem !== undefined) throw new BurrowError('INVALID_ARGUMENT', `cannot give the container the network ${plan.helper}: ${problem}; run 'burrow doctor'`);
    return { helper: plan.helper, networksOnly: false };
  }
  const tun = tunProblem();
  const installed = HELPERS.find((helper) => onPath(helper));
  if (tun === undefined && installed !== undefined) return { helper: installed, networksOnly: false };
  const missing = 'neither pasta (Debian/Ubuntu: apt-get install passt) nor slirp4netns is installed';
  if (tun !== undefined && (plan.networks.length > 0 || plan.ports.length > 0 || plan.publishAll)) throw privateNetworkError(tun);
  if (plan.ports.length > 0 || plan.publishAll) throw privateNetworkError(`${missing}, and published ports need one`);
  if (plan.networks.length > 0) {
    const names = plan.networks.map((network) => network.name).join(', ');
    return { helper: undefined, networksOnly: true, note: `burrow: the container has no outbound network access, only its network${plan.networks.length > 1 ? 's' : ''} ${names}: ${missing}; run 'burrow doctor'` };
  }
  return { helper: undefined, networksOnly: false, note: `burrow: the container runs without a network (as --network none): ${tun ?? missing}; run 'burrow doctor'` };
}

/** The file burrow-net names its helper in (PID.STARTTIME.BOOTID), while the helper runs. */
export const HELPER_FILE = 'network-helper';

/**
 * Kills a helper that a crashed agent left running (pasta never exits on its own):
 * for rm, system prune and the next start. Identity-checked, so a pid reused by
 * another process is left alone.
 */
export function killLeftoverHelper(dir: string): void {
  const recorded = recordedHelper(dir);
  if (recorded !== undefined) signalLeftover(recorded.pid);
  const unrecorded = unrecordedPasta(dir);
  if (unrecorded !== undefined) {
    signalLeftover(unrecorded.pid);
    rmSync(join(dir, PASTA_PID_FILE), { force: true });
  }
}

/** A network helper of the container's directory that still runs (recorded, or named only by pasta's pid file), for system check. */
export function leftoverHelper(dir: string): ProcessIdentity | undefined {
  return recordedHelper(dir) ?? unrecordedPasta(dir);
}

/** The helper DIR/network-helper names, while it runs. */
function recordedHelper(dir: string): ProcessIdentity | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, HELPER_FILE), 'latin1');
  } catch {
    return undefined;
  }
  const identity = parseIdentity(text.trim());
  return identity !== undefined && !isGone(identity) ? identity : undefined;
}

function signalLeftover(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}

/** pasta's own pid file (`--pid`), which the agent removes once it has recorded the helper. */
export const PASTA_PID_FILE = 'pasta.pid';

/**
 * An agent killed while pasta started (before it recorded the helper) leaves pasta
 * running with only pasta's own pid file to name it: a bare pid, checked against the
 * file's time (the writer started before it wrote; a later owner of the pid did not)
 * and pasta's name, then killed.
 */
function unrecordedPasta(dir: string): ProcessIdentity | undefined {
  const path = join(dir, PASTA_PID_FILE);
  let pid: number;
  let writtenAt: number;
  try {
    pid = Number(readFileSync(path, 'latin1').trim());
    writtenAt = statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
  if (!Number.isSafeInteger(pid) || pid <= 1) return undefined;
  const writer = identifyWriter(pid, writtenAt);
  return writer !== undefined && /^pass?t/.test(commandName(pid)) ? writer : undefined;
}

/** /proc/PID/comm, or '' when there is no such process. */
function commandName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'latin1').trim();
  } catch {
    return '';
  }
}
