/**
 * doctor's decisions: from a host's facts (facts.ts) to one status line per
 * check, and for each that falls short the exact command that fixes it. Pure, so
 * that the decisions are tested against recorded hosts (ubuntu-22.04 and 24.04
 * runners, Debian, a user without subordinate ids) as well as this one.
 */
import type { CgroupFacts, HostFacts } from './facts.js';

/** ok: fine; warn: `run` works with less (one id, no limits, a slower driver); fail: `run` cannot work. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** The command that fixes it (warn and fail). */
  fix?: string | undefined;
}

/** What an image's users need: ids 0 to 65535. */
const WANTED_IDS = 65_536;
/** Below this, a pull of an ordinary image may not fit. */
const LOW_DISK = 2 * 1024 ** 3;
const SETUP = 'sudo burrow setup';

const VERSION_WORDS: Record<CgroupFacts['version'], string> = {
  v1: 'cgroup v1',
  hybrid: 'cgroup v1 (hybrid: v2 mounted without controllers)',
  v2: 'cgroup v2',
  none: 'no cgroup file system mounted',
};

function sysctlWords(facts: HostFacts): string {
  const { maxUserNamespaces, unprivilegedUsernsClone, apparmorRestrict } = facts.sysctls;
  const words = [`user.max_user_namespaces=${maxUserNamespaces ?? '(none)'}`];
  if (unprivilegedUsernsClone !== undefined) words.push(`kernel.unprivileged_userns_clone=${unprivilegedUsernsClone}`);
  if (apparmorRestrict !== undefined) words.push(`kernel.apparmor_restrict_unprivileged_userns=${apparmorRestrict}`);
  return words.join(', ');
}

/** Whether AppArmor restricts user namespaces here (Ubuntu 24.04 and later). */
function restricted(facts: HostFacts): boolean {
  return facts.sysctls.apparmorRestrict === 1 && facts.apparmor.enabled;
}

function sysctlCheck(facts: HostFacts): DoctorCheck {
  const name = 'sysctls';
  const values = sysctlWords(facts);
  if (facts.sysctls.maxUserNamespaces === 0) {
    return { name, status: 'fail', detail: `${values}: this host allows no user namespace`, fix: 'sudo sysctl -w user.max_user_namespaces=28633' };
  }
  if (facts.sysctls.unprivilegedUsernsClone === 0) {
    return { name, status: 'fail', detail: `${values}: unprivileged user namespaces are disabled`, fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1' };
  }
  if (restricted(facts)) {
    const helper = facts.apparmor.helper;
    if (helper.usable && facts.apparmor.profileInstalled) {
      if (facts.userns?.ok === false) {
        return { name, status: 'fail', detail: `${values}: AppArmor restricts user namespaces; burrow's profile and its helper ${helper.path} are installed, but the helper could not make one (is the profile loaded?)`, fix: SETUP };
      }
      return { name, status: 'ok', detail: `${values}: AppArmor restricts user namespaces, and burrow's profile lets its helper ${helper.path} through` };
    }
    // The proof decides: a namespace that could be made after all (a profile of the site's own) is not a failure.
    return {
      name,
      status: facts.userns?.ok === true ? 'ok' : 'fail',
      detail: `${values}: AppArmor takes the capabilities of an unprivileged program's user namespace away, and burrow's profile is not installed (setup's narrow profile lets burrow's own helper alone through; sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 would lift the restriction for every program)`,
      fix: SETUP,
    };
  }
  return { name, status: 'ok', detail: `${values}: unprivileged user namespaces are allowed` };
}

/** The fix for a user namespace that could not be made, from why. */
function usernsFix(error: string, facts: HostFacts): string | undefined {
  if (/cannot run new[ug]idmap/.test(error)) return 'sudo apt-get install uidmap';
  if (/does not exist/.test(error)) return 'npm run build (burrow-userns is built with burrow), or reinstall burrow';
  if (/max_user_namespaces/.test(error)) return 'sudo sysctl -w user.max_user_namespaces=28633';
  if (/unprivileged_userns_clone/.test(error)) return 'sudo sysctl -w kernel.unprivileged_userns_clone=1';
  if (/AppArmor|Operation not permitted/.test(error) && restricted(facts)) return SETUP;
  if (/newuidmap|newgidmap/.test(error)) return 'sudo apt-get install --reinstall uidmap';
  return undefined;
}

function usernsCheck(facts: HostFacts): DoctorCheck {
  const name = 'user namespace';
  const probe = facts.userns;
  if (probe === undefined) return { name, status: 'fail', detail: 'not tried: the sysctls above allow none' };
  if (!probe.ok) {
    const error = probe.error ?? 'could not be made';
    return { name, status: 'fail', detail: `${probe.program}: ${error}`, fix: usernsFix(error, facts) };
  }
  const ids = probe.mapped <= 1 ? 'only your own id mapped' : `ids 0-${probe.mapped - 1} mapped`;
  const stale = facts.apparmor.helper.usable && probe.program === facts.apparmor.helper.path && !facts.apparmor.helper.current;
  if (stale) {
    return { name, status: 'warn', detail: `made by ${probe.program} (${ids}), a copy unlike this burrow's burrow-userns (burrow was upgraded since setup copied it)`, fix: SETUP };
  }
  return { name, status: 'ok', detail: `made by ${probe.program}, as a container start makes it (${ids})` };
}

function idHelperCheck(facts: HostFacts, program: 'newuidmap' | 'newgidmap'): DoctorCheck {
  const helper = facts[program];
  if (!helper.found) {
    return { name: program, status: 'warn', detail: 'not installed: containers map only your own id, and images whose files belong to other users cannot be unpacked as they are', fix: 'sudo apt-get install uidmap' };
  }
  if (helper.setuidRoot) return { name: program, status: 'ok', detail: 'setuid root' };
  if (facts.userns?.ok === true && facts.userns.mapped > 1) return { name: program, status: 'ok', detail: 'not setuid: file capabilities (the mapping works)' };
  // With a range in /etc/subuid burrow uses it, and a helper without privileges then fails every start.
  const ranges = facts.subuid !== undefined && facts.subgid !== undefined;
  const seen = helper.owner === undefined ? '' : ` (owner uid ${helper.owner}, mode ${(helper.mode ?? 0).toString(8).padStart(4, '0')})`;
  return { name: program, status: ranges ? 'fail' : 'warn', detail: `not setuid root${seen}, and the mapping did not show file capabilities: it cannot write a user namespace's id map`, fix: 'sudo apt-get install --reinstall uidmap' };
}

function rangeCheck(facts: HostFacts, file: 'subuid' | 'subgid'): DoctorCheck {
  const range = facts[file];
  const start = facts.freeSubidStart;
  const wanted = `${start}-${start + WANTED_IDS - 1}`;
  if (range === undefined) {
    return { name: file, status: 'warn', detail: `no range for ${facts.user.name} in /etc/${file}: containers map only your own id (${SETUP} adds one too)`, fix: `sudo usermod --add-${file}s ${wanted} ${facts.user.name}` };
  }
  const span = `${range.start}-${range.start + range.count - 1} (${range.count} ids)`;
  if (range.count < WANTED_IDS) {
    return { name: file, status: 'warn', detail: `${span}: fewer than an image's users need (${WANTED_IDS}); files of ids above ${range.count} cannot be unpacked`, fix: `sudo usermod --del-${file}s ${range.start}-${range.start + range.count - 1} --add-${file}s ${wanted} ${facts.user.name}` };
  }
  return { name: file, status: 'ok', detail: span };
}

function overlayChecks(facts: HostFacts): DoctorCheck[] {
  const probe = facts.userns;
  const overlayOk = probe?.overlay === 'ok';
  const overlay: DoctorCheck = probe?.ok !== true
    ? { name: 'overlay', status: 'warn', detail: 'not tried: no user namespace' }
    : overlayOk
    ? { name: 'overlay', status: 'ok', detail: "the kernel's overlayfs mounts in burrow's user namespace" }
    : { name: 'overlay', status: 'warn', detail: `the kernel refused it in a user namespace (${probe.overlay ?? 'no answer'}): burrow uses fuse-overlayfs, else copies each container's layers (slower)`, fix: facts.programs['fuse-overlayfs'] ? undefined : 'sudo apt-get install fuse-overlayfs' };
  const fuse: DoctorCheck = facts.fuseDevice === undefined
    ? { name: 'fuse', status: 'ok', detail: '/dev/fuse can be opened' }
    : { name: 'fuse', status: overlayOk ? 'ok' : 'warn', detail: `${facts.fuseDevice}${overlayOk ? ' (not needed: the kernel\'s overlayfs works)' : ''}`, fix: /does not exist/.test(facts.fuseDevice) ? 'sudo modprobe fuse' : 'sudo chmod 0666 /dev/fuse' };
  let fuseOverlayfs: DoctorCheck;
  if (!facts.programs['fuse-overlayfs']) {
    fuseOverlayfs = { name: 'fuse-overlayfs', status: overlayOk ? 'ok' : 'warn', detail: `not installed${overlayOk ? ' (not needed: the kernel\'s overlayfs works)' : ''}`, fix: 'sudo apt-get install fuse-overlayfs' };
  } else if (probe?.fuseOverlayfs === 'ok') {
    fuseOverlayfs = { name: 'fuse-overlayfs', status: 'ok', detail: "mounts in burrow's user namespace" };
  } else {
    const why = probe?.ok === true ? `it did not mount in burrow's user namespace: ${probe.fuseOverlayfs ?? 'no answer'}` : 'not tried: no user namespace';
    fuseOverlayfs = { name: 'fuse-overlayfs', status: overlayOk ? 'ok' : 'warn', detail: why, fix: facts.fuseDevice === undefined ? undefined : 'sudo chmod 0666 /dev/fuse' };
  }
  return [overlay, fuse, fuseOverlayfs];
}

function bwrapCheck(facts: HostFacts): DoctorCheck {
  if ('version' in facts.bwrap) return { name: 'bwrap', status: 'ok', detail: facts.bwrap.version };
  return { name: 'bwrap', status: 'fail', detail: facts.bwrap.error, fix: 'sudo apt-get install bubblewrap' };
}

/** The private network (the default): pasta or slirp4netns, and /dev/net/tun. Without them `run` falls back to none (warn). */
function networkChecks(facts: HostFacts): DoctorCheck[] {
  const { pasta, slirp4netns } = facts.programs;
  const either = pasta || slirp4netns;
  const helper = (name: 'pasta' | 'slirp4netns', found: boolean): DoctorCheck => found
    ? { name, status: 'ok', detail: `found: --network ${name} works${name === 'pasta' || !pasta ? ' (and is the default helper)' : ''}` }
    : { name, status: either ? 'ok' : 'warn', detail: `${name} is not installed${either ? '' : ': containers run without a network (as --network none), or with their user-defined networks alone, no outbound access'}`, fix: `sudo apt-get install ${name === 'pasta' ? 'passt' : 'slirp4netns'}` };
  return [
    helper('pasta', pasta),
    helper('slirp4netns', slirp4netns),
    facts.tun === undefined
      ? { name: 'tun', status: 'ok', detail: '/dev/net/tun can be opened: private networks work' }
      : { name: 'tun', status: 'warn', detail: `${facts.tun}: containers run without a network (as --network none)`, fix: /does not exist/.test(facts.tun) ? 'sudo modprobe tun' : 'sudo chmod 0666 /dev/net/tun' },
  ];
}

function cgroupChecks(cgroup: CgroupFacts): DoctorCheck[] {
  const route: DoctorCheck =
    cgroup.route === 'unknown'
      ? { name: 'cgroup', status: 'warn', detail: `${VERSION_WORDS[cgroup.version]}; the route is unknown: ${cgroup.reason}` }
      : cgroup.route === 'none'
      ? { name: 'cgroup', status: 'warn', detail: `${VERSION_WORDS[cgroup.version]}; nothing is delegated to you: ${cgroup.reason}`, fix: cgroup.more }
      : { name: 'cgroup', status: 'ok', detail: `${VERSION_WORDS[cgroup.version]}; route ${cgroup.route}: ${cgroup.reason}` };
  const limits: DoctorCheck =
    cgroup.enforced.length === 0
      ? { name: 'limits', status: 'warn', detail: `none enforced: ${cgroup.refused.join(' ')} are refused (unless --ignore-missing-limits), no default pids limit`, fix: cgroup.more }
      : {
          name: 'limits',
          status: cgroup.refused.length === 0 ? 'ok' : 'warn',
          detail: `controllers ${cgroup.controllers.join(' ')}: enforced ${cgroup.enforced.join(' ')}${cgroup.refused.length === 0 ? '' : `; refused ${cgroup.refused.join(' ')}`}`,
          fix: cgroup.refused.length === 0 ? undefined : cgroup.more,
        };
  return [route, limits];
}

function diskCheck(facts: HostFacts): DoctorCheck {
  const { disk } = facts;
  if (disk.freeBytes === undefined) return { name: 'disk', status: 'warn', detail: `cannot tell the free space under ${disk.path}: ${disk.error ?? 'no answer'}` };
  const gib = (disk.freeBytes / 1024 ** 3).toFixed(1);
  if (disk.freeBytes < LOW_DISK) {
    return { name: 'disk', status: 'warn', detail: `${gib} GiB free under ${disk.path}, the store's file system: a pull may not fit (or put the store elsewhere: BURROW_ROOT=DIR or --root DIR)`, fix: 'burrow system prune -a' };
  }
  return { name: 'disk', status: 'ok', detail: `${gib} GiB free under ${disk.path}` };
}

/** Every check, in the order doctor prints them. */
export function diagnose(facts: HostFacts): DoctorCheck[] {
  return [
    { name: 'kernel', status: 'ok', detail: `Linux ${facts.kernel}` },
    sysctlCheck(facts),
    usernsCheck(facts),
    idHelperCheck(facts, 'newuidmap'),
    idHelperCheck(facts, 'newgidmap'),
    rangeCheck(facts, 'subuid'),
    rangeCheck(facts, 'subgid'),
    ...overlayChecks(facts),
    bwrapCheck(facts),
    ...networkChecks(facts),
    ...cgroupChecks(facts.cgroup),
    diskCheck(facts),
  ];
}
