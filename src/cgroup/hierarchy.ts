import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1HierarchyName } from './types.js';

/**
 * Where this process sits in the cgroup hierarchies, from /proc/self/cgroup and
 * the mount table: a pure cgroup v2 host (/sys/fs/cgroup is cgroup2), a hybrid one
 * (v1 hierarchies plus cgroup2 at /sys/fs/cgroup/unified, with no controllers) or
 * v1 alone. File reads only: `detectCgroupHost` runs on every `run`.
 */

/** The v1 hierarchies burrow uses, by the controller name that appears in the mount options. */
export const V1_HIERARCHIES: readonly V1HierarchyName[] = ['memory', 'pids', 'cpu', 'cpuacct', 'cpuset', 'freezer', 'blkio'];
export type V1Hierarchy = V1HierarchyName;

export interface V2Place {
  /** Where cgroup2 is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a hybrid host). */
  mount: string;
  /** The cgroup this process is in, as a directory. */
  own: string;
  /** True when cgroup2 is the only hierarchy (the controllers can be in it). */
  pure: boolean;
}

export interface V1Place {
  mount: string;
  /** The cgroup this process is in, in this hierarchy, as a directory. */
  own: string;
}

export interface CgroupPlaces {
  v2?: V2Place | undefined;
  /** One entry per v1 hierarchy burrow uses; co-mounted controllers (cpu,cpuacct) share a place. */
  v1: Partial<Record<V1Hierarchy, V1Place>>;
}

/** The two files the places are read from; tests point them at a simulated tree. */
export interface PlaceSources {
  procSelfCgroup: string;
  mountinfo: string;
}

export const SYSTEM_SOURCES: PlaceSources = { procSelfCgroup: '/proc/self/cgroup', mountinfo: '/proc/self/mountinfo' };

/** mountinfo escapes blanks and backslashes as octal (\040). */
function unescapeMount(field: string): string {
  if (!field.includes('\\')) return field;
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

interface CgroupMount {
  point: string;
  /** The cgroup the mount shows as its root (not `/` inside a cgroup namespace or a bind mount). */
  root: string;
  type: 'cgroup' | 'cgroup2';
  options: string[];
}

function parseMounts(text: string): CgroupMount[] {
  const mounts: CgroupMount[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(' - cgroup')) continue;
    const separator = line.indexOf(' - ');
    if (separator < 0) continue;
    const before = line.slice(0, separator).split(' ');
    const after = line.slice(separator + 3).split(' ');
    const type = after[0];
    if ((type !== 'cgroup' && type !== 'cgroup2') || before.length < 5) continue;
    mounts.push({ point: unescapeMount(before[4]!), root: unescapeMount(before[3]!), type, options: (after[2] ?? '').split(',') });
  }
  return mounts;
}

/** The directory of cgroup `path` under a mount whose root is `root`; undefined when the mount does not show it. */
function under(mount: CgroupMount, path: string): string | undefined {
  let relative: string;
  if (mount.root === '/') relative = path;
  else if (path === mount.root) relative = '';
  else if (path.startsWith(`${mount.root}/`)) relative = path.slice(mount.root.length);
  else return undefined;
  const dir = join(mount.point, relative);
  // The own cgroup `/` is the mount point itself, spelt as the mount table spells it (no trailing slash).
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

export function readPlaces(sources: PlaceSources = SYSTEM_SOURCES): CgroupPlaces {
  let procText: string;
  let mountText: string;
  try {
    procText = readFileSync(sources.procSelfCgroup, 'utf8');
    mountText = readFileSync(sources.mountinfo, 'utf8');
  } catch {
    return { v1: {} };
  }
  const mounts = parseMounts(mountText);
  const places: CgroupPlaces = { v1: {} };
  const v1Mounts = mounts.filter((mount) => mount.type === 'cgroup');
  for (const line of procText.split('\n')) {
    const first = line.indexOf(':');
    const second = line.indexOf(':', first + 1);
    if (first < 0 || second < 0) continue;
    const controllers = line.slice(first + 1, second);
    const path = line.slice(second + 1);
    if (line.slice(0, first) === '0' && controllers === '') {
      for (const mount of mounts.filter((entry) => entry.type === 'cgroup2')) {
        const own = under(mount, path);
        if (own !== undefined) {
          places.v2 = { mount: mount.point, own, pure: v1Mounts.length === 0 };
          break;
        }
      }
      continue;
    }
    for (const name of controllers.split(',')) {
      if (!(V1_HIERARCHIES as readonly string[]).includes(name)) continue;
      const mount = v1Mounts.find((entry) => entry.options.includes(name));
      const own = mount === undefined ? undefined : under(mount, path);
      if (mount !== undefined && own !== undefined) places.v1[name as V1Hierarchy] = { mount: mount.point, own };
    }
  }
  return places;
}

/** Whether this user may write `path` (a cgroup directory or one of its files). */
export function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
