/**
 * What `burrow setup` and `burrow doctor` read of a host's cgroups and systemd,
 * from files alone (so both can be tested against trees laid out like a host's).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

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
}

export const HOST_PATHS: HostPaths = {
  mountinfo: '/proc/self/mountinfo',
  etc: '/etc',
  systemdRunDir: '/run/systemd/system',
  unitDirs: ['/usr/lib/systemd/system', '/lib/systemd/system'],
  mountPrefix: '',
};

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
