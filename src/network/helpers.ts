import { closeSync, constants, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';
import { notInstalled, onPath } from '../util/host-tools.js';
import { isGone, parseIdentity } from '../util/process-identity.js';
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
 * The helper of a start: the one asked for (an error naming the fix when it cannot
 * be had), or with `auto` pasta, else slirp4netns, else none (`note` says why).
 */
export function chooseHelper(plan: Extract<NetworkPlan, { mode: 'private' }>): { helper: NetworkHelperName | undefined; note?: string } {
  if (plan.helper !== 'auto') {
    const problem = helperProblem(plan.helper);
    if (problem !== undefined) throw new BurrowError('INVALID_ARGUMENT', `cannot give the container the network ${plan.helper}: ${problem}; run 'burrow doctor'`);
    return { helper: plan.helper };
  }
  const tun = tunProblem();
  const installed = HELPERS.find((helper) => onPath(helper));
  if (tun === undefined && installed !== undefined) return { helper: installed };
  if (plan.networks.length > 0 || plan.ports.length > 0 || plan.publishAll) {
    throw new BurrowError('INVALID_ARGUMENT', `cannot give the container a private network: ${tun ?? 'neither pasta (apt-get install passt) nor slirp4netns is installed'}; run 'burrow doctor'`);
  }
  const why = installed === undefined ? 'neither pasta (Debian/Ubuntu: apt-get install passt) nor slirp4netns is installed' : tun;
  return { helper: undefined, note: `burrow: the container runs without a network (as --network none): ${why}; run 'burrow doctor'` };
}

/** The file burrow-net names its helper in (PID.STARTTIME.BOOTID), while the helper runs. */
export const HELPER_FILE = 'network-helper';

/**
 * Kills a helper that a crashed agent left running (pasta never exits on its own):
 * for rm, system prune and the next start. Identity-checked, so a pid reused by
 * another process is left alone.
 */
export function killLeftoverHelper(dir: string): void {
  let text: string;
  try {
    text = readFileSync(join(dir, HELPER_FILE), 'latin1');
  } catch {
    return;
  }
  const identity = parseIdentity(text.trim());
  if (identity === undefined || isGone(identity)) return;
  try {
    process.kill(identity.pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}
