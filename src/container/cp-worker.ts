/**
 * `burrow cp`'s worker. It runs inside the container's user namespace (`cp.ts`
 * starts it with nsenter for a running container, or in a holder namespace
 * with the stopped container's root mounted), because only from there can it
 * read a fuse-overlayfs root at all, and read and write the files of the
 * container's other users (mapped ids) as the container's root does.
 *
 *   node cp-worker.js ROOT out CONTAINER_PATH HOST_PATH NAME [FLAGS]
 *   node cp-worker.js ROOT in  CONTAINER_PATH HOST_PATH NAME [FLAGS]
 *
 * FLAGS, a comma list (or -): `keep:UID:GID` or `user:UID:GID` (in: who owns
 * what is copied in, see `ownership` below; UID:GID of keep are the caller's),
 * `owners:MANIFEST` (in, cp -: the tar entries' own ids), `into-directory` (cp -:
 * CONTAINER_PATH must be a directory, and HOST_PATH goes into it under its own
 * name), `follow-link` (-L: the source's last symlink is followed), `owner:UID:GID`
 * (below), `preserve` and `into:DIR` (out: a volume's copy-up, below). A symlink at the destination in the container is followed, inside the
 * container's root, as Docker does. The paths keep Docker's endings: `DIR/.` copies
 * DIR's contents, `DIR/` must be a directory.
 *
 * `owner:UID:GID` (out, under --userns=keep-id): the ids, in the container's user
 * namespace, that are the caller's on the host. There the worker is the
 * namespace's root, a subordinate id on the host, and what it makes would belong
 * to that id; each file, directory and symlink it makes on the host is given to
 * these ids instead, so the caller owns what it copied out, as `docker cp` gives
 * the caller what it copies out. (Under the default mapping the worker already
 * runs as the caller.)
 *
 * Confined: every path inside the container is resolved by the kernel with
 * openat2(RESOLVE_IN_ROOT) against ROOT, so a symlink in the container that
 * points at `/` or at a host path can never lead the copy out of the container;
 * below the first component, entries are opened one at a time with
 * RESOLVE_NO_SYMLINKS, and symlinks are copied as symlinks. On the host side, a
 * name that comes from the container never follows a symlink already there (a
 * second copy of a changed tree cannot be turned into a write elsewhere), and
 * only a file or a symlink is ever replaced: a host directory in the way of a
 * file is an error, as in Docker, never removed. Files
 * are streamed a chunk at a time, so memory stays flat for any size. The worker
 * ends with its standard input: burrow holds that open until the copy is done,
 * so the worker never outlives an interrupted or killed `burrow cp`.
 */
import {
  type Stats, chmodSync, closeSync, createReadStream, createWriteStream, fchmodSync, fchownSync, fstatSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, constants as fs,
} from 'node:fs';
import { basename, dirname, join, posix, relative } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { errno, fchownat, mkdirat, openat2, readlinkat, symlinkat } from '../util/libc.js';

const RESOLVE_NO_MAGICLINKS = 0x02;
const RESOLVE_NO_SYMLINKS = 0x04;
const RESOLVE_BENEATH = 0x08;
const RESOLVE_IN_ROOT = 0x10;
const O_PATH = 0o10000000;
const O_CLOEXEC = 0o2000000;
/** How much of a file is in memory at once. */
const CHUNK = 1024 * 1024;

const AT_SYMLINK_NOFOLLOW = 0x100;
const AT_EMPTY_PATH = 0x1000;
/** The largest number of links followed to a destination in the container (the kernel's MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * Who owns what is copied in (the `user:` and `keep:` flags, cp.ts: ownership).
 * `user`: -a in a container with a user, everything gets its ids. `keep`: each
 * entry keeps the ids it has, as docker does without -a: a tar entry's own ids
 * (`owners`, from cp.ts's manifest), else the host file's owner. This worker is
 * root of the container's user namespace, where the caller's own files show as
 * 0:0 (`caller` are their host ids, which they get back) and a host id the
 * namespace does not map shows as the overflow id (the entry stays root's).
 */
type Ids = { uid: number; gid: number };
let ownership: { kind: 'user'; ids: Ids } | { kind: 'keep'; caller: Ids; owners?: { root: string; ids: Map<string, Ids> } } = { kind: 'keep', caller: { uid: 0, gid: 0 } };
/** The kernel's overflow id: what an unmapped host id reads as inside a user namespace. */
const OVERFLOW_ID = 65534;

function ownerOf(source: string, stat: { uid: number; gid: number }): Ids | undefined {
  if (ownership.kind === 'user') return ownership.ids;
  if (ownership.owners !== undefined) return ownership.owners.ids.get(relative(ownership.owners.root, source));
  const one = (id: number, caller: number): number | undefined => (id === 0 ? caller : id === OVERFLOW_ID ? undefined : id);
  const uid = one(stat.uid, ownership.caller.uid);
  const gid = one(stat.gid, ownership.caller.gid);
  return uid === undefined || gid === undefined ? undefined : { uid, gid };
}

/**
 * The entry `name` of `dirFd` (just made from `source`) gets its owner, never
 * through a link (or, with AT_EMPTY_PATH, the directory `dirFd` itself). An id the container does not map (EINVAL) keeps, without -a,
 * the entry root's, as the container's root made it; under -a it is an error.
 */
function own(dirFd: number, name: string, source: string, stat: { uid: number; gid: number }, flags = AT_SYMLINK_NOFOLLOW): void {
  const owner = ownerOf(source, stat);
  if (owner === undefined || fchownat(dirFd, name, owner.uid, owner.gid, flags) === 0) return;
  const code = errno();
  if (code === 22 && ownership.kind === 'keep') return;
  throw new CopyFailure('IO', `cannot give ${name} the owner ${owner.uid}:${owner.gid} in the container (errno ${code}${code === 22 ? ': that id is not mapped in the container, see /etc/subuid' : ''})`);
}

/** A failure as burrow reports it: a BurrowError code and one line. */
class CopyFailure extends Error {
  constructor(readonly code: 'NOT_FOUND' | 'IO' | 'NO_SPACE' | 'INVALID_ARGUMENT', message: string, readonly errno?: number) {
    super(message);
  }
}

function open2(dirfd: number, path: string, flags: number, resolve: number, what: string, mode = 0o644): number {
  // openat2 refuses a mode without O_CREAT (EINVAL).
  const fd = openat2(dirfd, path, { flags: BigInt(flags | O_CLOEXEC), mode: BigInt((flags & fs.O_CREAT) !== 0 ? mode : 0), resolve: BigInt(resolve) });
  if (fd < 0) {
    const code = errno();
    if (code === 2) throw new CopyFailure('NOT_FOUND', `${what}: no such file or directory in the container`);
    if (code === 38) throw new CopyFailure('IO', 'this kernel has no openat2 (Linux 5.6 or later is needed for burrow cp)');
    if (code === 40) throw new CopyFailure('IO', `${what}: a symlink in the container is in the way`);
    if (code === 21) throw new CopyFailure('INVALID_ARGUMENT', `cannot overwrite directory "${what}" in the container with a non-directory`);
    throw new CopyFailure('IO', `${what}: cannot open in the container (errno ${code})`, code);
  }
  return fd;
}

const fdPath = (fd: number): string => `/proc/self/fd/${fd}`;

/** Who gets what `out` makes on the host (the caller's ids in this namespace); undefined: the worker's own ids. */
let hostOwner: { uid: number; gid: number } | undefined;
/**
 * `preserve` (out, a volume's copy-up, cp.ts: copyUp): what is made on the host keeps the
 * container's owner and mode (setuid bits too), as the ids of the container's namespace
 * in which this worker runs; the named destination, the volume's empty directory, takes
 * them as well (Docker gives a new volume the owner and mode of the directory it covers).
 */
let preserve = false;

/** In `preserve`: `target` (a path made by this worker, or the descriptor of a file it opened) gets `stat`'s owner and mode. */
function keepOwnerAndMode(target: string | number, stat: Stats, symlink = false): void {
  if (!preserve) return;
  if (typeof target === 'number') {
    fchownSync(target, stat.uid, stat.gid);
    fchmodSync(target, stat.mode & 0o7777);
    return;
  }
  lchownSync(target, stat.uid, stat.gid);
  // After the chown, which clears setuid bits; never through a symlink (it has no mode of its own).
  if (!symlink) chmodSync(target, stat.mode & 0o7777);
}

/** Docker's words for a directory in the way of a file or a symlink. */
function cannotOverwrite(target: string, from: string): CopyFailure {
  return new CopyFailure('INVALID_ARGUMENT', `cannot overwrite directory "${target}" with non-directory "${from}"`);
}

/**
 * Clears the host path `target` for a file or a symlink: a file or a symlink
 * there goes (unlinked, never followed); a directory stays, and the copy fails:
 * `burrow cp` never removes a host directory.
 */
function makeWayForNonDirectory(target: string, from: string): void {
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (existing === undefined) return;
  if (existing.isDirectory()) throw cannotOverwrite(target, from);
  unlinkSync(target);
}

/**
 * A directory at the host path `target`. `named`: the user named it (a symlink
 * to a directory there is followed, as they asked); else the name comes from
 * the container, and a file or symlink in the way is replaced, never followed.
 */
function hostDirectory(target: string, mode: number, named: boolean, from: string): void {
  const existing = lstatSync(target, { throwIfNoEntry: false });
  if (existing?.isDirectory() === true) return;
  if (existing !== undefined) {
    if (named && existing.isSymbolicLink() && statSync(target, { throwIfNoEntry: false })?.isDirectory() === true) return;
    if (named) throw new CopyFailure('INVALID_ARGUMENT', `cannot overwrite non-directory "${target}" with directory "${from}"`);
    unlinkSync(target);
  }
  mkdirSync(target, { mode });
  if (hostOwner !== undefined) lchownSync(target, hostOwner.uid, hostOwner.gid);
}

/**
 * Opens the host file `target` for writing. A name from the container never
 * follows a symlink (a file or symlink there is replaced); a name the user gave
 * is written through one, as they asked.
 */
function hostFile(target: string, mode: number, named: boolean, from: string): number {
  if (!named) makeWayForNonDirectory(target, from);
  try {
    return openSync(target, fs.O_WRONLY | fs.O_CREAT | fs.O_TRUNC | O_CLOEXEC | (named ? 0 : fs.O_NOFOLLOW | fs.O_EXCL), mode);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw cannotOverwrite(target, from);
    throw error;
  }
}

/** Copies what `fd` (an O_PATH descriptor in the container, `from` as the user reads it) names to the host path `target`. */
async function copyOut(fd: number, target: string, named: boolean, from: string): Promise<void> {
  const stat = fstatSync(fd);
  if (stat.isSymbolicLink()) {
    const buffer = Buffer.alloc(4096);
    const length = readlinkat(fd, '', buffer, buffer.length);
    makeWayForNonDirectory(target, from);
    symlinkSync(buffer.subarray(0, Math.max(0, length)).toString(), target);
    if (hostOwner !== undefined) lchownSync(target, hostOwner.uid, hostOwner.gid);
    keepOwnerAndMode(target, stat, true);
  } else if (stat.isDirectory()) {
    hostDirectory(target, stat.mode & 0o7777, named, from);
    // A directory just made here, or the named one (a volume's, which the copy-up made empty for this).
    keepOwnerAndMode(target, stat);
    for (const name of readdirSync(fdPath(fd))) {
      const child = open2(fd, name, O_PATH | fs.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS, name);
      try {
        await copyOut(child, join(target, name), false, `${from.replace(/\/$/, '')}/${name}`);
      } finally {
        closeSync(child);
      }
    }
  } else if (stat.isFile()) {
    // Reopening the O_PATH descriptor through /proc reads the very inode it names.
    const output = hostFile(target, stat.mode & 0o777, named, from);
    if (hostOwner !== undefined) {
      try {
        // On the descriptor just opened: never a path a symlink could have replaced since.
        fchownSync(output, hostOwner.uid, hostOwner.gid);
      } catch (error) {
        closeSync(output);
        throw error;
      }
    }
    if (!preserve) {
      await pipeline(createReadStream(fdPath(fd), { highWaterMark: CHUNK }), createWriteStream(target, { fd: output, highWaterMark: CHUNK }));
      return;
    }
    try {
      await pipeline(createReadStream(fdPath(fd), { highWaterMark: CHUNK }), createWriteStream(target, { fd: output, highWaterMark: CHUNK, autoClose: false }));
      // After the write, which drops setuid and setgid bits (this worker has CAP_FSETID in its namespace only).
      keepOwnerAndMode(output, stat);
    } finally {
      closeSync(output);
    }
  }
}

/** Copies the host path `source` into the container directory `dirFd` as `name`. */
async function copyIn(source: string, dirFd: number, name: string, stat = lstatSync(source)): Promise<void> {
  if (stat.isSymbolicLink()) {
    if (symlinkat(readlinkSync(source), dirFd, name) !== 0) throw new CopyFailure('IO', `cannot create symlink ${name} in the container (errno ${errno()})`);
    own(dirFd, name, source, stat);
  } else if (stat.isDirectory()) {
    if (mkdirat(dirFd, name, stat.mode & 0o7777) !== 0 && errno() !== 17) throw new CopyFailure('IO', `cannot create directory ${name} in the container (errno ${errno()})`);
    let child: number;
    try {
      // A symlink already there is never followed (nor given an owner): the copy stops.
      child = open2(dirFd, name, O_PATH | fs.O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, name);
    } catch (error) {
      if (error instanceof CopyFailure && error.errno === 20) throw new CopyFailure('INVALID_ARGUMENT', `cannot overwrite non-directory "${name}" in the container with a directory`);
      throw error;
    }
    try {
      // The directory just opened, by its descriptor: never a name swapped since.
      own(child, '', source, stat, AT_EMPTY_PATH);
      await copyEntries(source, child);
    } finally {
      closeSync(child);
    }
  } else if (stat.isFile()) {
    const fd = open2(dirFd, name, fs.O_WRONLY | fs.O_CREAT | fs.O_TRUNC | fs.O_NOFOLLOW, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, name, stat.mode & 0o777);
    try {
      // On the descriptor just opened: never a path a symlink could have replaced since.
      const owner = ownerOf(source, stat);
      if (owner !== undefined) {
        try {
          fchownSync(fd, owner.uid, owner.gid);
        } catch (error) {
          if (!((error as NodeJS.ErrnoException).code === 'EINVAL' && ownership.kind === 'keep')) throw error;
        }
      }
      fchmodSync(fd, stat.mode & 0o777);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    // The stream owns the descriptor from here, and closes it.
    await pipeline(createReadStream(source, { highWaterMark: CHUNK }), createWriteStream(fdPath(fd), { fd, highWaterMark: CHUNK }));
  }
}

/** The entries of the host directory `source`, each copied into the container directory `dirFd` under its own name. */
async function copyEntries(source: string, dirFd: number): Promise<void> {
  for (const entry of readdirSync(source)) await copyIn(join(source, entry), dirFd, entry);
}

/**
 * Docker follows a symlink at the destination in the container: the path it
 * names, found again inside the container's root (openat2 RESOLVE_IN_ROOT reads
 * each hop), so a link to `/etc` is the container's /etc, never the host's.
 */
function followLinks(root: number, containerPath: string, name: string): string {
  let path = containerPath;
  for (let hops = 0; hops < MAX_LINKS; hops++) {
    let fd: number;
    try {
      fd = open2(root, path, O_PATH | fs.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${name}:${path}`);
    } catch (error) {
      if (error instanceof CopyFailure && error.code === 'NOT_FOUND') return path;
      throw error;
    }
    try {
      if (!fstatSync(fd).isSymbolicLink()) return path;
      const buffer = Buffer.alloc(4096);
      const length = readlinkat(fd, '', buffer, buffer.length);
      if (length < 0) throw new CopyFailure('IO', `${name}:${path}: cannot read the link (errno ${errno()})`);
      const link = buffer.subarray(0, length).toString();
      path = link.startsWith('/') ? link : join(dirname(path), link);
    } finally {
      closeSync(fd);
    }
  }
  throw new CopyFailure('INVALID_ARGUMENT', `${name}:${containerPath}: too many levels of symbolic links`);
}

/** The ids of a flag `NAME:UID:GID`, if given. */
function idsFlag(flags: readonly string[], name: string): Ids | undefined {
  const match = flags.map((flag) => new RegExp(`^${name}:(\\d+):(\\d+)$`).exec(flag)).find((found) => found !== null);
  return match === undefined || match === null ? undefined : { uid: Number(match[1]), gid: Number(match[2]) };
}

/** cp.ts's manifest of a tar's entries' ids (`owners:` flag, its path URI-encoded). */
function readOwners(path: string): { root: string; ids: Map<string, Ids> } {
  const { root, owners } = JSON.parse(readFileSync(path, 'utf8')) as { root: string; owners: Record<string, [number, number]> };
  const ids = new Map<string, Ids>();
  for (const [key, [uid, gid]] of Object.entries(owners)) {
    if (Number.isSafeInteger(uid) && Number.isSafeInteger(gid) && uid >= 0 && gid >= 0) ids.set(key, { uid, gid });
  }
  return { root, ids };
}

/** A path that names a directory's contents (`dir/.`) or asserts a directory (`dir/`), and the path without that ending. */
function ending(path: string): { contents: boolean; directory: boolean; bare: string } {
  const contents = path === '.' || path.endsWith('/.');
  const directory = contents || path.endsWith('/');
  return { contents, directory, bare: directory ? path.replace(/\/?\.?$/, '').replace(/\/+$/, '') || '/' : path };
}

/** Copies out of the container: Docker's rules for `CONTAINER:SRC HOST_DEST`. */
async function mainOut(root: number, givenPath: string, hostPath: string, name: string, followLink: boolean): Promise<void> {
  const from = `${name}:${givenPath}`;
  let sourcePath = givenPath;
  let linkName: string | undefined;
  if (followLink) {
    // -L: the link's target, found inside the container's root; the copy keeps the link's name.
    const followed = followLinks(root, givenPath, name);
    if (followed !== givenPath) {
      sourcePath = followed;
      linkName = basename(ending(givenPath).bare);
    }
  }
  let fd: number;
  try {
    fd = open2(root, sourcePath, O_PATH | fs.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, from);
  } catch (error) {
    if (error instanceof CopyFailure && error.errno === 20) throw new CopyFailure('INVALID_ARGUMENT', `${from}: not a directory in the container`);
    throw error;
  }
  const isDirectory = fstatSync(fd).isDirectory();
  const source = ending(givenPath);
  const target = ending(hostPath);
  let destination = target.bare;
  const existing = statSync(destination, { throwIfNoEntry: false });
  if (existing?.isDirectory() === true) {
    // Into a directory the user named (through a symlink too, as they asked), under the source's
    // name; `SRC/.`: its contents, into the directory itself.
    if (!(source.contents && isDirectory)) destination = join(destination, linkName ?? (basename(ending(sourcePath).bare) || 'root'));
  } else if (existing === undefined && target.directory && !isDirectory) {
    throw new CopyFailure('INVALID_ARGUMENT', `no such directory "${hostPath}": a file is copied into a directory only when it exists`);
  }
  await copyOut(fd, destination, true, from);
}

/**
 * A volume's copy-up (`preserve`, `into:VOLUME_DIR`): the image's directory is copied into
 * `staging`, a directory beside the volume's that no container mounts, so that a running
 * container sharing the volume cannot swap a directory for a symlink under the copy while
 * it writes there (the host side is written by path); then each top entry is renamed into
 * the volume (a rename never follows the name it replaces), and the volume's directory,
 * burrow's own and never a container's to replace, takes the image directory's owner and
 * mode. Whatever fails, `staging` goes: a volume gets all of the copy or none of it.
 */
async function copyUpInto(root: number, givenPath: string, staging: string, volumeDir: string, name: string): Promise<void> {
  try {
    await mainOut(root, givenPath, staging, name, false);
    for (const entry of readdirSync(staging)) renameSync(join(staging, entry), join(volumeDir, entry));
    const top = lstatSync(staging);
    lchownSync(volumeDir, top.uid, top.gid);
    chmodSync(volumeDir, top.mode & 0o7777);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Copies into the container: Docker's rules for `HOST_SRC CONTAINER:DEST`. */
async function mainIn(root: number, givenPath: string, hostPath: string, name: string, followLink: boolean): Promise<void> {
  let stat: Stats;
  try {
    // A trailing `/` follows a symlink to a directory (the kernel's rule); -L follows any.
    stat = followLink ? statSync(hostPath) : lstatSync(hostPath);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === 'ENOENT') throw new CopyFailure('NOT_FOUND', `${hostPath}: no such file or directory`);
    if (code === 'ENOTDIR') throw new CopyFailure('INVALID_ARGUMENT', `${hostPath}: not a directory`);
    throw error;
  }
  const source = ending(hostPath);
  const sourceName = basename(source.bare);
  const to = `${name}:${givenPath}`;
  const containerPath = followLinks(root, givenPath, name);
  let destination: number | undefined;
  try {
    destination = open2(root, containerPath, O_PATH | fs.O_NOFOLLOW, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, to);
  } catch (error) {
    if (!(error instanceof CopyFailure && error.code === 'NOT_FOUND')) {
      if (error instanceof CopyFailure && error.errno === 20) throw new CopyFailure('INVALID_ARGUMENT', `${to}: not a directory in the container`);
      throw error;
    }
  }
  if (destination !== undefined) {
    const isDirectory = fstatSync(destination).isDirectory();
    if (isDirectory) {
      try {
        // Into the directory: the source under its own name, or `SRC/.`'s contents.
        if (source.contents && stat.isDirectory()) await copyEntries(hostPath, destination);
        else await copyIn(hostPath, destination, sourceName, stat);
      } finally {
        closeSync(destination);
      }
      return;
    }
    closeSync(destination);
    if (stat.isDirectory()) throw new CopyFailure('INVALID_ARGUMENT', `cannot copy a directory to a file: "${to}" is not a directory`);
  } else if (ending(givenPath).directory && !stat.isDirectory()) {
    throw new CopyFailure('INVALID_ARGUMENT', `no such directory "${to}" in the container: a file is copied into a directory only when it exists`);
  }
  // Not there, or a file: the destination's last component names the copy (a file there is replaced).
  const clean = ending(posix.normalize(`/${containerPath}`)).bare;
  const parent = open2(root, dirname(clean), O_PATH | fs.O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${name}:${dirname(clean)}`);
  try {
    await copyIn(hostPath, parent, basename(clean), stat);
  } finally {
    closeSync(parent);
  }
}

async function main(rootPath: string, direction: string, givenPath: string, hostPath: string, name: string, flags: string[]): Promise<void> {
  const root = openSync(rootPath, O_PATH | fs.O_DIRECTORY | O_CLOEXEC);
  const followLink = flags.includes('follow-link');
  if (direction === 'out') {
    const into = flags.find((flag) => flag.startsWith('into:'));
    if (preserve && into !== undefined) {
      await copyUpInto(root, givenPath, hostPath, decodeURIComponent(into.slice('into:'.length)), name);
      return;
    }
    await mainOut(root, givenPath, hostPath, name, followLink);
    return;
  }
  const user = idsFlag(flags, 'user');
  const ownersFlag = flags.find((flag) => flag.startsWith('owners:'));
  ownership = user !== undefined
    ? { kind: 'user', ids: user }
    : { kind: 'keep', caller: idsFlag(flags, 'keep') ?? { uid: 0, gid: 0 }, ...(ownersFlag === undefined ? {} : { owners: readOwners(decodeURIComponent(ownersFlag.slice('owners:'.length))) }) };
  if (flags.includes('into-directory')) {
    // `cp - CONTAINER:DIR`: the archive's entries go into DIR, which must be a directory (Docker's rule).
    const containerPath = followLinks(root, givenPath, name);
    let dir: number;
    try {
      dir = open2(root, containerPath, O_PATH | fs.O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS, `${name}:${givenPath}`);
    } catch (error) {
      if (error instanceof CopyFailure && (error.code === 'NOT_FOUND' || error.errno === 20)) throw new CopyFailure('INVALID_ARGUMENT', `destination "${name}:${givenPath}" must be a directory`);
      throw error;
    }
    await copyIn(hostPath, dir, basename(hostPath));
    return;
  }
  await mainIn(root, givenPath, hostPath, name, followLink);
}

function report(code: string, message: string): never {
  process.stderr.write(`${JSON.stringify({ code, message })}\n`);
  process.exit(1);
}

// burrow's end (done, failed, interrupted or killed) closes this pipe: the copy stops with it.
process.stdin.on('end', () => report('INTERRUPTED', 'interrupted'));
process.stdin.on('error', () => report('INTERRUPTED', 'interrupted'));
process.stdin.resume();

const [rootPath, direction, containerPath, hostPath, name, flagText = '-'] = process.argv.slice(2);
const flags = flagText.split(',');
const ownerFlag = flags.find((flag) => flag.startsWith('owner:'));
const ids = ownerFlag === undefined ? undefined : /^owner:(\d+):(\d+)$/.exec(ownerFlag);
if (rootPath === undefined || (direction !== 'in' && direction !== 'out') || containerPath === undefined || hostPath === undefined || name === undefined
  || (ownerFlag !== undefined && (direction !== 'out' || ids === null))) {
  report('INVALID_ARGUMENT', 'usage: cp-worker ROOT in|out CONTAINER_PATH HOST_PATH NAME [FLAGS: keep|user:UID:GID, owners:MANIFEST, into-directory, follow-link, owner:UID:GID (out)]');
}
if (ids !== undefined && ids !== null) hostOwner = { uid: Number(ids[1]), gid: Number(ids[2]) };
preserve = direction === 'out' && flags.includes('preserve');
main(rootPath, direction, containerPath, hostPath, name, flags).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof CopyFailure) report(error.code, error.message);
    const { code, message } = error as NodeJS.ErrnoException;
    if (code === 'ENOSPC' || code === 'EDQUOT') report('NO_SPACE', `no space left copying ${hostPath}`);
    report('IO', `cannot copy ${direction === 'out' ? `${name}:${containerPath}` : hostPath}: ${message}`);
  },
);
