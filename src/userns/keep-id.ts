import { BurrowError } from '../errors.js';

/**
 * `--userns=keep-id[:uid=N,gid=N]` (Podman's spelling and semantics): the caller's
 * uid and gid appear inside the container as themselves (or as N), the container's
 * other ids are the caller's subordinate range around them. Pure arithmetic and
 * parsing: no file, no process (the copy worker imports it too), and the kept
 * user's /etc/passwd and /etc/group lines.
 */

/** What `create` asks for (`CreateOptions.userns`). */
export type UsernsOption = { mode: 'default' } | { mode: 'keep-id'; uid?: number | undefined; gid?: number | undefined };

/** What the container record keeps: the ids the caller appears as inside. */
export interface KeepId {
  mode: 'keep-id';
  uid: number;
  gid: number;
  /**
   * The caller as the container's /etc/passwd and /etc/group get it when they
   * have no line for these ids (keptUserLines); absent in records made before.
   */
  user?: KeptUser | undefined;
}

/** The caller's account as keep-id shows it inside (Podman's passwd entry for the kept user). */
export interface KeptUser {
  /** The caller's user name on the host. */
  name: string;
  /** The caller's primary group's name on the host (the user name when it has none). */
  group: string;
  /** The caller's home when the container sees it at that path (a mount), else `/`. */
  home: string;
}

/** One line of a uid_map or gid_map: container ids [inner, inner+count) are host ids [outer, outer+count). */
export interface IdRange {
  inner: number;
  outer: number;
  count: number;
}

const MAX_ID = 4294967294; // (uid_t)-1 is "no id"

function parseId(value: string, spec: string, key: string): number {
  if (!/^\d+$/.test(value) || Number(value) > MAX_ID) {
    throw new BurrowError('INVALID_ARGUMENT', `invalid --userns "${spec}": ${key}= needs a number from 0 to ${MAX_ID}`);
  }
  return Number(value);
}

/**
 * `--userns` as given. Only what a rootless runner can have is accepted: burrow's
 * default mapping (no flag) and keep-id. `host` (no user namespace), `auto`,
 * `nomap`, `ns:` and `container:` cannot be had without privileges or are not
 * burrow's, and `size=` would shrink the range the layers were unpacked for.
 */
export function parseUserns(spec: string): UsernsOption {
  if (spec === 'keep-id') return { mode: 'keep-id' };
  if (spec.startsWith('keep-id:')) {
    const option: { mode: 'keep-id'; uid?: number; gid?: number } = { mode: 'keep-id' };
    for (const part of spec.slice('keep-id:'.length).split(',')) {
      const at = part.indexOf('=');
      const key = at < 0 ? part : part.slice(0, at);
      const value = at < 0 ? '' : part.slice(at + 1);
      if (key === 'uid') option.uid = parseId(value, spec, key);
      else if (key === 'gid') option.gid = parseId(value, spec, key);
      else throw new BurrowError('INVALID_ARGUMENT', `invalid --userns "${spec}": keep-id takes uid=N and gid=N only`);
    }
    return option;
  }
  const why = spec === '' || spec === 'host'
    ? 'a rootless container always has a user namespace (leave --userns out: you are root inside)'
    : 'it cannot be had rootless';
  throw new BurrowError('INVALID_ARGUMENT', `unsupported --userns "${spec}": ${why}; use keep-id or keep-id:uid=N,gid=N`);
}

/**
 * The container's id map under keep-id, Podman's arithmetic: with `count`
 * subordinate ids from `start`, container ids below `kept` are the first
 * subordinate ids, `kept` is the caller, and the ids above it take the rest of the
 * range (so container ids 0..count exist, one more than the range, as in Podman).
 * When `kept` lies beyond the range, every subordinate id maps below it and the
 * ids between are unmapped.
 */
export function keepIdRanges(kept: number, caller: number, start: number, count: number): IdRange[] {
  const below = Math.min(kept, count);
  const ranges: IdRange[] = [];
  if (below > 0) ranges.push({ inner: 0, outer: start, count: below });
  ranges.push({ inner: kept, outer: caller, count: 1 });
  if (count > below) ranges.push({ inner: kept + 1, outer: start + below, count: count - below });
  return ranges;
}

/**
 * The copy driver's ownership shift (see rootfs/copy.ts). The layers are
 * unpacked for the default mapping; the copy worker runs there too and gives each
 * copied file the owner whose host id the keep-id namespace shows as the image's
 * owner: ids below `kept` (host: subordinate id N-1 by default, N under keep-id)
 * move up by one, `kept` itself is the caller (0 by default), ids above stay.
 */
export function keepIdCopyOwner(id: number, kept: number, count: number): number {
  if (id < Math.min(kept, count)) return id + 1;
  if (id === kept) return 0;
  return id;
}

/** A name or path that fits one field of a passwd or group line (no separator, no line end). */
const FIELD = /^[^:\n\0]+$/;

/**
 * The lines Podman adds for the kept user (`NAME:*:UID:GID:NAME:HOME:/bin/sh`,
 * `GROUP:x:GID:NAME`), or undefined when a name would break the file's format.
 */
export function keptUserLines(keepId: KeepId): { passwd: string; group: string } | undefined {
  const user = keepId.user;
  if (user === undefined || ![user.name, user.group, user.home].every((field) => FIELD.test(field))) return undefined;
  return {
    passwd: `${user.name}:*:${keepId.uid}:${keepId.gid}:${user.name}:${user.home}:/bin/sh`,
    group: `${user.group}:x:${keepId.gid}:${user.name}`,
  };
}

/**
 * Whether a passwd or group file's text lacks both this name and this id (the
 * first and third fields): only then is the kept user's line added, as Podman
 * does, so an image that knows the uid (or the name) keeps its own line.
 */
export function needsEntry(text: string, name: string, id: number): boolean {
  return !text.split('\n').some((line) => {
    const fields = line.split(':');
    return fields[0] === name || (fields[2] !== undefined && /^\d+$/.test(fields[2]) && Number(fields[2]) === id);
  });
}
