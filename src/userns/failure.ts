import { readFileSync } from 'node:fs';
import { BurrowError } from '../errors.js';
import { RUN_DOCTOR } from '../util/host-tools.js';

/** A sysctl's value, or undefined where the kernel has no such knob. */
function sysctl(path: string): string | undefined {
  try {
    return readFileSync(`/proc/sys/${path}`, 'latin1').trim();
  } catch {
    return undefined;
  }
}

const RAISE_MAX = 'as root: sysctl -w user.max_user_namespaces=28633';

/**
 * What a failure of `unshare` (making burrow's user namespace) means, and the
 * fix, from its error output; undefined when the output says something else.
 * The kernel answers ENOSPC when the user may create no more user namespaces,
 * EPERM when an AppArmor policy restricts them (Ubuntu 24.04's default) or a
 * container burrow runs in forbids them. A host that allows none at all
 * (max_user_namespaces 0, Debian's unprivileged_userns_clone 0) never gets here:
 * assertUserNamespacesAllowed refuses it before unshare runs.
 */
export function userNamespaceFailure(output: string): string | undefined {
  const why = failureReason(output);
  return why === undefined ? undefined : `${why}; ${RUN_DOCTOR}`;
}

function failureReason(output: string): string | undefined {
  if (/unrecognized option '--map-(users?|groups?)\b/.test(output)) {
    return "util-linux's unshare is older than 2.38 (it has no --map-users): install util-linux 2.38 or later (Debian 12, Ubuntu 24.04)";
  }
  if (/unshare failed: No space left on device/.test(output)) {
    return `cannot create a user namespace: this user has as many as user.max_user_namespaces allows; ${RAISE_MAX}`;
  }
  if (/unshare failed: Operation not permitted/.test(output)) {
    if (sysctl('kernel/apparmor_restrict_unprivileged_userns') === '1') {
      return "cannot create a user namespace: AppArmor restricts them for unprivileged programs (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 24.04 and later): 'sudo burrow setup' allows them for burrow's own helper alone";
    }
    return 'cannot create a user namespace: the kernel refused it (Operation not permitted): unprivileged user namespaces are disabled here, or burrow runs in a container that forbids them';
  }
  const idmap = /new[ug]idmap: (.*)/.exec(output);
  if (idmap !== null) {
    return `newuidmap/newgidmap refused the id mapping (${idmap[1]!.trim()}): check your ranges in /etc/subuid and /etc/subgid, and that newuidmap and newgidmap are setuid root (Debian/Ubuntu: apt-get install --reinstall uidmap)`;
  }
  return undefined;
}

let checked = false;

/**
 * Throws when this host allows the user no user namespace at all
 * (user.max_user_namespaces 0, or Debian's kernel.unprivileged_userns_clone 0),
 * before any `unshare` runs: util-linux 2.38's unshare, failing there, leaves its
 * newuidmap helper blocked for ever, holding whatever descriptors it was given
 * (the caller's terminal, a container start's report pipe), so the start would
 * hang instead of failing. Two small reads of /proc, once per process.
 */
export function assertUserNamespacesAllowed(): void {
  if (checked) return;
  let refusal: string | undefined;
  if (sysctl('user/max_user_namespaces') === '0') {
    refusal = `cannot create a user namespace: this host allows none (user.max_user_namespaces is 0); ${RAISE_MAX}`;
  } else if (sysctl('kernel/unprivileged_userns_clone') === '0') {
    refusal = 'cannot create a user namespace: unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone=0); as root: sysctl -w kernel.unprivileged_userns_clone=1';
  }
  if (refusal !== undefined) throw new BurrowError('NO_DRIVER', `${refusal}; ${RUN_DOCTOR}`);
  checked = true;
}
