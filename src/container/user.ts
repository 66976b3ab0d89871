import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  groups: number[];
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

/**
 * The most of an image's /etc/passwd or /etc/group burrow reads (a real one is a
 * few kilobytes): a file of zeros compresses a thousandfold, so a 2 MB layer can
 * hold a 2 GB /etc/passwd that would otherwise be read whole into memory.
 */
export const IMAGE_FILE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Reads a file of the image from the topmost layer that has it, never through a
 * symlink, in any component: the path is resolved on the host, where an image's
 * link (`etc -> /home/user/.secrets`) could point anywhere. A layer where a
 * component is a link or a whiteout hides the file (burrow then knows no such
 * file, as for an image without one). A file over `maxBytes` is refused.
 */
export function readImageFile(layers: readonly string[], relative: string, maxBytes = IMAGE_FILE_MAX_BYTES): string | undefined {
  const parts = relative.split('/');
  layer: for (let index = layers.length - 1; index >= 0; index--) {
    for (let depth = 1; depth < parts.length; depth++) {
      let stat;
      try {
        stat = lstatSync(join(layers[index]!, ...parts.slice(0, depth)));
      } catch {
        continue layer; // not in this layer: look below
      }
      if (!stat.isDirectory()) return undefined;
    }
    let fd: number;
    try {
      fd = openSync(join(layers[index]!, relative), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      return undefined;
    }
    try {
      // A whiteout (a character device) hides the file of the layers below.
      const stat = fstatSync(fd);
      if (!stat.isFile()) return undefined;
      // Layers are not written once unpacked: the size read here is the size of what follows.
      if (stat.size > maxBytes) {
        throw new BurrowError('INVALID_ARGUMENT', `the image's /${relative} is ${stat.size} bytes, more than the ${maxBytes / (1024 * 1024)} MiB burrow reads of it: the image is damaged or hostile`);
      }
      return readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
  }
  return undefined;
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const [name, , uid, gid, , home] = line.split(':');
    if (name === undefined || uid === undefined || gid === undefined || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) return [];
    return [{ name, uid: Number(uid), gid: Number(gid), home: home || '/' }];
  });
}

function parseGroup(text: string | undefined): GroupEntry[] {
  return (text ?? '').split('\n').flatMap((line) => {
    const [name, , gid, members] = line.split(':');
    if (name === undefined || gid === undefined || !/^\d+$/.test(gid)) return [];
    return [{ name, gid: Number(gid), members: (members ?? '').split(',').filter(Boolean) }];
  });
}

/** Docker's rules for `-u` / the image's User: name or uid, optionally `:group` or `:gid`. */
export function resolveUser(spec: string | undefined, layers: readonly string[]): ResolvedUser {
  const passwd = parsePasswd(readImageFile(layers, 'etc/passwd'));
  const groups = parseGroup(readImageFile(layers, 'etc/group'));
  const [userPart = '', groupPart] = (spec ?? '').split(':');
  let uid = 0;
  let gid = 0;
  let home = '/';
  let name: string | undefined;
  if (userPart === '') {
    const root = passwd.find((entry) => entry.uid === 0);
    home = root?.home ?? '/root';
    name = root?.name ?? 'root';
  } else if (/^\d+$/.test(userPart)) {
    uid = Number(userPart);
    const entry = passwd.find((candidate) => candidate.uid === uid);
    gid = entry?.gid ?? 0;
    home = entry?.home ?? '/';
    name = entry?.name;
  } else {
    const entry = passwd.find((candidate) => candidate.name === userPart);
    if (entry === undefined) throw new BurrowError('INVALID_ARGUMENT', `unable to find user ${userPart}: no matching entries in passwd file`);
    ({ uid, gid, home } = entry);
    name = entry.name;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (/^\d+$/.test(groupPart)) gid = Number(groupPart);
    else {
      const group = groups.find((candidate) => candidate.name === groupPart);
      if (group === undefined) throw new BurrowError('INVALID_ARGUMENT', `unable to find group ${groupPart}: no matching entries in group file`);
      gid = group.gid;
    }
  }
  // A group given with the user (`-u root:root`) is the only group, as in Docker: no /etc/group memberships.
  const groupGiven = groupPart !== undefined && groupPart !== '';
  const supplementary = name === undefined || groupGiven ? [] : groups.filter((group) => group.members.includes(name!)).map((group) => group.gid);
  // Supplementary groups: the /etc/group memberships; a non-root user with none
  // keeps its primary group there, as runc (Docker, Podman) does.
  const extra = supplementary.length === 0 && uid !== 0 ? [gid] : supplementary;
  return { uid, gid, groups: [...new Set(extra)], home };
}

/** `--group-add`: gids, or group names looked up in the image's /etc/group. */
export function resolveGroups(specs: readonly string[], layers: readonly string[]): number[] {
  if (specs.length === 0) return [];
  const groups = parseGroup(readImageFile(layers, 'etc/group'));
  return specs.map((spec) => {
    if (/^\d+$/.test(spec)) return Number(spec);
    const group = groups.find((candidate) => candidate.name === spec);
    if (group === undefined) throw new BurrowError('INVALID_ARGUMENT', `--group-add ${spec}: unable to find group ${spec} in the image's /etc/group (give a gid instead)`);
    return group.gid;
  });
}
