/**
 * What `burrow setup` and `burrow doctor` read of a host (cgroups and systemd,
 * the user-namespace sysctls, AppArmor, subordinate ids, the distribution, which
 * programs are installed), from files alone, so both can be tested against trees
 * laid out like a host's.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BURROW_LIBEXEC, DEFAULT_HOST_PATH } from '../util/host-tools.js';

/** Where the facts are read; tests point these into a temporary tree. */
export interface HostPaths {
  /** /proc/self/mountinfo */
  mountinfo: string;
  /** /etc */
  etc: string;
  /** /run/systemd/system: present when systemd is the init (so tmpfiles.d runs at boot). */
  systemdRunDir: string;
  /** Where the stock user@.service is (the first that has it wins). */
  unitDirs: string[];
  /** Prefixed to each mount point read from mountinfo (tests: the fake tree's root). */
  mountPrefix: string;
  /** /proc/sys */
  procSys: string;
  /** /sys/kernel/security (securityfs: apparmor/ is there when AppArmor is enabled) */
  securityfs: string;
  /** Where programs are looked for (setup runs under sudo's PATH: the usual directories). */
  binDirs: string[];
  /** Where setup keeps what it added for a user (what --undo removes). */
  stateDir: string;
  /** Where setup puts the per-user copies of the user-namespace helper (util/host-tools.ts: BURROW_LIBEXEC). */
  libexec: string;
  /** /etc/apparmor.d */
  apparmorDir: string;
}

export const HOST_PATHS: HostPaths = {
  mountinfo: '/proc/self/mountinfo',
  etc: '/etc',
  systemdRunDir: '/run/systemd/system',
  unitDirs: ['/usr/lib/systemd/system', '/lib/systemd/system'],
  mountPrefix: '',
  procSys: '/proc/sys',
  securityfs: '/sys/kernel/security',
  binDirs: DEFAULT_HOST_PATH.split(':'),
  stateDir: '/var/lib/burrow/setup',
  libexec: BURROW_LIBEXEC,
  apparmorDir: '/etc/apparmor.d',
};

/** A sysctl's value as a number (`user/max_user_namespaces`), or undefined where the kernel has no such knob. */
export function readSysctl(paths: HostPaths, name: string): number | undefined {
  try {
    const value = Number(readFileSync(join(paths.procSys, name), 'latin1').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The three sysctls that decide whether an unprivileged user may create a user namespace. */
export interface UsernsSysctls {
  /** user.max_user_namespaces: 0 allows none. */
  maxUserNamespaces: number | undefined;
  /** kernel.unprivileged_userns_clone (Debian's and Ubuntu's kernels): 0 allows none to unprivileged users. */
  unprivilegedUsernsClone: number | undefined;
  /** kernel.apparmor_restrict_unprivileged_userns (Ubuntu 23.10+): 1 takes the capabilities of an unconfined program's new user namespace away. */
  apparmorRestrict: number | undefined;
}

export function readUsernsSysctls(paths: HostPaths = HOST_PATHS): UsernsSysctls {
  return {
    maxUserNamespaces: readSysctl(paths, 'user/max_user_namespaces'),
    unprivilegedUsernsClone: readSysctl(paths, 'kernel/unprivileged_userns_clone'),
    apparmorRestrict: readSysctl(paths, 'kernel/apparmor_restrict_unprivileged_userns'),
  };
}

/** Whether AppArmor is enabled (its securityfs directory is there). */
export function appArmorEnabled(paths: HostPaths = HOST_PATHS): boolean {
  return existsSync(join(paths.securityfs, 'apparmor'));
}

/**
 * Whether AppArmor keeps unprivileged programs from using user namespaces here,
 * so that burrow's helper needs the narrow profile (the sysctl is 1 and AppArmor
 * is enabled: Ubuntu 24.04 and later).
 */
export function appArmorRestrictsUserns(paths: HostPaths = HOST_PATHS): boolean {
  return readUsernsSysctls(paths).apparmorRestrict === 1 && appArmorEnabled(paths);
}

/** One line of /etc/subuid or /etc/subgid. */
export interface SubordinateLine {
  owner: string;
  start: number;
  count: number;
}

export function readSubordinateFile(file: string): SubordinateLine[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines: SubordinateLine[] = [];
  for (const line of text.split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner === undefined || owner === '' || start === undefined || count === undefined) continue;
    const entry = { owner, start: Number(start), count: Number(count) };
    if (Number.isInteger(entry.start) && Number.isInteger(entry.count) && entry.count > 0) lines.push(entry);
  }
  return lines;
}

/** The range burrow maps for a user (the first line that names it or its id, as userns/idmap.ts reads it). */
export function subordinateRange(lines: readonly SubordinateLine[], name: string, id: number): SubordinateLine | undefined {
  return lines.find((line) => line.owner === name || line.owner === String(id));
}

/** /etc/os-release's ID and VERSION_ID (undefined when the file is not there). */
export function readOsRelease(paths: HostPaths = HOST_PATHS): { id: string; versionId: string } | undefined {
  let text: string;
  try {
    text = readFileSync(join(paths.etc, 'os-release'), 'utf8');
  } catch {
    return undefined;
  }
  const field = (name: string): string => (new RegExp(`^${name}=(.*)$`, 'm').exec(text)?.[1] ?? '').trim().replace(/^"(.*)"$/, '$1');
  return { id: field('ID'), versionId: field('VERSION_ID') };
}

/** Where `program` is installed among paths.binDirs, or undefined. */
export function findProgram(paths: HostPaths, program: string): string | undefined {
  return paths.binDirs.map((dir) => join(dir, program)).find((file) => existsSync(file));
}

/** The cgroup v1 hierarchies burrow's route 3 uses (devices and name=systemd are not its business). */
export const V1_CONTROLLERS = ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'blkio'] as const;
export type V1Controller = (typeof V1_CONTROLLERS)[number];

/** What burrow asks systemd's user manager to delegate (Podman's documentation advises the same). */
export const WANTED_DELEGATION = ['cpu', 'cpuset', 'io', 'memory', 'pids'] as const;

export interface CgroupMounts {
  /** Each v1 hierarchy burrow uses: its mount point and the controllers mounted there. */
  v1: Array<{ mountPoint: string; controllers: V1Controller[] }>;
  /** The cgroup2 mount point, if any (hybrid hosts have one without controllers). */
  v2: string | undefined;
}

export type CgroupVersion = 'v1' | 'hybrid' | 'v2' | 'none';

/** The cgroup mounts of mountinfo (fields: id parent dev root mountpoint opts … - fstype source superopts). */
export function readCgroupMounts(paths: HostPaths = HOST_PATHS): CgroupMounts {
  const mounts: CgroupMounts = { v1: [], v2: undefined };
  let text = '';
  try {
    text = readFileSync(paths.mountinfo, 'utf8');
  } catch {
    return mounts;
  }
  for (const line of text.split('\n')) {
    const fields = line.split(' ');
    const dash = fields.indexOf('-');
    if (dash < 0) continue;
    const mountPoint = paths.mountPrefix + unescapeMountPath(fields[4] ?? '');
    const fstype = fields[dash + 1];
    if (fstype === 'cgroup2') mounts.v2 ??= mountPoint;
    if (fstype !== 'cgroup') continue;
    const options = (fields[dash + 3] ?? '').split(',');
    const controllers = V1_CONTROLLERS.filter((controller) => options.includes(controller));
    if (controllers.length > 0 && !mounts.v1.some((mount) => mount.mountPoint === mountPoint)) mounts.v1.push({ mountPoint, controllers });
  }
  return mounts;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

export function cgroupVersion(mounts: CgroupMounts): CgroupVersion {
  if (mounts.v1.length > 0) return mounts.v2 === undefined ? 'v1' : 'hybrid';
  return mounts.v2 === undefined ? 'none' : 'v2';
}

export function systemdIsInit(paths: HostPaths = HOST_PATHS): boolean {
  return existsSync(paths.systemdRunDir);
}

/** The drop-in `burrow setup` writes on cgroup v2 hosts whose user manager delegates too little. */
export function delegateDropInPath(paths: HostPaths = HOST_PATHS): string {
  return join(paths.etc, 'systemd/system/user@.service.d/burrow-delegate.conf');
}

/**
 * The controllers systemd's user@.service delegates, from the unit and its
 * drop-ins as systemd reads them (later `Delegate=` lines add to earlier ones,
 * an empty one resets, yes/no mean all/none); undefined when there is no
 * user@.service (no systemd, or no user managers).
 */
export function userManagerDelegation(paths: HostPaths = HOST_PATHS): string[] | undefined {
  const unit = paths.unitDirs.map((dir) => join(dir, 'user@.service')).find((file) => existsSync(file));
  if (unit === undefined) return undefined;
  const files = [unit];
  for (const dir of [...paths.unitDirs.map((d) => join(d, 'user@.service.d')), join(paths.etc, 'systemd/system/user@.service.d')]) {
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((name) => name.endsWith('.conf'));
    } catch {
      continue;
    }
    files.push(...names.sort().map((name) => join(dir, name)));
  }
  // Drop-ins apply in the order of their file names, whatever directory they are in.
  const [main, ...dropIns] = files;
  dropIns.sort((a, b) => (a.split('/').pop()! < b.split('/').pop()! ? -1 : 1));
  let delegated = new Set<string>();
  for (const file of [main!, ...dropIns]) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^\s*Delegate\s*=\s*(.*?)\s*$/.exec(line);
      if (match === null) continue;
      const value = match[1]!;
      if (value === '') delegated = new Set();
      else if (/^(yes|true|on|1)$/i.test(value)) delegated = new Set(WANTED_DELEGATION);
      else if (/^(no|false|off|0)$/i.test(value)) delegated = new Set();
      else for (const controller of value.split(/\s+/)) delegated.add(controller);
    }
  }
  return [...delegated].sort();
}
