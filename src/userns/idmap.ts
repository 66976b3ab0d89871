import { existsSync, readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { onPath } from '../util/host-tools.js';
import { BurrowError } from '../errors.js';
import { assertUserNamespacesAllowed } from './failure.js';
import { keepIdRanges, type IdRange, type KeepId } from './keep-id.js';

/** One line of /etc/subuid or /etc/subgid that belongs to the user. */
export interface SubordinateRange {
  start: number;
  count: number;
}

export interface IdMapping {
  /** Container id 0 is the user; ids 1..count map to the subordinate range. */
  uidRange: SubordinateRange | undefined;
  gidRange: SubordinateRange | undefined;
  /** True when only the user's own id is mapped (no ranges, or no newuidmap). */
  single: boolean;
  reason?: string | undefined;
  /**
   * --userns=keep-id: the user is this uid and gid inside instead of 0, and the
   * subordinate ranges are laid around them (keep-id.ts: keepIdRanges). Only
   * with ranges (never `single`).
   */
  keepId?: KeepId | undefined;
}

function findRange(file: string, name: string, id: number): SubordinateRange | undefined {
  if (!existsSync(file)) return undefined;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [owner, start, count] = line.trim().split(':');
    if (owner === undefined || start === undefined || count === undefined) continue;
    if (owner !== name && owner !== String(id)) continue;
    const range = { start: Number(start), count: Number(count) };
    if (Number.isInteger(range.start) && Number.isInteger(range.count) && range.count > 0) return range;
  }
  return undefined;
}

/**
 * The mapping Podman uses: container root is the user, container ids 1..N are the
 * user's subordinate range. Without ranges or helpers, only the user is mapped.
 */
export function idMapping(files = { subuid: '/etc/subuid', subgid: '/etc/subgid' }): IdMapping {
  const { username, uid, gid } = userInfo();
  const uidRange = findRange(files.subuid, username, uid);
  const gidRange = findRange(files.subgid, username, gid);
  if (uidRange === undefined || gidRange === undefined) {
    return { uidRange: undefined, gidRange: undefined, single: true, reason: `no range for ${username} in ${uidRange === undefined ? files.subuid : files.subgid} (add one as root: usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${username})` };
  }
  if (!onPath('newuidmap') || !onPath('newgidmap')) {
    return { uidRange: undefined, gidRange: undefined, single: true, reason: 'newuidmap/newgidmap are not installed (Debian/Ubuntu: apt-get install uidmap)' };
  }
  return { uidRange, gidRange, single: false };
}

/**
 * The caller's user name, home and primary group's name on the host, for the
 * kept user's /etc/passwd and /etc/group lines under keep-id (keep-id.ts:
 * keptUserLines). The group has the user's name when /etc/group names no group
 * of that gid.
 */
export function callerAccount(groupFile = '/etc/group'): { name: string; home: string; group: string } {
  const { username, homedir, gid } = userInfo();
  let group = username;
  if (existsSync(groupFile)) {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (name !== undefined && name !== '' && id === String(gid)) {
        group = name;
        break;
      }
    }
  }
  return { name: username, home: homedir, group };
}

/**
 * A container's mapping: the default one, or keep-id as its record says
 * (`record.userns`). keep-id needs the subordinate ranges: without them there is
 * nothing to place around the user's id, and the container would have no root.
 */
export function containerIdMapping(userns: KeepId | undefined, files?: { subuid: string; subgid: string }): IdMapping {
  const mapping = idMapping(files);
  if (userns === undefined) return mapping;
  if (mapping.single) {
    throw new BurrowError('INVALID_ARGUMENT', `--userns=keep-id needs subordinate ids: ${mapping.reason}; run 'burrow doctor'`);
  }
  return { ...mapping, keepId: userns };
}

/** The same ranges with the user as root: where layers are unpacked and trees removed. */
export function defaultIdMapping(mapping: IdMapping): IdMapping {
  if (mapping.keepId === undefined) return mapping;
  const { keepId: _keepId, ...rest } = mapping;
  return rest;
}

/** Highest container uid that exists in this mapping. */
export function maxMappedId(mapping: IdMapping): number {
  return mapping.single ? 0 : Math.min(mapping.uidRange!.count, mapping.gidRange!.count);
}

/**
 * The id map lines of burrow's user namespace (container id `inner` is host id
 * `outer`, for `count` ids), uids then gids: the user as 0 and the range from 1,
 * or keep-id's (keep-id.ts: keepIdRanges). Empty lists for a single mapping.
 */
export function idMapLines(mapping: IdMapping): { uid: IdRange[]; gid: IdRange[] } {
  if (mapping.single) return { uid: [], gid: [] };
  const uids = mapping.uidRange!;
  const gids = mapping.gidRange!;
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const kept = mapping.keepId ?? { uid: 0, gid: 0 };
  return { uid: keepIdRanges(kept.uid, uid, uids.start, uids.count), gid: keepIdRanges(kept.gid, gid, gids.start, gids.count) };
}

/**
 * burrow-userns's arguments (native/burrow-userns.c; the program is
 * util/host-tools.ts: unshareProgram()) that create the user namespace plus a
 * mount namespace and map it: the caller's ids alone, written by the helper
 * itself, or every line through newuidmap/newgidmap. A helper of our own, not
 * util-linux unshare: --map-users needs util-linux 2.38 (Ubuntu 22.04 has 2.37),
 * and a single-threaded program must do it (Node gets EINVAL). Callers add
 * `--net` before `--`, as they did with unshare.
 */
export function unshareArgs(mapping: IdMapping): string[] {
  assertUserNamespacesAllowed();
  if (mapping.single) return ['--self-map', '0', '0'];
  const lines = idMapLines(mapping);
  const args: string[] = [];
  for (const line of lines.uid) args.push('--uid-map', `${line.inner}:${line.outer}:${line.count}`);
  for (const line of lines.gid) args.push('--gid-map', `${line.inner}:${line.outer}:${line.count}`);
  // keep-id: the user is the kept ids inside, not root. --setuid/--setgid 0 make
  // the launcher root of the namespace (a subordinate id on the host), so sh,
  // mount and bwrap run with the namespace's capabilities, as under the default
  // mapping (bwrap refuses to run as a non-root uid that holds capabilities).
  if (mapping.keepId !== undefined) args.push('--setuid', '0', '--setgid', '0');
  return args;
}
