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
 * What a failure of burrow-userns (native/burrow-userns.c, making burrow's user
 * namespace) means, and the fix, from its error output; undefined when the
 * output says something else. The kernel answers ENOSPC when the user may create
 * no more user namespaces, EPERM when an AppArmor policy restricts them (Ubuntu
 * 24.04's default: at unshare(2), or at the map written afterwards, the namespace
 * having been given no capabilities) or a container burrow runs in forbids them.
 * A host that allows none at all (max_user_namespaces 0, Debian's
 * unprivileged_userns_clone 0) never gets here: assertUserNamespacesAllowed
 * refuses it first, with a better answer than the EPERM/ENOSPC that would follow.
 */
export function userNamespaceFailure(output: string): string | undefined {
  const why = failureReason(output);
  return why === undefined ? undefined : `${why}; ${RUN_DOCTOR}`;
}

const APPARMOR = "cannot create a user namespace: AppArmor restricts them for unprivileged programs (kernel.apparmor_restrict_unprivileged_userns=1, Ubuntu 24.04 and later): 'sudo burrow setup' allows them for burrow's own helper alone";

function failureReason(output: string): string | undefined {
  if (/unshare failed: No space left on device/.test(output)) {
    return `cannot create a user namespace: this user has as many as user.max_user_namespaces allows; ${RAISE_MAX}`;
  }
  const restricted = sysctl('kernel/apparmor_restrict_unprivileged_userns') === '1';
  if (/unshare failed: Operation not permitted/.test(output)) {
    if (restricted) return APPARMOR;
    return 'cannot create a user namespace: the kernel refused it (Operation not permitted): unprivileged user namespaces are disabled here, or burrow runs in a container that forbids them';
  }
  // The namespace was made but had no capabilities to be mapped with: AppArmor's unprivileged_userns profile.
  if (restricted && /(write \/proc\/self\/[ug]id_map failed|write to [ug]id_map failed): Operation not permitted/.test(output)) return APPARMOR;
  const missing = /cannot run (new[ug]idmap): (.*)/.exec(output);
  if (missing !== null) {
    return `cannot run ${missing[1]!} (${missing[2]!.trim()}): newuidmap and newgidmap map burrow's user namespace (Debian/Ubuntu: apt-get install uidmap)`;
  }
  const idmap = /new[ug]idmap: (.*)/.exec(output);
  if (idmap !== null) {
    return `newuidmap/newgidmap refused the id mapping (${idmap[1]!.trim()}): check your ranges in /etc/subuid and /etc/subgid, and that newuidmap and newgidmap are setuid root (Debian/Ubuntu: apt-get install --reinstall uidmap)`;
  }
  const own = /burrow-userns: (write \/proc\/self\/\w+ failed: .*)/.exec(output);
  if (own !== null) return `cannot map burrow's user namespace (${own[1]!.trim()})`;
  return undefined;
}

let checked = false;

/**
 * Throws when this host allows the user no user namespace at all
 * (user.max_user_namespaces 0, or Debian's kernel.unprivileged_userns_clone 0),
 * before burrow-userns runs, whose EPERM or ENOSPC would not say which knob to
 * turn. Two small reads of /proc, once per process.
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
