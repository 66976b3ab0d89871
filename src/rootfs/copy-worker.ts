/**
 * The copy driver's worker: the image's layers merged into one directory with
 * overlayfs's semantics, for hosts where neither overlay can mount.
 *
 *   node copy-worker.js [--keep-id UID:GID:UIDS:GIDS [--passwd LINE --group LINE]] STAGING TARGET LAYER…   (lowest layer first)
 *
 * `--keep-id`: the container runs under --userns=keep-id with these kept ids and
 * range sizes, and each copy gets the owner that keep-id's namespace shows as the
 * layer file's (userns/keep-id.ts: keepIdCopyOwner). `--passwd`/`--group`: the
 * kept user's lines, appended to the copy's /etc/passwd and /etc/group when they
 * name neither its name nor its id (keep-id.ts: needsEntry), so `whoami` and
 * `id -un` know the user; the image's layers are never written.
 *
 * Runs as root of burrow's user namespace (started through `unshare`, so owners
 * are kept) in a mount namespace of its own, and never touches a layer from the
 * host's view of the file system: it mounts a tmpfs on STAGING (any empty
 * directory will do; the launcher passes the container's unused work/), binds
 * TARGET and each layer (read-only) into it, and chroots there before reading a
 * name of any layer. A symlink in a layer or in the target can then only lead to
 * the staging tree, never to a host path.
 *
 * Within the chroot no path is ever resolved through a symlink either, since
 * overlayfs never does that: each layer is walked one name at a time, and a name
 * is applied to the same name in the target, whatever that is. So a later layer's
 * directory replaces an earlier symlink (it does not write through it), a
 * whiteout removes the name it stands beside (not what a symlink there points
 * at), an opaque directory drops what lower layers had below it. Owners, modes
 * (setuid included), hardlinks within a layer, symlinks, times and user.* xattrs
 * are kept.
 */
import {
  chmodSync, closeSync, constants, copyFileSync, fstatSync, lchownSync, linkSync, lstatSync, lutimesSync, mkdirSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync, writeSync, type Stats,
} from 'node:fs';
import { keepIdCopyOwner, needsEntry } from '../userns/keep-id.js';
import { chroot, errno, lgetxattr, llistxattr, lsetxattr, mount, mountSetattr } from '../util/libc.js';

const MS_NOSUID = 0x2;
const MS_NODEV = 0x4;
const MS_BIND = 0x1000;
const AT_FDCWD = -100;
const MOUNT_ATTR_RDONLY = 0x1;
const MOUNT_ATTR_NOSUID = 0x2;
const MOUNT_ATTR_NODEV = 0x4;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const argv = process.argv.slice(2);
const flags = new Map<string, string>();
while (argv[0] !== undefined && ['--keep-id', '--passwd', '--group'].includes(argv[0]) && argv[1] !== undefined) {
  const [flag, value] = argv.splice(0, 2) as [string, string];
  flags.set(flag, value);
}
const keepId = flags.get('--keep-id')?.split(':').map(Number);
const [staging, target, ...layers] = argv;
if (staging === undefined || target === undefined || (keepId !== undefined && (keepId.length !== 4 || keepId.some((id) => !Number.isInteger(id) || id < 0)))
  || (keepId === undefined && flags.size > 0) || [flags.get('--passwd'), flags.get('--group')].some((line) => line?.includes('\n'))) {
  fail('usage: copy-worker [--keep-id UID:GID:UIDS:GIDS [--passwd LINE --group LINE]] STAGING TARGET LAYER…');
}

/** The owner a copy gets: the layer file's, or under keep-id the one its namespace shows as that. */
function owner(stat: { uid: number; gid: number }): { uid: number; gid: number } {
  if (keepId === undefined) return { uid: stat.uid, gid: stat.gid };
  const [uid, gid, uids, gids] = keepId as [number, number, number, number];
  return { uid: keepIdCopyOwner(stat.uid, uid, uids), gid: keepIdCopyOwner(stat.gid, gid, gids) };
}

// --- confinement -------------------------------------------------------------
if (mount('tmpfs', staging, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=0700') !== 0) fail(`cannot mount a tmpfs on ${staging} (errno ${errno()})`);
mkdirSync(`${staging}/target`);
if (mount(target, `${staging}/target`, null, MS_BIND, null) !== 0) fail(`cannot bind ${target} (errno ${errno()})`);
layers.forEach((layer, index) => {
  const at = `${staging}/${index}`;
  mkdirSync(at);
  if (mount(layer, at, null, MS_BIND, null) !== 0) fail(`cannot bind ${layer} (errno ${errno()})`);
  // Read-only, a second line behind the walk below, which never writes to a layer.
  // (mount_setattr came with Linux 5.12; before it, the layer stays writable in here.)
  const attr = Buffer.alloc(32);
  attr.writeBigUInt64LE(BigInt(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV), 0);
  if (mountSetattr(AT_FDCWD, at, 0, attr) !== 0 && errno() !== 38) fail(`cannot make ${layer} read-only (errno ${errno()})`);
});
process.chdir(staging);
if (chroot('.') !== 0) fail(`chroot ${staging} failed (errno ${errno()})`);
process.chdir('/');

// --- the merge, one name at a time ------------------------------------------
const xattrList = Buffer.alloc(65536);
const xattrValue = Buffer.alloc(65536);
const OPAQUE = 'user.overlay.opaque';

function isWhiteout(stat: Stats): boolean {
  return stat.isCharacterDevice() && stat.rdev === 0;
}

function isOpaque(path: string): boolean {
  return lgetxattr(path, OPAQUE, xattrValue, xattrValue.length) === 1 && xattrValue[0] === 0x79;
}

/** user.* xattrs, except overlayfs's own markers (user.overlay.*), which mean nothing in a plain directory. */
function copyXattrs(from: string, to: string): void {
  const size = llistxattr(from, xattrList, xattrList.length);
  if (size <= 0) return;
  for (const name of xattrList.subarray(0, size).toString('utf8').split('\0')) {
    if (!name.startsWith('user.') || name.startsWith('user.overlay.')) continue;
    const length = lgetxattr(from, name, xattrValue, xattrValue.length);
    if (length < 0) continue;
    if (lsetxattr(to, name, xattrValue, length, 0) !== 0) throw new Error(`cannot set ${name} on ${to} (errno ${errno()})`);
  }
}

const ROOT_OWNED = { uid: 0, gid: 0 };

/**
 * Owner, mode, xattrs and times of `stat` (the layer's `from`) onto `to`, which
 * this walk made (owned by root) or kept (a directory merged with lower ones,
 * owned by `current`). `copied`: copyFileSync has already given it its mode.
 */
function copyMetadata(from: string, to: string, stat: Stats, made: 'made' | 'copied', current: { uid: number; gid: number } = ROOT_OWNED): void {
  // chown only when the owner differs (most files are root's, as new nodes are).
  const wanted = owner(stat);
  const chowned = wanted.uid !== current.uid || wanted.gid !== current.gid;
  if (chowned) lchownSync(to, wanted.uid, wanted.gid);
  // chown, and writing a file's content, clear setuid and setgid: the mode goes on after both.
  if (!stat.isSymbolicLink() && (made === 'made' || chowned || (stat.mode & 0o7000) !== 0)) chmodSync(to, stat.mode & 0o7777);
  copyXattrs(from, to);
  lutimesSync(to, stat.atimeMs / 1000, stat.mtimeMs / 1000);
}

function remove(path: string, stat: Stats): void {
  if (stat.isDirectory()) rmSync(path, { recursive: true, force: true });
  else unlinkSync(path);
}

/** Applies the layer directory `from` to the target directory `to` (both real directories). */
function mergeDirectory(from: string, to: string, links: Map<number, string>): void {
  for (const name of readdirSync(from)) {
    const source = `${from}/${name}`;
    const destination = `${to}/${name}`;
    const stat = lstatSync(source);
    const existing = lstatSync(destination, { throwIfNoEntry: false });
    if (isWhiteout(stat)) {
      // Hides what lower layers put at this name: the name itself, never what it points at.
      if (existing !== undefined) remove(destination, existing);
      continue;
    }
    if (stat.isDirectory()) {
      // A directory over a non-directory replaces it (a symlink is not written through);
      // an opaque one drops what lower layers had below it; else the two merge.
      const keep = existing !== undefined && existing.isDirectory() && !isOpaque(source);
      if (!keep) {
        if (existing !== undefined) remove(destination, existing);
        mkdirSync(destination, { mode: 0o700 });
      }
      mergeDirectory(source, destination, links);
      copyMetadata(source, destination, stat, 'made', keep ? existing : ROOT_OWNED);
      continue;
    }
    if (existing !== undefined) remove(destination, existing);
    if (stat.isSymbolicLink()) {
      symlinkSync(readlinkSync(source), destination);
      copyMetadata(source, destination, stat, 'made');
    } else if (stat.isFile()) {
      const first = stat.nlink > 1 ? links.get(stat.ino) : undefined;
      if (first !== undefined) {
        // A hardlink within this layer: one inode in the target too (link(2) does not follow symlinks).
        linkSync(first, destination);
        continue;
      }
      copyFileSync(source, destination, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE);
      copyMetadata(source, destination, stat, 'copied');
      if (stat.nlink > 1) links.set(stat.ino, destination);
    }
    // Device nodes, FIFOs and sockets: the unpacker writes none (whiteouts aside).
  }
}

/** The most of an /etc/passwd or /etc/group read to add a line (as container/user.ts reads them). */
const ACCOUNT_FILE_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Appends `line` to the copy's /etc/FILE when that holds neither its name nor its
 * id. Only a real /etc directory and a regular file there are written (never
 * through a symlink, which in here could lead into a layer); an image without
 * the file keeps having none.
 */
function addAccountLine(file: 'passwd' | 'group', line: string): void {
  if (lstatSync('/target/etc', { throwIfNoEntry: false })?.isDirectory() !== true) return;
  let fd: number;
  try {
    fd = openSync(`/target/etc/${file}`, constants.O_RDWR | constants.O_APPEND | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return; // missing, or a symlink (ELOOP)
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size > ACCOUNT_FILE_MAX_BYTES) return;
    const text = readFileSync(fd, 'utf8');
    const fields = line.split(':');
    if (!needsEntry(text, fields[0]!, Number(fields[2]))) return;
    writeSync(fd, `${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);
  } finally {
    closeSync(fd);
  }
}

/** Paths as the image names them, not the staging tree's. */
const inImage = (text: string): string => text.replace(/'\/(?:target|\d+)(\/[^']*)?'/g, (_match, rest: string | undefined) => `'${rest ?? '/'}'`);

try {
  // An earlier copy that was interrupted: start again from nothing.
  for (const name of readdirSync('/target')) rmSync(`/target/${name}`, { recursive: true, force: true });
  layers.forEach((_layer, index) => {
    const root = `/${index}`;
    mergeDirectory(root, '/target', new Map());
    copyMetadata(root, '/target', lstatSync(root), 'made', lstatSync('/target'));
  });
  const passwd = flags.get('--passwd');
  const group = flags.get('--group');
  if (passwd !== undefined) addAccountLine('passwd', passwd);
  if (group !== undefined) addAccountLine('group', group);
} catch (error) {
  fail(inImage((error as Error).message));
}
process.exit(0);
