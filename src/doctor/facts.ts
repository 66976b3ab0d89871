/**
 * Everything doctor decides from, as data: read from a host's files (a tree laid
 * out like one, in tests), found on PATH, or proved by probe.ts. checks.ts turns
 * it into status lines; nothing here judges.
 */
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, statfsSync, statSync } from 'node:fs';
import { release, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { helperPaths, helperSource } from '../setup/apparmor.js';
import { appArmorEnabled, readSubordinateFile, readUsernsSysctls, subordinateRange, type HostPaths, type UsernsSysctls } from '../setup/host.js';
import { tunProblem } from '../network/helpers.js';
import { DEFAULT_HOST_PATH, onPath } from '../util/host-tools.js';
import { freeStart } from '../setup/subids.js';
import type { UsernsProbe } from './probe.js';

export interface HelperFacts {
  /** /usr/local/lib/burrow/<uid>/burrow-userns */
  path: string;
  /** There, and this user may run it. */
  usable: boolean;
  /** The same bytes as this burrow's burrow-userns (false: burrow was upgraded since setup copied it). */
  current: boolean;
}

export interface IdHelperFacts {
  found: boolean;
  /** Owned by root with the setuid bit (Debian's and Ubuntu's uidmap); false may still be file capabilities. */
  setuidRoot: boolean;
  /** Its owner and mode, as this process sees them (in a user namespace root's files show as the overflow uid). */
  owner?: number | undefined;
  mode?: number | undefined;
}

export interface DiskFacts {
  /** The store's root, or the nearest directory above it that exists. */
  path: string;
  freeBytes?: number | undefined;
  error?: string | undefined;
}

export interface CgroupFacts {
  version: 'v1' | 'hybrid' | 'v2' | 'none';
  route: 'delegated-v2' | 'systemd-user' | 'delegated-v1' | 'none' | 'unknown';
  controllers: string[];
  reason: string;
  enforced: string[];
  refused: string[];
  more?: string | undefined;
}

export interface HostFacts {
  kernel: string;
  user: { name: string; uid: number; gid: number };
  sysctls: UsernsSysctls;
  apparmor: { enabled: boolean; profileInstalled: boolean; helper: HelperFacts };
  /** Programs burrow runs, and whether each is on PATH. */
  programs: Record<'unshare' | 'bwrap' | 'fuse-overlayfs' | 'pasta' | 'slirp4netns', boolean>;
  newuidmap: IdHelperFacts;
  newgidmap: IdHelperFacts;
  subuid: { start: number; count: number } | undefined;
  subgid: { start: number; count: number } | undefined;
  /** Where setup would put a new range (for the fix's exact command). */
  freeSubidStart: number;
  /** undefined: not tried (a sysctl allows no user namespace at all). */
  userns: UsernsProbe | undefined;
  bwrap: { version: string } | { error: string };
  /** Why /dev/fuse cannot be used, or undefined. */
  fuseDevice: string | undefined;
  /** Why /dev/net/tun cannot be used, or undefined. */
  tun: string | undefined;
  disk: DiskFacts;
  cgroup: CgroupFacts;
}

/** The facts read from files (the rest comes from PATH and the probes). */
export function readFileFacts(paths: HostPaths, user: HostFacts['user']): Pick<HostFacts, 'sysctls' | 'apparmor' | 'subuid' | 'subgid' | 'freeSubidStart'> {
  const helper = helperPaths(paths.libexec, user).helper;
  const range = (file: 'subuid' | 'subgid', id: number): { start: number; count: number } | undefined => {
    const line = subordinateRange(readSubordinateFile(join(paths.etc, file)), user.name, id);
    return line === undefined ? undefined : { start: line.start, count: line.count };
  };
  return {
    sysctls: readUsernsSysctls(paths),
    apparmor: {
      enabled: appArmorEnabled(paths),
      profileInstalled: existsSync(join(paths.apparmorDir, 'burrow')),
      helper: { path: helper, usable: canRun(helper), current: sameAsBuilt(helper) },
    },
    subuid: range('subuid', user.uid),
    subgid: range('subgid', user.gid),
    freeSubidStart: freeStart(paths),
  };
}

function canRun(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function sameAsBuilt(helper: string): boolean {
  try {
    return readFileSync(helper).equals(readFileSync(helperSource()));
  } catch {
    return false;
  }
}

export function idHelperFacts(program: string): IdHelperFacts {
  const dir = (process.env.PATH || DEFAULT_HOST_PATH).split(':').find((entry) => entry !== '' && existsSync(join(entry, program)));
  if (dir === undefined) return { found: false, setuidRoot: false };
  const stat = statSync(join(dir, program));
  return { found: true, setuidRoot: stat.uid === 0 && (stat.mode & 0o4000) !== 0, owner: stat.uid, mode: stat.mode & 0o7777 };
}

export function fuseDeviceProblem(device = '/dev/fuse'): string | undefined {
  try {
    closeSync(openSync(device, constants.O_RDWR));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${device} does not exist (the fuse module is not loaded)`;
    if (code === 'EACCES' || code === 'EPERM') return `${device} cannot be opened by this user`;
    return `${device} cannot be opened (${code ?? String(error)})`;
  }
}

export function diskFacts(storeRoot: string): DiskFacts {
  let path = storeRoot;
  while (!existsSync(path) && dirname(path) !== path) path = dirname(path);
  try {
    const stats = statfsSync(path);
    return { path, freeBytes: stats.bavail * stats.bsize };
  } catch (error) {
    return { path, error: (error as Error).message };
  }
}

export function liveUser(): HostFacts['user'] {
  const info = userInfo();
  return { name: info.username, uid: info.uid, gid: info.gid };
}

export function liveFacts(): Pick<HostFacts, 'kernel' | 'programs' | 'newuidmap' | 'newgidmap' | 'fuseDevice' | 'tun'> {
  return {
    kernel: release(),
    programs: { unshare: onPath('unshare'), bwrap: onPath('bwrap'), 'fuse-overlayfs': onPath('fuse-overlayfs'), pasta: onPath('pasta'), slirp4netns: onPath('slirp4netns') },
    newuidmap: idHelperFacts('newuidmap'),
    newgidmap: idHelperFacts('newgidmap'),
    fuseDevice: fuseDeviceProblem(),
    tun: tunProblem(),
  };
}
